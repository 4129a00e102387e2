"""`cockpit demo`: the demo workspace."""

from __future__ import annotations

import click

from pipelines.cli.group import cli, settings_from


def _demo_refresh(quiet: bool):
    """`pipelines.refresh.refresh` bound to the CLI's progress mode."""
    from pipelines.refresh import refresh

    mode = "quiet" if quiet else "auto"
    return lambda settings: refresh(settings, full=False, progress_mode=mode)


@cli.command("demo")
@click.option("--accounts", default=60, show_default=True, type=click.IntRange(min=1))
@click.option("--months", default=12, show_default=True, type=click.IntRange(min=1, max=36))
@click.option("--conversations", default=40_000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=7, show_default=True, help="Same seed → same workspace.")
@click.option("--if-missing", is_flag=True, help="Do nothing when a workspace already exists.")
@click.option("--quiet", is_flag=True, help="No progress output (the summary is still shown).")
@click.pass_context
def demo_command(
    ctx: click.Context,
    accounts: int,
    months: int,
    conversations: int,
    seed: int,
    if_missing: bool,
    quiet: bool,
) -> None:
    """Build a deterministic demo workspace: generate believable accounts and conversations
    (files kept in $COCKPIT_HOME/demo, with a hidden truth for backtests), ingest them and run
    the refresh. A few deliberately bad rows land in quarantine (see the Data health page).

    Example: cockpit demo --accounts 60 --months 12 --seed 7
    """
    from cockpit.demo import build_demo
    from cockpit.progress import make_progress

    settings = settings_from(ctx)
    if if_missing and settings.db_path.exists():
        click.echo(f"A workspace already exists at {settings.db_path}; nothing to do.")
        return
    progress = make_progress("quiet" if quiet else "auto")
    refresh = _demo_refresh(quiet)
    if not quiet:
        click.echo(
            f"Generating {conversations:,} conversations for {accounts} accounts "
            f"over {months} months (seed {seed}) …",
            err=True,
        )
    try:
        result = build_demo(
            settings, accounts, months, conversations, seed, progress=progress, refresh=refresh
        )
    finally:
        progress.close()
    ingest = result["ingest"]
    click.echo(
        f"Demo workspace ready: {result['accounts']} accounts, "
        f"{result['conversations']:,} conversations ({result['messages']:,} transcript messages), "
        f"{result['start']} → {result['end']}."
    )
    if ingest:
        click.echo(
            f"Ingested: {ingest.get('loaded', 0):,} loaded, {ingest.get('updated', 0):,} updated, "
            f"{ingest.get('unchanged', 0):,} unchanged, {ingest.get('quarantined', 0):,} "
            "quarantined (deliberately bad rows from conversations_late_export.csv)."
        )
    click.echo(f"Refresh: {result['refresh'] if refresh else 'not available yet'}.")
    click.echo(f"Files: {result['directory']}  Database: {result['database']}")
    if result.get("refresh_status") == "failed":
        raise click.ClickException(
            f"the demo data is ingested, but the refresh failed: {result.get('refresh_error')}. "
            "See `cockpit runs`, then run `cockpit refresh`."
        )
