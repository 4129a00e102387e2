"""The `cockpit` command: a thin shell over the library.

Library errors (`CockpitError`) become `Error: …` on stderr and exit code 1, never a traceback.
Every command's help ends with an example (a test checks it).
Each area keeps its commands in its own marked block below; edit only your block.
"""

from __future__ import annotations

import json
import logging
import os
import sys

import click

from cockpit.errors import CockpitError
from cockpit.settings import Settings

log = logging.getLogger("cockpit")


class CockpitGroup(click.Group):
    """A click group that turns domain errors into `Error: …` and exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CockpitError as exc:
            raise click.ClickException(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            raise click.ClickException("interrupted") from None
        except Exception as exc:  # never show a traceback to a user
            if os.environ.get("COCKPIT_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {exc}. Re-run with COCKPIT_DEBUG=1 for details."
            ) from None


def settings_from(ctx: click.Context) -> Settings:
    """The settings object built once per invocation from the environment."""
    return ctx.find_root().obj


def echo_json(data) -> None:
    """Print `data` as stable, indented JSON (dates as ISO strings)."""
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


@click.group(cls=CockpitGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
@click.version_option(package_name="cockpit")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Cockpit: automation performance, potential and next best actions per account.

    Data lives in $COCKPIT_HOME (default ./var).

    Example: cockpit demo && cockpit app
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        ctx.obj = Settings.from_env()
    except CockpitError as exc:
        raise click.ClickException(str(exc)) from None


# --- foundation: app -------------------------------------------------------------------------


@cli.command()
@click.option("--port", default=8501, show_default=True, help="Port to serve on.")
@click.pass_context
def app(ctx: click.Context, port: int) -> None:
    """Start the Streamlit app on http://localhost:PORT.

    Example: cockpit app --port 8501
    """
    from pathlib import Path

    app_py = Path(__file__).resolve().parent.parent / "app.py"
    if not app_py.exists():
        raise click.ClickException(f"app.py not found next to the cockpit package ({app_py}).")
    os.execvp(
        sys.executable,
        [
            sys.executable, "-m", "streamlit", "run", str(app_py),
            "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
        ],
    )  # fmt: skip


# --- ingest & status (owner: ingestion) ------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--table",
    type=click.Choice(["accounts", "conversations", "messages", "setup"]),
    help="Table the files feed (default: recognised from each file name).",
)
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[str, ...], table: str | None) -> None:
    """Validate and load contract files (CSV, Parquet, JSON Lines; .gz ok) or folders.

    Bad rows go to quarantine; files already ingested are skipped; accounts load first.

    Example: cockpit ingest exports/accounts.csv exports/conversations.csv.gz
    """
    from cockpit import store
    from cockpit.ingest import ingest_paths

    with store.writing(settings_from(ctx), "ingest") as con:
        report = ingest_paths(con, list(paths), table=table)
    for f in report.files:
        if f.refused:
            reason = f.refused.removeprefix(f"{f.path}: ")  # errors may already name the file
            click.echo(f"refused  {f.path}: {reason}")
        elif f.skipped:
            click.echo(f"skipped  {f.path} (already ingested)")
        else:
            click.echo(
                f"{f.table:<13} {f.path}: read {f.rows_read}, loaded {f.loaded}, "
                f"updated {f.updated}, unchanged {f.unchanged}, quarantined {f.quarantined}"
            )
    t = report.totals
    click.echo(
        f"total: {len(report.files)} file(s), read {t['rows_read']}, loaded {t['loaded']}, "
        f"updated {t['updated']}, unchanged {t['unchanged']}, quarantined {t['quarantined']}, "
        f"skipped {t['skipped']}, refused {t['refused']}"
    )
    if t["quarantined"]:
        click.echo("Quarantined rows: see `cockpit status` (table quarantine).")
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


# --- demo (owner: demo generator) ------------------------------------------------------------


def _demo_refresh(quiet: bool):
    """`pipelines.refresh.refresh` bound to the CLI's progress mode, or None if not available."""
    try:
        from pipelines.refresh import refresh
    except ImportError:
        return None
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


# --- tagging: tag correct, taxonomy eval, export tags (owner: tagging) -------------------------


@cli.group("tag")
def tag_group() -> None:
    """Fix tags by hand; corrections win over the model and train it on the next refresh.

    Example: cockpit tag correct conv-123 --type personalized --topic orders
    """


@tag_group.command("correct")
@click.argument("conversation_id")
@click.option(
    "--type", "automation_type", required=True, help="informational, personalized or action."
)
@click.option(
    "--topic", "topic_id", required=True, help="A topic id (see taxonomy_topics) or 'other'."
)
@click.option("--note", default=None, help="Why the tag was wrong (free text).")
@click.option("--by", "by", default=None, help="Who corrects [current user].")
@click.pass_context
def tag_correct(
    ctx: click.Context, conversation_id: str, automation_type: str, topic_id: str, note, by
) -> None:
    """Record a corrected tag for one conversation (safe while a refresh runs).

    The next refresh applies it (confidence 1.0, corrected = true) and learns from it.

    \b
    Example: cockpit tag correct conv-123 --type personalized --topic orders --note "parcel"
    """
    import getpass

    from cockpit import store
    from cockpit.corrections import conversation_scope, record_correction, validate_correction
    from cockpit.taxonomy import load_taxonomy

    settings = settings_from(ctx)
    taxonomy = load_taxonomy(custom_dir=settings.home / "taxonomy")
    if settings.db_path.exists():
        with store.reading(settings.db_path) as con:
            row = conversation_scope(con, conversation_id)
        if row is None:
            raise CockpitError(
                f"no conversation '{conversation_id}' in {settings.db_path}; check the id "
                f"(e.g. with `cockpit export tags --out tags.csv`)."
            )
        validate_correction(taxonomy, automation_type, topic_id, row[1], row[0], check_account=True)
    record_correction(
        settings.corrections_path, conversation_id, automation_type, topic_id,
        by=by or getpass.getuser(), note=note, taxonomy=taxonomy,
    )  # fmt: skip
    click.echo(
        f"Recorded: {conversation_id} -> {automation_type} / {topic_id}. "
        f"It applies at the next `cockpit refresh`."
    )


@cli.group("taxonomy")
def taxonomy_group() -> None:
    """Inspect and evaluate the taxonomy.

    \b
    Example: cockpit taxonomy eval labelled.csv --text-col text --label-col intent --few-shot 10
    """


@taxonomy_group.command("eval")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--text-col", default="text", show_default=True, help="Column with the message.")
@click.option("--label-col", default="label", show_default=True, help="Column with the label.")
@click.option(
    "--few-shot",
    "few_shot",
    type=int,
    default=None,
    help="K examples per label from FILE; the rest is the test set.",
)
@click.option(
    "--train",
    "train",
    type=click.Path(dir_okay=False),
    default=None,
    help="Use all rows of this file as examples; FILE is the test set.",
)
@click.option(
    "--vertical", default=None, help="Zero-shot topics: judge with this vertical's topics only."
)
@click.option(
    "--seed", default=0, show_default=True, help="Seed of the example sample and the fit."
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def taxonomy_eval(ctx, file, text_col, label_col, few_shot, train, vertical, seed, as_json) -> None:
    """Measure how well labels in FILE are recognised (accuracy, macro-F1, coverage, confusions).

    With --few-shot K or --train, the labels become a custom taxonomy (labels `other`/`oos` mean
    out of scope). With neither, the labels must be automation types or project topic ids and the
    project taxonomy is evaluated zero-shot.

    \b
    Example: cockpit taxonomy eval tickets.csv --text-col body --label-col intent --few-shot 10
    """
    from cockpit.embedding import make_embedder
    from cockpit.evaluation import evaluate_file, format_report
    from cockpit.taxonomy import load_taxonomy

    settings = settings_from(ctx)
    taxonomy = load_taxonomy(custom_dir=settings.home / "taxonomy")
    embedder = make_embedder(settings)
    result = evaluate_file(
        file, text_col, label_col, embedder.embed, taxonomy,
        few_shot=few_shot, train=train, seed=seed, vertical=vertical,
    )  # fmt: skip
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(format_report(result))


@cli.group("export")
def export_group() -> None:
    """Export data from the published database.

    Example: cockpit export tags --out tags.csv
    """


@export_group.command("tags")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False), help="CSV file to write."
)
@click.pass_context
def export_tags_command(ctx: click.Context, out: str) -> None:
    """Write one row per conversation with its tags (read-only; safe while a refresh runs).

    Columns: conversation_id, account_id, automation_type, type_confidence, topic_id,
    topic_confidence, taxonomy_version, corrected.

    Example: cockpit export tags --out tags.csv
    """
    from cockpit import store
    from cockpit.corrections import export_tags

    settings = settings_from(ctx)
    with store.reading(settings.db_path) as con:
        if not store.table_exists(con, "tags"):
            raise CockpitError("no tags yet — run `cockpit refresh` first.")
        n = export_tags(con, out)
    click.echo(f"Wrote {n} rows to {out}")


# --- scoring: accounts, account, backtest (owner: metrics) -------------------------------------


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _pts(x) -> str:
    return "—" if x is None else f"{x:+.1f} pts"


@cli.command()
@click.option("--csm", default=None, help="Only the accounts this CSM owns.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def accounts(ctx: click.Context, csm: str | None, as_json: bool) -> None:
    """List accounts with automation rate, potential and gap, largest gap first.

    JSON (--json): a list of {account_id, name, vertical, csm, conversations, automation_rate,
    potential, gap_pts}; rates are fractions in [0, 1], gap_pts percentage points, conversations
    the current window's volume (schema: cockpit/schemas/accounts.json).

    Example: cockpit accounts --csm "Dana Diaz" --json
    """
    from cockpit import queries, store

    with store.reading(settings_from(ctx).db_path) as con:
        rows = queries.accounts_list(con, csm)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No accounts" + (f" for CSM '{csm}'." if csm else "."))
        return
    w = max(12, *(len(str(r["name"])) for r in rows))
    click.echo(
        f"{'account':<14} {'name':<{w}} {'vertical':<10} {'convs':>7} "
        f"{'automation':>10} {'potential':>9} {'gap':>10}"
    )
    for r in rows:
        click.echo(
            f"{r['account_id']:<14} {r['name']:<{w}} {(r['vertical'] or '—'):<10} "
            f"{r['conversations']:>7} {_pct(r['automation_rate']):>10} "
            f"{_pct(r['potential']):>9} {_pts(r['gap_pts']):>10}"
        )


@cli.command()
@click.argument("account_id")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def account(ctx: click.Context, account_id: str, as_json: bool) -> None:
    """Show one account: performance, potential, mix, top issues and next best actions.

    JSON (--json) keys: account_id, name, vertical, csm, as_of, performance {window_days,
    conversations, involvement_rate, ai_resolution_rate, automation_rate,
    automation_rate_change_pts, csat_ai, csat_human, median_handle_time_minutes}, potential
    {automation_rate, low, high, gap_pts, method, contributions[]}, mix [{automation_type, share}],
    top_issues [...], next_best_actions [...]. Rates are fractions in [0, 1]; *_pts are
    percentage points (schema: cockpit/schemas/account.json). An unknown id exits 1.

    Example: cockpit account acme --json
    """
    from cockpit import queries, store

    with store.reading(settings_from(ctx).db_path) as con:
        r = queries.account_report(con, account_id)
    if as_json:
        echo_json(r)
        return
    perf, pot = r["performance"], r["potential"]
    click.echo(f"{r['name']} ({r['account_id']}) · {r['vertical']} · CSM {r['csm'] or '—'}")
    click.echo(
        f"as of {r['as_of']}, last {perf['window_days']} days, {perf['conversations']} conversations"
    )
    click.echo(
        f"  automation {_pct(perf['automation_rate'])} ({_pts(perf['automation_rate_change_pts'])}) · "
        f"involvement {_pct(perf['involvement_rate'])} · AI resolution {_pct(perf['ai_resolution_rate'])}"
    )
    csat_ai = "—" if perf["csat_ai"] is None else f"{perf['csat_ai']:.2f}"
    csat_h = "—" if perf["csat_human"] is None else f"{perf['csat_human']:.2f}"
    ht = perf["median_handle_time_minutes"]
    click.echo(
        f"  CSAT AI {csat_ai} · human {csat_h} · median handle time "
        + ("—" if ht is None else f"{ht:.1f} min")
    )
    click.echo(
        f"potential {_pct(pot['automation_rate'])} (range {_pct(pot['low'])}–{_pct(pot['high'])}), "
        f"gap {_pts(pot['gap_pts'])}"
    )
    if pot["method"]:
        click.echo(f"  {pot['method']}")
    click.echo("mix: " + ", ".join(f"{m['automation_type']} {_pct(m['share'])}" for m in r["mix"]))
    click.echo("top issues:")
    for i, t in enumerate(r["top_issues"], 1):
        flag = " SPIKE" if t["spike"] else ""
        click.echo(
            f"  {i}. {t['topic']} ({t['automation_type']}): {t['conversations']} convs, "
            f"automation {_pct(t['automation_rate'])} vs benchmark {_pct(t['benchmark_rate'])}, "
            f"trend {_pts(t['trend_pts'])}{flag}"
        )
    click.echo("next best actions:")
    for a in r["next_best_actions"]:
        click.echo(
            f"  {a['rank']}. {a['kind']} · {a['topic_id']} ({a['automation_type']}): "
            f"+{a['extra_ai_resolved_per_month']:.0f} AI-resolved/month, {_pts(a['gain_pts'])}, "
            f"{a['hours_saved_per_month']:.1f} h/month saved, confidence {a['confidence']}"
        )
        click.echo(f"     {a['rationale']}")


@cli.command("backtest")
@click.option(
    "--cutoff",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Predict with data before this date (default: as-of minus 90 days).",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def backtest_cmd(ctx: click.Context, cutoff, as_json: bool) -> None:
    """Backtest the automation potential: predict before CUTOFF, compare with what followed.

    Stores the run in backtest_runs / backtest_results (the app's track record). JSON (--json):
    {backtest_id, cutoff, created_at, n_accounts, mae_realised_pts, within5_realised,
    mae_truth_pts, within5_truth, method, n_realised, coverage_realised, bias_realised_pts,
    n_truth, coverage_truth, bias_truth_pts, calibration [{bin, n, predicted, achieved}]};
    *_truth only on the demo workspace.

    Example: cockpit backtest --cutoff 2026-08-01 --json
    """
    from cockpit import backtest, metrics, store

    settings = settings_from(ctx)
    with store.writing(settings, "backtest") as con:
        if cutoff is None:
            con.execute("CREATE OR REPLACE TEMP VIEW _asof AS " + metrics.scored_relation())
            as_of = metrics.as_of_date(con, "_asof")
            if as_of is None:
                from cockpit.errors import NoDataError

                raise NoDataError()
            day = backtest.default_cutoff(as_of)
        else:
            day = cutoff.date()
        bt = backtest.run_backtest(con, day)
        backtest.save_backtest(con, bt)
    if as_json:
        echo_json(bt.to_json())
        return
    s = bt.summary

    def _f(x, fmt):
        return "—" if x is None else format(x, fmt)

    click.echo(f"backtest {s['backtest_id']} · cutoff {s['cutoff']} · {s['n_accounts']} accounts")
    click.echo(
        f"  vs realised ({s['n_realised']} accounts that deployed enablers): "
        f"MAE {_f(s['mae_realised_pts'], '.1f')} pts, within ±5 pts "
        f"{_f(s['within5_realised'] and 100 * s['within5_realised'], '.1f')}%, "
        f"interval coverage {_f(s['coverage_realised'] and 100 * s['coverage_realised'], '.1f')}%"
    )
    if s["n_truth"]:
        click.echo(
            f"  vs demo truth ({s['n_truth']} accounts): MAE {_f(s['mae_truth_pts'], '.1f')} pts, "
            f"within ±5 pts {100 * s['within5_truth']:.1f}%"
        )
    if not bt.calibration.empty:
        click.echo("  calibration (predicted decile: predicted → achieved, n):")
        for c in bt.calibration.itertuples(index=False):
            click.echo(
                f"    {c.bin:>2}: {100 * c.predicted:5.1f}% → {100 * c.achieved:5.1f}%  ({c.n})"
            )


# --- brief (owner: app) ------------------------------------------------------------------------


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

    with store.reading(settings_from(ctx).db_path) as con:
        report = queries.brief_report(con, account_id)
    text = brief_mod.to_html(report) if fmt == "html" else brief_mod.to_markdown(report)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {out}", err=True)
    else:
        click.echo(text, nl=False)


# --- refresh, runs (owner: refresh) ------------------------------------------------------------


@cli.command("refresh")
@click.option(
    "--inbox",
    type=click.Path(exists=True, file_okay=False, path_type=str),
    help="Folder to pick new export files up from [default: $COCKPIT_HOME/inbox].",
)
@click.option("--full", is_flag=True, help="Rebuild everything from the stored conversations.")
@click.option("--quiet", is_flag=True, help="No progress output (errors are still shown).")
@click.pass_context
def refresh_command(ctx: click.Context, inbox: str | None, full: bool, quiet: bool) -> None:
    """Load new files from the inbox and bring every derived table up to date.

    Steps: inbox → embed → tag → score → backtest, on a copy that replaces the published
    database only when every step succeeded; the app keeps working meanwhile. Progress: bars on
    a terminal, log lines otherwise (cron). Each run is listed by `cockpit runs`.

    Exit codes: 0 success; 2 partial (published, but rows were quarantined or files refused);
    1 failed (nothing published); 3 another writer is running (nothing done).

    Example: cockpit refresh --inbox /srv/exports/cockpit
    """
    from cockpit.errors import LockedError
    from cockpit.runlog import EXIT_LOCKED
    from pipelines.refresh import install_sigterm_handler, refresh

    settings = settings_from(ctx)
    install_sigterm_handler()
    try:
        result = refresh(
            settings, inbox=inbox, full=full, progress_mode="quiet" if quiet else "auto"
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
    from cockpit import runlog, store

    with store.reading(settings_from(ctx).db_path) as con:
        runs = runlog.list_runs(con, limit)
    if as_json:
        echo_json(runs)
    else:
        click.echo(runlog.format_runs(runs))


# --- emerging topics: topics emerging, promote, dismiss (owner: discovery) --------------------


@cli.group("topics")
def topics_group() -> None:
    """Emerging topics: clusters of conversations the taxonomy cannot place yet.

    Example: cockpit topics emerging --json
    """


@topics_group.command("emerging")
@click.option("--account", "account_id", default=None, help="Only this account's conversations.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def topics_emerging(ctx: click.Context, account_id: str | None, as_json: bool) -> None:
    """List emerging topics, largest first (hidden: too small, incoherent, dismissed, promoted).

    JSON: {"topics": [{"id", "name", "likely_type", "conversations", "accounts", "first_seen",
    "trend_pts", "example_conversation_ids", "conversation_ids", ...}]}, every member id included.

    \b
    Example: cockpit topics emerging --account acc_0021 --json | jq '.topics[0].name'
    """
    from cockpit import queries, store

    settings = settings_from(ctx)
    with store.reading(settings.db_path) as con:
        topics = queries.emerging_topics(con, account_id)
    if as_json:
        keep = ("id", "name", "likely_type", "conversations", "accounts", "first_seen",
                "trend_pts", "example_conversation_ids", "conversation_ids", "scope", "terms")  # fmt: skip
        echo_json({"topics": [{k: t[k] for k in keep} for t in topics]})
        return
    if not topics:
        click.echo("No emerging topics (run `cockpit refresh` after new conversations arrive).")
        return
    for t in topics:
        click.echo(
            f"{t['id']}  {t['name']}  ·  {t['conversations']} conversations, {t['accounts']} "
            f"account(s), likely {t['likely_type'] or 'unknown'}, trend {t['trend_pts']:+.1f} pts, "
            f"since {t['first_seen']}  [{t['scope']}]"
        )


@topics_group.command("promote")
@click.argument("cluster_id")
@click.option("--name", required=True, help="Display name of the new topic.")
@click.option("--vertical", default=None, help="Serve every account of this vertical.")
@click.option("--account", "account_id", default=None, help="Serve this account only.")
@click.option(
    "--type", "automation_type", default=None, help="Default automation type [likely type]."
)
@click.option("--id", "topic_id", default=None, help="Topic id [from the name].")
@click.pass_context
def topics_promote(ctx, cluster_id, name, vertical, account_id, automation_type, topic_id) -> None:
    """Turn an emerging topic into a custom taxonomy topic; the next refresh re-tags with it.

    Writes $COCKPIT_HOME/taxonomy/emerging-CLUSTER_ID.yaml (examples: the cluster's most central
    conversations, masked), validated with the whole taxonomy. Without --vertical or --account
    the topic serves the cluster's own scope.

    \b
    Example: cockpit topics promote em00007 --name "Crypto withdrawals" --vertical fintech --type personalized
    """
    from cockpit import store
    from cockpit.discovery.decisions import promote
    from cockpit.taxonomy import load_taxonomy

    settings = settings_from(ctx)
    custom = settings.home / "taxonomy"
    with store.writing(settings, f"topics promote {cluster_id}") as con:
        path, doc = promote(
            con, custom, lambda d: load_taxonomy(custom_dir=d), cluster_id, name,
            vertical=vertical, account_id=account_id, automation_type=automation_type,
            topic_id=topic_id,
        )  # fmt: skip
    topic = doc["topics"][0]
    click.echo(
        f"Promoted {cluster_id} as topic '{topic['id']}' ({len(topic['examples'])} examples) in "
        f"{path}. The taxonomy version changed: the next `cockpit refresh` re-tags with it."
    )


@topics_group.command("dismiss")
@click.argument("cluster_id")
@click.pass_context
def topics_dismiss(ctx: click.Context, cluster_id: str) -> None:
    """Hide an emerging topic for good (it keeps its id and never comes back).

    \b
    Example: cockpit topics dismiss em00007
    """
    import getpass

    from cockpit import store
    from cockpit.discovery.decisions import dismiss

    settings = settings_from(ctx)
    with store.writing(settings, f"topics dismiss {cluster_id}") as con:
        cluster = dismiss(con, cluster_id, by=getpass.getuser())
    click.echo(f"Dismissed {cluster_id} ({cluster['name']}); it will not be shown again.")


def main() -> None:
    """Console-script entry point."""
    import signal

    # `cockpit accounts | head` should end quietly, like any Unix tool, not with BrokenPipeError.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    cli(prog_name="cockpit")


if __name__ == "__main__":
    main()
