"""Step `backtest`: score the potential against what happened after a default cutoff.

The cutoff is the Monday on or before the store's as-of date minus
`backtest.DEFAULT_LOOKBACK_DAYS` (`backtest.default_cutoff`); the run is stored in backtest_runs /
backtest_results (one row per cutoff and method, replaced when re-run), which the app shows as
the potential's track record.

Two fingerprints (`cockpit.store.fingerprint`) keep a nightly run cheap:
- the prediction's: the conversations dated before the cutoff with their tags, `accounts`,
  `setup`, the cutoff, the parameters and the scoring code. While it holds (six nights of
  seven, unless late data or a correction lands before the cutoff) the prediction is read from
  `$COCKPIT_HOME/models/backtest-<key>.pkl` instead of recomputed; only the realised side (two
  DuckDB group-bys) runs. The file is Cockpit's own cache, like the fitted tagger's: replaced
  atomically, an unreadable one is recomputed, never fatal.
- the step's: the prediction's plus the conversations from the cutoff on, with their tags, and
  `demo_truth`. When it equals the stored one, nothing the step writes would change: it skips.
The embedding cache is not fingerprinted: its rows are immutable per (model, text hash) and
the tags name each conversation's text hash and model, so a new model shows in the tags.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cockpit import store
from cockpit.scoring import backtest, metrics
from cockpit.scoring.potential import DEFAULT_PARAMS
from cockpit.store import fingerprint as fp
from cockpit.store import pickles
from pipelines.context import StepContext

log = logging.getLogger(__name__)

CODE_MODULES = (
    *(f"cockpit.scoring.{m}" for m in ("backtest", "counterfactual", "inputs", "metrics")),
    *(f"cockpit.scoring.{m}" for m in ("mixture", "potential")),
)
CACHE_PREFIX = "backtest-"


def _rows(con, cutoff, before: bool) -> str:
    """Conversations (with their tags) dated before `cutoff`, or the others (undated included)."""
    tags = store.table_exists(con, "tags")
    sql = "SELECT c" + (", t" if tags else "") + " FROM conversations c"
    if tags:
        sql += " LEFT JOIN tags t ON t.conversation_id = c.conversation_id"
    test = f"coalesce(c.created_at < TIMESTAMP '{cutoff}', false)"
    return f"{sql} WHERE {test if before else 'NOT ' + test}"


def fingerprints(con, cutoff, embeddings_path) -> tuple[str, str]:
    """(the prediction's fingerprint, the step's) at `cutoff` (see the module docstring)."""
    extra = {
        "cutoff": str(cutoff),
        "lookback_days": backtest.DEFAULT_LOOKBACK_DAYS,
        "params": repr(DEFAULT_PARAMS),
        "embeddings": embeddings_path is not None,
    }
    before = {"before": _rows(con, cutoff, before=True)}
    prediction = fp.fingerprint(
        con, ("accounts", "setup"), extra, modules=CODE_MODULES, relations=before
    )
    step = fp.fingerprint(
        con,
        ("demo_truth",),
        {"prediction": prediction},
        modules=("pipelines.backtest",),
        relations={"after": _rows(con, cutoff, before=False)},
    )
    return prediction, step


def inputs_fingerprint(con, embeddings_path) -> str:
    """The step's fingerprint at the default cutoff ("empty" when nothing is scored)."""
    as_of = metrics.store_as_of(con)
    if as_of is None:
        return "empty"
    return fingerprints(con, backtest.default_cutoff(as_of), embeddings_path)[1]


def cached_prediction(
    models_dir: Path, key: str, compute, recompute: bool = False
) -> tuple[backtest.Prediction, bool]:
    """(the prediction stored under `key`, True), else (`compute()`, False) stored under it
    (older backtest caches are removed: one cutoff is live at a time). `recompute` ignores a
    stored one (`refresh --full`)."""
    path = Path(models_dir) / f"{CACHE_PREFIX}{key[:20]}.pkl"
    prediction, reused = pickles.cached(path, compute, recompute=recompute)
    for old in path.parent.glob(f"{CACHE_PREFIX}*.pkl"):
        if old != path:
            old.unlink(missing_ok=True)
    return prediction, reused


def run(ctx: StepContext) -> dict[str, float]:
    """Pipeline entry point: backtest at the default cutoff, stored on the writer connection."""
    con = ctx.con
    as_of = metrics.store_as_of(con)
    if as_of is None:
        return {"accounts": 0.0}
    ctx.progress.start("backtest", None)
    try:
        cutoff = backtest.default_cutoff(as_of)
        embeddings = ctx.settings.embeddings_path
        pred_key, step_key = fingerprints(con, cutoff, embeddings)
        if not ctx.full and fp.unchanged(con, "backtest", step_key):
            log.info("Backtest - inputs unchanged since the last run, skipped")
            return {"skipped": 1}

        def compute() -> backtest.Prediction:
            return backtest.predict_at_cutoff(con, cutoff, embeddings_path=embeddings)

        prediction, reused = cached_prediction(
            ctx.settings.home / "models", pred_key, compute, recompute=ctx.full
        )
        if reused:
            log.info("Backtest - prediction at %s reused (its inputs are unchanged)", cutoff)
        bt = backtest.run_backtest(con, cutoff, embeddings_path=embeddings, prediction=prediction)
        backtest.save_backtest(con, bt)
        fp.remember(con, "backtest", step_key)
    finally:
        ctx.progress.done()
    s = bt.summary
    return {
        "accounts": float(s["n_accounts"]),
        "accounts_realised": float(s["n_realised"]),
        "prediction_reused": float(reused),
        "mae_realised_pts": float(
            s["mae_realised_pts"] if s["mae_realised_pts"] is not None else -1
        ),
        "mae_truth_pts": float(s["mae_truth_pts"] if s["mae_truth_pts"] is not None else -1),
    }
