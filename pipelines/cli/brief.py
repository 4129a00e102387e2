"""`cockpit brief`: the pre-call brief."""

from __future__ import annotations

import click

from pipelines.cli.group import cli, settings_from


@cli.command()
@click.argument("account_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html"]),
    default="md",
    show_default=True,
    help="Markdown, or standalone printable HTML (print it to PDF from a browser).",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout."
)
@click.pass_context
def brief(ctx: click.Context, account_id: str, fmt: str, out: str | None) -> None:
    """Write the pre-call brief of ACCOUNT_ID (reads the store read-only).

    Example: cockpit brief acme --format html --out brief.html
    """
    from pathlib import Path

    from cockpit import brief as brief_mod
    from cockpit import queries, store

    settings = settings_from(ctx)
    with store.reading(settings.db_path) as con:
        report = queries.brief_report(con, account_id)
    cost = settings.cost_per_human_conversation_usd
    render = brief_mod.to_html if fmt == "html" else brief_mod.to_markdown
    text = render(report, cost_per_conversation=cost)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {out}", err=True)
    else:
        click.echo(text, nl=False)
