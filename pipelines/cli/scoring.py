"""`cockpit accounts`, `cockpit account`, `cockpit backtest`."""

from __future__ import annotations

import click

from cockpit import formats as f
from pipelines.cli.group import cli, echo_json, settings_from


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
            f"{r['conversations']:>7} {f.pct(r['automation_rate'], 1):>10} "
            f"{f.pct(r['potential'], 1):>9} {f.pts(r['gap_pts']):>10}"
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
        f"  automation {f.pct(perf['automation_rate'], 1)} ({f.pts(perf['automation_rate_change_pts'])}) · "
        f"involvement {f.pct(perf['involvement_rate'], 1)} · AI resolution {f.pct(perf['ai_resolution_rate'], 1)}"
    )
    csat_ai = "—" if perf["csat_ai"] is None else f"{perf['csat_ai']:.2f}"
    csat_h = "—" if perf["csat_human"] is None else f"{perf['csat_human']:.2f}"
    ht = perf["median_handle_time_minutes"]
    click.echo(
        f"  CSAT AI {csat_ai} · human {csat_h} · median handle time "
        + ("—" if ht is None else f"{ht:.1f} min")
    )
    click.echo(
        f"potential {f.pct(pot['automation_rate'], 1)} (range {f.pct(pot['low'], 1)}–{f.pct(pot['high'], 1)}), "
        f"gap {f.pts(pot['gap_pts'])}"
    )
    if pot["method"]:
        click.echo(f"  {pot['method']}")
    click.echo(
        "mix: " + ", ".join(f"{m['automation_type']} {f.pct(m['share'], 1)}" for m in r["mix"])
    )
    click.echo("top issues:")
    for i, t in enumerate(r["top_issues"], 1):
        flag = " SPIKE" if t["spike"] else ""
        click.echo(
            f"  {i}. {t['topic']} ({t['automation_type']}): {t['conversations']} convs, "
            f"automation {f.pct(t['automation_rate'], 1)} vs benchmark {f.pct(t['benchmark_rate'], 1)}, "
            f"trend {f.pts(t['trend_pts'])}{flag}"
        )
    click.echo("next best actions:")
    for a in r["next_best_actions"]:
        click.echo(
            f"  {a['rank']}. {a['kind']} · {a['topic_id']} ({a['automation_type']}): "
            f"+{a['extra_ai_resolved_per_month']:.0f} AI-resolved/month, {f.pts(a['gain_pts'])}, "
            f"{a['hours_saved_per_month']:.1f} h/month saved, confidence {a['confidence']}"
        )
        click.echo(f"     {a['rationale']}")


@cli.command("backtest")
@click.option(
    "--cutoff",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Predict with data before this date (default: the Monday on or before as-of minus 90 days).",
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
    from cockpit import store
    from cockpit.scoring import backtest, metrics

    settings = settings_from(ctx)
    with store.writing(settings, "backtest") as con:
        if cutoff is None:
            as_of = metrics.store_as_of(con)
            if as_of is None:
                from cockpit.errors import NoDataError

                raise NoDataError()
            day = backtest.default_cutoff(as_of)
        else:
            day = cutoff.date()
        bt = backtest.run_backtest(con, day, embeddings_path=settings.embeddings_path)
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
