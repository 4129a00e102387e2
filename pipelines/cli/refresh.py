"""`cockpit refresh` and `cockpit runs`."""

from __future__ import annotations

import click

from pipelines.cli.group import cli, echo_json, settings_from


@cli.command("refresh")
@click.option(
    "--inbox",
    type=click.Path(exists=True, file_okay=False, path_type=str),
    help="Folder to pick new export files up from [default: $COCKPIT_HOME/inbox].",
)
@click.option("--full", is_flag=True, help="Rebuild everything from the stored conversations.")
@click.option("--quiet", is_flag=True, help="No progress output (errors are still shown).")
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    help="Where embedding and tagging run: in-process, or on Ray Data "
    "(needs `pip install -e .[ray]`) [default: $COCKPIT_ENGINE or local].",
)
@click.option(
    "--ray-address",
    help="Join this Ray cluster (e.g. ray://head:10001) with --engine ray "
    "[default: $COCKPIT_RAY_ADDRESS; unset starts a local one].",
)
@click.option(
    "--init", is_flag=True,
    help="Start from an empty store even though caches or inbox history exist (store lost).",
)  # fmt: skip
@click.pass_context
def refresh_command(
    ctx: click.Context,
    inbox: str | None,
    full: bool,
    quiet: bool,
    engine: str | None,
    ray_address: str | None,
    init: bool,
) -> None:
    """Load new files from the inbox and bring every derived table up to date.

    Steps: inbox → embed → tag → score → backtest, on a copy that replaces the published
    database only when every step succeeded; the app keeps working meanwhile. Progress: bars on
    a terminal, log lines otherwise (cron). Each run is listed by `cockpit runs`.

    Exit codes: 0 success; 2 partial (published, but rows were quarantined or files refused);
    1 failed (nothing published); 3 another writer is running (nothing done).

    Example: cockpit refresh --inbox /srv/exports/cockpit --engine ray
    """
    import dataclasses

    from cockpit.errors import LockedError
    from cockpit.store.runlog import EXIT_LOCKED
    from pipelines.refresh import install_sigterm_handler, refresh

    settings = settings_from(ctx)
    if engine or ray_address:
        settings = dataclasses.replace(
            settings,
            engine=engine or ("ray" if ray_address else settings.engine),
            ray_address=ray_address or settings.ray_address,
        )
    install_sigterm_handler()
    try:
        result = refresh(
            settings,
            inbox=inbox,
            full=full,
            progress_mode="quiet" if quiet else "auto",
            init=init,
        )
    except LockedError as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(EXIT_LOCKED)
    if result.status == "failed":
        click.echo(
            f"Error: refresh {result.run_id} failed; nothing was published, the previous data "
            f"stays in place. {result.error}. See `cockpit runs`.",
            err=True,
        )
    elif not quiet:
        click.echo(f"refresh {result.run_id}: {result.status}")
    ctx.exit(result.exit_code)


@cli.command("runs")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def runs_command(ctx: click.Context, limit: int, as_json: bool) -> None:
    """List recent refresh (and other writer) runs, newest first: status, exit code, step
    durations and row counts, error. Read-only: safe while a refresh runs.

    Example: cockpit runs --limit 5 --json
    """
    from cockpit import store
    from cockpit.store import runlog

    with store.reading(settings_from(ctx).db_path) as con:
        runs = runlog.list_runs(con, limit)
    if as_json:
        echo_json(runs)
    else:
        click.echo(runlog.format_runs(runs))
