"""The potential's inputs, built one way for the score step, the backtest and the benchmark.

`potential_inputs(con, source, as_of, setup, ...)` aggregates the scored relation `source` into
the account × cell counts of the potential window ending at `as_of` (with the counts since each
cell's enabler went live, per `setup`) and the previous window's counts (the interval's mix
drift). The score step passes the whole setup table, the backtest the rows live before its cutoff
(while every account that has setup rows keeps a known setup).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from cockpit import store
from cockpit.scoring import metrics

log = logging.getLogger(__name__)

KEY = ["account_id", *metrics.CELL]
SETUP_COLUMNS = ["account_id", "enabler", "topic_id", "live_since"]


@dataclass(frozen=True)
class PotentialInputs:
    """Everything `potential.potential_for` needs besides its parameters."""

    as_of: dt.date
    cells: pd.DataFrame  # account × cell counts of the window, with known_live / ai_live
    previous: pd.DataFrame  # account × cell counts of the window before
    setup: pd.DataFrame  # the setup rows the estimate may see
    setup_accounts: set[str]  # accounts whose setup is known


def read_setup(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The setup table (account_id, enabler, topic_id, live_since), empty when absent."""
    if not store.table_exists(con, "setup"):
        return pd.DataFrame(columns=SETUP_COLUMNS)
    return con.execute(f"SELECT {', '.join(SETUP_COLUMNS)} FROM setup").df()


def potential_inputs(
    con: duckdb.DuckDBPyConnection,
    source: str,
    as_of: dt.date,
    window_days: int,
    setup: pd.DataFrame,
    setup_accounts: set[str] | None = None,
    tags: str | None = "tags",
    soft: bool = False,
) -> PotentialInputs:
    """Window and previous-window counts per account × cell over `source` (a scored relation),
    with `tag_confidence`: the mean probability, per the tagger, that a known-outcome
    conversation of the cell belongs there (type × topic confidence; 1 for corrected tags, and
    for every conversation when `tags` is None or lacks confidences). `soft`: add the soft type
    counts of `soft_counts` (cells only a type probability reaches get zero hard counts)."""
    start, end = metrics.window_bounds(as_of, window_days)
    cells = metrics.aggregate(
        con,
        source,
        ["account_id", "vertical", *metrics.CELL],
        f"day BETWEEN DATE '{start}' AND DATE '{end}'",
    )
    p0, p1 = metrics.window_bounds(as_of, window_days, back=1)
    previous = metrics.aggregate(
        con, source, ["account_id", *metrics.CELL], f"day BETWEEN DATE '{p0}' AND DATE '{p1}'"
    )
    live = metrics.live_counts(con, source, setup, start, end)
    cells = cells.merge(live, on=KEY, how="left")
    cells = cells.merge(_confidence(con, source, tags, start, end), on=KEY, how="left")
    conf = pd.to_numeric(cells["tag_confidence"], errors="coerce").astype("float64")
    # Rounded: DuckDB's parallel avg() may differ in the last bits from run to run, and the same
    # inputs must give the same database.
    cells["tag_confidence"] = conf.fillna(1.0).clip(0.05, 1.0).round(9)
    soft_df = soft_counts(con, source, setup, start, end, tags) if soft else None
    if soft_df is not None and not soft_df.empty:
        cells = cells.merge(soft_df, on=[*KEY[:1], "vertical", *metrics.CELL], how="outer")
        for col in ("known_outcome", "ai_resolved", "conversations"):
            if col in cells:
                cells[col] = cells[col].fillna(0).astype("int64")
        cells["tag_confidence"] = cells["tag_confidence"].fillna(1.0)
    accounts = set(setup["account_id"]) if setup_accounts is None else set(setup_accounts)
    return PotentialInputs(as_of, cells, previous, setup, accounts)


SOFT_COLUMNS = [
    "known_soft", "ai_soft", "known_live_soft", "ai_live_soft", "topic_conf_soft", "rate_deconv",
]  # fmt: skip
# Pseudo-conversations at the account's own rate in the deconvolution (`deconvolve`): a type the
# tagger gives an account × topic almost no probability mass has no evidence of its own rate and
# falls back to the account's, as the hard noise cleaning assumes; 2, like KNN_PRIOR, is enough
# to keep the 3 × 3 system well posed without pulling a cell of a few conversations.
DECONV_PRIOR = 2.0


def deconvolve(moments: pd.DataFrame, prior: float | None = None) -> pd.DataFrame:
    """Each type's own rate per account × topic, from conversations whose type is uncertain:
    with y_i = 1 when AI-resolved and p_i the type probabilities, E[y_i] = Σ_k p_ik ρ_k, so the
    least-squares ρ solves (Σ_i p_i p_iᵀ + λ I) ρ = Σ_i p_i y_i + λ R (R the account's rate,
    λ = `DECONV_PRIOR`), clipped to [0, 1]. Unlike spreading outcomes by probability, this
    removes what a conversation of another type brings into a cell instead of sharing it.
    Without the prior, Σ_k (Σ_i p_ik) ρ_k = Σ_i y_i: the account's total is kept.
    `moments`: account_id, vertical, topic_id, acc_rate, m_<a>_<b> and b_<a> per type pair."""
    from cockpit.contract import AUTOMATION_TYPES

    lam = DECONV_PRIOR if prior is None else prior
    cols = [*KEY[:1], "vertical", *metrics.CELL, "rate_deconv"]
    if moments.empty:
        return pd.DataFrame(columns=cols)
    types = list(AUTOMATION_TYPES)
    m = np.stack(
        [np.stack([moments[f"m_{a}_{b}"].to_numpy(float) for b in types], 1) for a in types], 1
    )
    rate0 = moments["acc_rate"].to_numpy(float)
    b = np.stack([moments[f"b_{a}"].to_numpy(float) for a in types], 1) + lam * rate0[:, None]
    rho = np.linalg.solve(m + lam * np.eye(len(types))[None], b[..., None])[..., 0]
    rho = np.clip(rho, 0.0, 1.0)
    out = [
        moments[[*KEY[:1], "vertical", "topic_id"]].assign(automation_type=t, rate_deconv=rho[:, j])
        for j, t in enumerate(types)
    ]
    return pd.concat(out, ignore_index=True)[cols]


def soft_counts(
    con, source: str, setup: pd.DataFrame, start: dt.date, end: dt.date, tags: str | None
) -> pd.DataFrame:
    """Soft type assignment per account × cell over the window's known outcomes: each
    conversation counts in every type cell of its topic with the tagger's probability of that
    type (`tags.p_<type>`, migration 14), so its outcome is shared among the cells it may belong
    to. Conversations without probabilities (tagged before migration 14), corrected ones and
    those of non-enabler cells ('unknown' type, 'other' topic) count with weight 1 in their
    tagged cell. Columns: `known_soft`, `ai_soft` (weighted counts), `known_live_soft`,
    `ai_live_soft` (since the cell's enabler went live per `setup`; NaN without a setup row) and
    `topic_conf_soft` (the weighted mean topic confidence). Empty when `tags` lacks the
    probability columns."""
    from cockpit.contract import AUTOMATION_TYPES, ENABLER_FOR_TYPE

    cols = [*KEY[:1], "vertical", *metrics.CELL, *SOFT_COLUMNS]
    if tags is None or not store.table_exists(con, tags):
        return pd.DataFrame(columns=cols)
    names = {r[0] for r in con.execute(f"SELECT * FROM {tags} LIMIT 0").description}
    probs = [f"p_{t}" for t in AUTOMATION_TYPES]
    if not {*probs, "topic_confidence"} <= names:
        return pd.DataFrame(columns=cols)
    if con.execute(f"SELECT count(p_{AUTOMATION_TYPES[0]}) FROM {tags}").fetchall()[0][0] == 0:
        return pd.DataFrame(columns=cols)
    corrected = "coalesce(t.corrected, false)" if "corrected" in names else "false"
    typed = " AND ".join(f"t.{p} IS NOT NULL" for p in probs)
    spread = " UNION ALL ".join(
        f"SELECT account_id, vertical, day, ai, topic_id, '{t}' AS automation_type, "
        f"p_{t} AS w, tconf FROM base WHERE soft"
        for t in AUTOMATION_TYPES
    )
    s = setup[SETUP_COLUMNS].copy() if setup is not None and not setup.empty else None
    if s is None:
        s = pd.DataFrame({c: pd.Series(dtype="str") for c in SETUP_COLUMNS})
    s["live_since"] = pd.to_datetime(s["live_since"])
    enabler_case = (
        "CASE w.automation_type "
        + " ".join(f"WHEN '{t}' THEN '{e}'" for t, e in ENABLER_FOR_TYPE.items())
        + " END"
    )
    base_cte = f"""base AS (
                SELECT s.account_id, s.vertical, s.day, CAST(s.resolved_by = 'ai' AS DOUBLE) AS ai,
                       s.topic_id, s.automation_type,
                       CASE WHEN {corrected} THEN 1.0 ELSE coalesce(t.topic_confidence, 1.0)
                       END AS tconf,
                       s.automation_type IN ({", ".join(f"'{t}'" for t in AUTOMATION_TYPES)})
                       AND s.topic_id <> 'other' AND {typed} AND NOT {corrected} AS soft,
                       {", ".join(f"t.{p}" for p in probs)}
                FROM {source} s LEFT JOIN {tags} t USING (conversation_id)
                WHERE s.day BETWEEN DATE '{start}' AND DATE '{end}' AND s.resolved_by IS NOT NULL
            )"""
    con.register("_soft_setup", s)
    try:
        df = con.execute(
            f"""
            WITH {base_cte}, weighted AS (
                SELECT account_id, vertical, day, ai, topic_id, automation_type, 1.0 AS w, tconf
                FROM base WHERE NOT soft
                UNION ALL {spread}
            ), live AS (
                SELECT account_id, enabler, topic_id,
                       min(coalesce(CAST(live_since AS DATE), DATE '1900-01-01')) AS since
                FROM _soft_setup GROUP BY ALL
            )
            SELECT w.account_id, w.vertical, w.automation_type, w.topic_id,
                   sum(w.w) AS known_soft, sum(w.w * w.ai) AS ai_soft,
                   sum(w.w) FILTER (WHERE w.day >= l.since) AS known_live_soft,
                   sum(w.w * w.ai) FILTER (WHERE w.day >= l.since) AS ai_live_soft,
                   sum(w.w * w.tconf) / nullif(sum(w.w), 0) AS topic_conf_soft,
                   bool_or(l.since IS NOT NULL) AS has_setup_row
            FROM weighted w
            LEFT JOIN live l ON l.account_id = w.account_id AND l.topic_id = w.topic_id
                 AND l.enabler = {enabler_case}
            WHERE w.w > 0
            GROUP BY ALL
            ORDER BY ALL
            """
        ).df()
        moments = con.execute(
            f"""WITH {base_cte}, onehot AS (
                SELECT account_id, vertical, topic_id, automation_type, ai,
                       avg(ai) OVER (PARTITION BY account_id)
                       AS acc_rate, {
                ", ".join(
                    f"CASE WHEN soft THEN p_{t} ELSE CAST(automation_type = '{t}' AS DOUBLE)"
                    f" END AS q_{t}"
                    for t in AUTOMATION_TYPES
                )
            }
                FROM base)
            SELECT account_id, vertical, topic_id, any_value(acc_rate) AS acc_rate,
                   {
                ", ".join(
                    f"sum(q_{a} * q_{b}) AS m_{a}_{b}"
                    for a in AUTOMATION_TYPES
                    for b in AUTOMATION_TYPES
                )
            },
                   {", ".join(f"sum(q_{a} * ai) AS b_{a}" for a in AUTOMATION_TYPES)}
            FROM onehot
            WHERE topic_id <> 'other'
              AND automation_type IN ({", ".join(f"'{t}'" for t in AUTOMATION_TYPES)})
            GROUP BY ALL ORDER BY ALL"""
        ).df()
    finally:
        con.unregister("_soft_setup")
    df = df.merge(deconvolve(moments), on=[*KEY[:1], "vertical", *metrics.CELL], how="left")
    setup_row = df["has_setup_row"].fillna(False).astype(bool)
    for col in ("known_live_soft", "ai_live_soft"):
        df[col] = df[col].where(setup_row, np.nan).fillna(0.0).where(setup_row, np.nan)
    # Rounded: DuckDB's parallel sums may differ in the last bits from run to run.
    for col in SOFT_COLUMNS:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64").round(9)
    return df[cols]


def _confidence(con, source: str, tags: str | None, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Mean tag confidence per account × cell over the window's known outcomes."""
    cols = [*KEY, "tag_confidence"]
    if tags is None or not store.table_exists(con, tags):
        return pd.DataFrame(columns=cols)
    names = {r[0] for r in con.execute(f"SELECT * FROM {tags} LIMIT 0").description}
    if not {"type_confidence", "topic_confidence"} <= names:
        return pd.DataFrame(columns=cols)
    corrected = "coalesce(t.corrected, false)" if "corrected" in names else "false"
    return con.execute(
        f"""
        SELECT s.account_id, s.automation_type, s.topic_id,
               avg(CASE WHEN {corrected} THEN 1.0
                   ELSE coalesce(t.type_confidence, 1.0) * coalesce(t.topic_confidence, 1.0)
                   END) AS tag_confidence
        FROM {source} s LEFT JOIN {tags} t USING (conversation_id)
        WHERE s.day BETWEEN DATE '{start}' AND DATE '{end}' AND s.resolved_by IS NOT NULL
        GROUP BY ALL
        """
    ).df()[cols]


def window_conversations(
    con: duckdb.DuckDBPyConnection,
    source: str,
    as_of: dt.date,
    window_days: int,
    tags: str = "tags",
) -> pd.DataFrame:
    """The window's known-outcome conversations of enabler cells, one row each, for the
    per-conversation counterfactual: account_id, vertical, automation_type, topic_id, `ai`
    (1 when AI-resolved) and the `text_hash` / `model_id` of their embedding (from `tags`)."""
    cols = [*KEY[:1], "vertical", *metrics.CELL, "ai", "text_hash", "model_id"]
    if not store.table_exists(con, tags):
        return pd.DataFrame(columns=cols)
    start, end = metrics.window_bounds(as_of, window_days)
    return con.execute(
        f"""
        SELECT s.account_id, s.vertical, s.automation_type, s.topic_id,
               CAST(s.resolved_by = 'ai' AS INTEGER) AS ai, t.text_hash, t.model_id
        FROM {source} s JOIN {tags} t USING (conversation_id)
        WHERE s.day BETWEEN DATE '{start}' AND DATE '{end}' AND s.resolved_by IS NOT NULL
          AND s.automation_type <> 'unknown' AND s.topic_id <> 'other'
          AND t.text_hash IS NOT NULL
        ORDER BY s.conversation_id
        """
    ).df()[cols]


def window_vectors(
    con: duckdb.DuckDBPyConnection,
    source: str,
    as_of: dt.date,
    window_days: int,
    embeddings_path,
    tags: str = "tags",
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """(window conversations, their cached vectors) for the counterfactual, read through the
    embedding cache API; None (logged) when the cache lacks some of them (the potential then
    uses its cell-level estimate)."""
    from cockpit.embedding.cache import attach_cache, lookup_vectors
    from cockpit.errors import CockpitError

    conv = window_conversations(con, source, as_of, window_days, tags)
    if conv.empty or conv["model_id"].nunique() != 1:
        return None
    try:
        alias = attach_cache(con, embeddings_path)
        vectors = lookup_vectors(con, conv["text_hash"].tolist(), conv["model_id"].iloc[0], alias)
    except CockpitError as exc:
        log.info("Potential: no per-conversation counterfactual (%s)", exc)
        return None
    return conv.drop(columns=["text_hash", "model_id"]), vectors
