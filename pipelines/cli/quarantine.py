"""`cockpit quarantine list|retry|export`: the rows ingestion refused, and the ones waiting."""

from __future__ import annotations

import click

from pipelines.cli.group import cli, echo_json, settings_from


@cli.group("quarantine")
def quarantine() -> None:
    """Rows refused by ingestion: what waits and why; retry or export them.

    Rows refused only because their account (or conversation) was missing wait here and load
    by themselves at the next ingest or refresh once it exists.

    Example: cockpit quarantine list
    """


@quarantine.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=0),
              help="How many of the latest rows to show.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def list_command(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Show quarantined records by table and reason, and the latest ones with their lines.

    Example: cockpit quarantine list --limit 5
    """
    from cockpit import store
    from cockpit.ingest.status import quarantine_list

    with store.reading(settings_from(ctx).db_path) as con:
        q = quarantine_list(con, limit)
    if as_json:
        echo_json(q)
        return
    click.echo(f"quarantined records  {q['records']} ({q['waiting']} waiting for a parent)")
    for g in q["by_reason"]:
        wait = f"  [waits for {g['waiting_for']}]" if g["waiting_for"] else ""
        click.echo(f"  {g['records']:>8}  {g['table']}: {g['reason']}{wait}")
    for r in q["latest"]:
        click.echo(
            f"{r['file']} row {r['row_number']} (line {r['lines'] or '?'}) "
            f"{r['table']}.{r['column'] or '*'}: {r['reason']}"
        )


@quarantine.command("retry")
@click.option("--all", "everything", is_flag=True,
              help="Re-validate every waiting row, also those whose parent is still missing.")  # fmt: skip
@click.pass_context
def retry_command(ctx: click.Context, everything: bool) -> None:
    """Load the waiting rows whose parent now exists (ingest and refresh also do this).

    Example: cockpit quarantine retry
    """
    from cockpit import store
    from cockpit.ingest import retry_waiting

    settings = settings_from(ctx)
    with store.writing(settings, "quarantine retry") as con:
        reports = retry_waiting(con, "retry", settings.ingest_limits(), everything=everything)
    if not reports:
        click.echo("nothing to retry: no waiting row has its parent yet")
    for r in reports:
        click.echo(
            f"{r.table:<13} retried {r.rows_read}, loaded {r.loaded}, "
            f"still quarantined {r.quarantined}"
        )


@quarantine.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
@click.pass_context
def export_command(ctx: click.Context, out: str) -> None:
    """Write every quarantine row (masked raw record, reason, lines) to a CSV file.

    Example: cockpit quarantine export --out quarantine.csv
    """
    from cockpit import store
    from cockpit.ingest.status import export_quarantine

    with store.reading(settings_from(ctx).db_path) as con:
        n = export_quarantine(con, out)
    click.echo(f"wrote {n} quarantine rows to {out}")
