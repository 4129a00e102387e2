"""`cockpit ingest` and `cockpit status`."""

from __future__ import annotations

import click

from pipelines.cli.group import cli, echo_json, settings_from


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--table",
    type=click.Choice(["accounts", "conversations", "messages", "setup"]),
    help="Table the files feed (default: recognised from each file name).",
)
@click.option(
    "--encoding",
    help="Encoding of CSV / JSON Lines files, e.g. cp1252 (default: BOM, UTF-8, or detected).",
)
@click.pass_context
def ingest(
    ctx: click.Context, paths: tuple[str, ...], table: str | None, encoding: str | None
) -> None:
    """Validate and load contract files (CSV, Parquet, JSON Lines; .gz ok) or folders.

    Bad rows go to quarantine; files already ingested are skipped; accounts load first;
    quarantined rows waiting for their account load once it exists. Paths are literal (no
    globs): give a folder or list the files.

    Example: cockpit ingest exports/accounts.csv exports/conversations.csv.gz
    """
    from cockpit import store
    from cockpit.ingest import ingest_paths

    settings = settings_from(ctx)
    with store.writing(settings, "ingest") as con:
        report = ingest_paths(
            con, list(paths), table=table, limits=settings.ingest_limits(), encoding=encoding
        )
    for f in report.files:
        if f.refused:
            reason = f.refused.removeprefix(f"{f.path}: ")  # errors may already name the file
            click.echo(f"refused  {f.path}: {reason}")
        elif f.skipped:
            click.echo(f"skipped  {f.path} (already ingested)")
        else:
            click.echo(
                f"{f.table:<13} {f.path}: read {f.rows_read}, loaded {f.loaded}, "
                f"updated {f.updated}, unchanged {f.unchanged}, stale {f.stale}, "
                f"quarantined {f.quarantined}"
                + (f" (read as {f.encoding})" if f.encoding not in (None, "utf-8") else "")
            )
    for r in report.retried:
        click.echo(
            f"retried       {r.path}: {r.rows_read} waiting, loaded {r.loaded}, "
            f"still quarantined {r.quarantined}"
        )
    t = report.totals
    click.echo(
        f"total: {len(report.files)} file(s), read {t['rows_read']}, loaded {t['loaded']}, "
        f"updated {t['updated']}, unchanged {t['unchanged']}, stale {t['stale']}, "
        f"quarantined {t['quarantined']}, "
        f"skipped {t['skipped']}, refused {t['refused']}"
    )
    if t["quarantined"]:
        click.echo("Quarantined rows: see `cockpit quarantine list`.")
    if report.nothing_loaded:
        raise click.ClickException(
            "nothing could be loaded; fix the refused files or quarantined rows listed above "
            "and run `cockpit ingest` again."
        )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show what the store holds: rows, date range, quarantine, ingested files, last run.

    Example: cockpit status --json
    """
    from cockpit import store
    from cockpit.ingest import status_summary

    with store.reading(settings_from(ctx).db_path) as con:
        s = status_summary(con)
    if as_json:
        echo_json(s)
        return
    click.echo(f"accounts        {s['accounts']}")
    click.echo(f"conversations   {s['conversations']}")
    click.echo(f"date range      {s['first_conversation']} … {s['last_conversation']} (UTC)")
    click.echo(f"messages        {s['messages']}")
    click.echo(f"setup rows      {s['setup_rows']}")
    click.echo(f"ingested files  {s['ingested_files']}")
    click.echo(f"quarantined     {s['quarantined_rows']}")
    for r in s["quarantine_top_reasons"]:
        click.echo(f"  {r['rows']:>8}  {r['table']}.{r['column'] or '*'}: {r['reason']}")
    if s["last_run"]:
        run = s["last_run"]
        click.echo(
            f"last run        {run['command']} {run['status']} "
            f"(started {run['started_at']}, id {run['run_id']})"
        )
    if s["tag_coverage"]:
        tc = s["tag_coverage"]
        click.echo(f"tag coverage    {tc['tagged']}/{tc['conversations']} ({tc['share']:.0%})")
