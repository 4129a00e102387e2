"""Step `backtest`: score the potential against what happened after a default cutoff.

The cutoff is the store's as-of date minus `backtest.DEFAULT_LOOKBACK_DAYS`; the run is stored in
backtest_runs / backtest_results (one row per cutoff and method, replaced when re-run), which the
app shows as the potential's track record. Cheap: two DuckDB group-bys and small pandas frames.
"""

from __future__ import annotations

import logging

from cockpit.scoring import backtest, metrics
from cockpit.scoring.potential import DEFAULT_PARAMS
from cockpit.store import fingerprint as fp
from pipelines.context import StepContext

log = logging.getLogger(__name__)


# What `run_backtest` reads; their content is fingerprinted (`cockpit.store.fingerprint`).
INPUT_TABLES = ("conversations", "tags", "accounts", "setup", "demo_truth")
CODE_MODULES = (
    "pipelines.backtest",
    *(f"cockpit.scoring.{m}" for m in ("backtest", "counterfactual", "inputs", "metrics")),
    *(f"cockpit.scoring.{m}" for m in ("mixture", "potential")),
)


def inputs_fingerprint(con, embeddings_path) -> str:
    """The fingerprint of everything the default backtest reads."""
    extra = {
        "lookback_days": backtest.DEFAULT_LOOKBACK_DAYS,
        "params": repr(DEFAULT_PARAMS),
        "embeddings": embeddings_path is not None,
    }
    return fp.fingerprint(con, INPUT_TABLES, extra, embeddings_path, CODE_MODULES)


def run(ctx: StepContext) -> dict[str, float]:
    """Pipeline entry point: backtest at the default cutoff, stored on the writer connection."""
    con = ctx.con
    con.execute("CREATE OR REPLACE TEMP VIEW _bt_asof AS " + metrics.scored_relation())
    as_of = metrics.as_of_date(con, "_bt_asof")
    con.execute("DROP VIEW _bt_asof")
    if as_of is None:
        return {"accounts": 0.0}
    ctx.progress.start("backtest", None)
    try:
        value = inputs_fingerprint(con, ctx.settings.embeddings_path)
        if not ctx.full and fp.unchanged(con, "backtest", value):
            log.info("Backtest - inputs unchanged since the last run, skipped")
            return {"skipped": 1}
        bt = backtest.run_backtest(
            con, backtest.default_cutoff(as_of), embeddings_path=ctx.settings.embeddings_path
        )
        backtest.save_backtest(con, bt)
        fp.remember(con, "backtest", value)
    finally:
        ctx.progress.done()
    s = bt.summary
    return {
        "accounts": float(s["n_accounts"]),
        "accounts_realised": float(s["n_realised"]),
        "mae_realised_pts": float(
            s["mae_realised_pts"] if s["mae_realised_pts"] is not None else -1
        ),
        "mae_truth_pts": float(s["mae_truth_pts"] if s["mae_truth_pts"] is not None else -1),
    }
