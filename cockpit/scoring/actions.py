"""Top issues (what holds an account back) and next best actions (what to do about it).

Top issues, per account × cell over the metrics window:
    hours_per_month = human handle time in the cell (hours) scaled to 30 days
    score           = unresolved_per_month · hours_per_unresolved · (0.25 + gap / benchmark)
where unresolved = known outcomes not resolved by the AI, hours_per_unresolved = the cell's handle
time per unresolved conversation (falling back to the account's, then 10 minutes) and gap =
max(0, benchmark − shrunk rate), the shrunk rate = (AI-resolved + 30 · benchmark) / (known + 30).
So a cell ranks high when it costs many human hours, and higher still when peers show the AI
could do much better there. A cell with fewer than `MIN_EVIDENCE_CONVERSATIONS` known outcomes is
flagged `thin_evidence` and ranked after every cell with enough evidence (issues and actions).

Next best actions, per account × cell over the potential window (see `cockpit.scoring.potential`):
- enabler missing and rate below benchmark → kind = the enabler the type needs
  (informational → help_content, personalized → data_connector, action → procedure, or
  approval_step when the topic is sensitive). Never emitted when the enabler is live.
      gain_pts                    = the cell's contribution to the potential (points)
      extra_ai_resolved_per_month = monthly known volume of the cell · gain_pts / (100 · share)
      hours_saved_per_month       = extra_ai_resolved_per_month · hours per unresolved
- enabler live but rate below `QUALITY_RATIO` · benchmark → "quality" (improve what is live),
  with the gain of reaching the benchmark and low confidence;
- AI CSAT in the cell below `POOR_CSAT` (with ≥ `MIN_CSAT_N` answers) → "quality" (no volume gain).
Ranked by gain (the points shown first, the same the potential adds up), then extra
AI-resolved conversations per month; thin-evidence cells after all others.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from cockpit.contract import CELL, ENABLER_FOR_TYPE

log = logging.getLogger(__name__)

KEY = ["account_id", *CELL]
# AI CSAT below 3.5/5 is "poor": halfway between neutral (3) and satisfied (4) on the 1–5 scale.
POOR_CSAT = 3.5
# CSAT answers needed before a cell's AI CSAT counts: with 10 answers its standard error is about
# ±0.4, small enough that 3.5 vs a typical 4.2 is a real difference.
MIN_CSAT_N = 10
# A live enabler "underperforms" below 70% of its benchmark: live cells scatter about ±15% around
# their benchmark (peer spread), so 70% is two spreads below, not noise.
QUALITY_RATIO = 0.7
# Human minutes per unresolved conversation when neither the cell nor the account reports any: a
# typical chat handle time in support operations; only used to rank, never shown as a fact.
DEFAULT_HANDLE_MIN = 10.0
MAX_ISSUES = 10
MAX_ACTIONS = 10
# An enabler action must add at least 0.05 pts to the potential (one conversation in 2,000):
# below that it is a zero-value sentence, not an action.
MIN_GAIN_PTS = 0.05
# Known outcomes a cell needs before it can rank first: with fewer than 20 a rate is ±11 pts
# (binomial at 50%), so the cell is flagged "thin evidence" and ranked after the others.
MIN_EVIDENCE_CONVERSATIONS = 20
# Pseudo-conversations shrinking a cell's rate to its benchmark before it is compared (the same
# weight the potential gives a cell's own rate, `PotentialParams.own_prior`).
SHRINK_CONVERSATIONS = 30.0
# Base weight of a cell's unresolved hours in the issue score before the gap to peers adds to it:
# a costly cell still matters when peers do no better, but a quarter as much as a 100% gap.
BASE_ISSUE_WEIGHT = 0.25
# Action confidence: "high" needs a benchmark from ≥ 5 peer accounts, ≥ 50 of the account's own
# outcomes in the cell and a known setup; "low" below 3 peers or 20 outcomes (thin evidence).
HIGH_PEERS, HIGH_OUTCOMES = 5, 50
LOW_PEERS, LOW_OUTCOMES = 3, MIN_EVIDENCE_CONVERSATIONS

TOP_ISSUE_COLUMNS = [
    "account_id",
    "rank",
    "topic_id",
    "topic",
    "automation_type",
    "conversations",
    "automation_rate",
    "benchmark_rate",
    "trend_pts",
    "spike",
    "unresolved",
    "hours_per_month",
    "score",
    "example_conversation_ids",
    "thin_evidence",
]
ACTION_COLUMNS = [
    "account_id",
    "rank",
    "kind",
    "topic_id",
    "automation_type",
    "extra_ai_resolved_per_month",
    "gain_pts",
    "hours_saved_per_month",
    "confidence",
    "rationale",
    "evidence_conversation_ids",
    "thin_evidence",
]


def _hours_per_unresolved(df: pd.DataFrame) -> pd.Series:
    """Human hours per conversation the AI did not resolve: cell, else account, else default."""
    unresolved = (df["known_outcome"] - df["ai_resolved"]).astype("float64")
    cell = df["handle_time_total_min"] / unresolved.where(unresolved > 0)
    cell = cell.where(cell > 0)
    acc_total = df.groupby("account_id")["handle_time_total_min"].transform("sum")
    acc_unres = unresolved.groupby(df["account_id"]).transform("sum")
    account = acc_total / acc_unres.where(acc_unres > 0)
    return cell.fillna(account.where(account > 0)).fillna(DEFAULT_HANDLE_MIN) / 60.0


def _examples(examples: pd.DataFrame | None, df: pd.DataFrame) -> list[list[str]]:
    if examples is None or examples.empty:
        return [[] for _ in range(len(df))]
    lookup = {
        (a, t, p): list(ids)
        for a, t, p, ids in examples[[*KEY, "conversation_ids"]].itertuples(index=False)
    }
    return [
        lookup.get(k, [])
        for k in zip(df["account_id"], df["automation_type"], df["topic_id"], strict=True)
    ]


def top_issues(
    cells: pd.DataFrame,
    benchmarks: pd.DataFrame,
    vertical_of: dict[str, str],
    examples: pd.DataFrame | None = None,
    topic_names: dict[str, str] | None = None,
    window_days: int = 28,
    limit: int = MAX_ISSUES,
) -> pd.DataFrame:
    """Cells ranked by how much they hold each account back (see module docstring).

    `cells` is `cell_metrics` (current window); `benchmarks` the benchmark table; `examples` has
    account_id, automation_type, topic_id, conversation_ids (a list, deterministic order).
    """
    if cells.empty:
        return pd.DataFrame(columns=TOP_ISSUE_COLUMNS)
    df = cells.copy()
    df["vertical"] = df["account_id"].map(vertical_of).fillna("other")
    df = df.merge(
        benchmarks[["vertical", *CELL, "benchmark_rate"]],
        on=["vertical", *CELL],
        how="left",
    )
    per_month = 30.0 / window_days
    df["unresolved"] = (df["known_outcome"] - df["ai_resolved"]).astype("int64")
    df["hours_per_month"] = df["handle_time_total_min"] / 60.0 * per_month
    bench = df["benchmark_rate"]
    # The cell's rate shrunk to its benchmark, so two conversations cannot make a 100% gap.
    m = SHRINK_CONVERSATIONS
    rate = ((df["ai_resolved"] + m * bench) / (df["known_outcome"] + m)).fillna(
        df["automation_rate"].fillna(0.0)
    )
    gap_ratio = ((bench - rate).clip(lower=0) / bench.where(bench > 0)).fillna(0.0)
    weight = BASE_ISSUE_WEIGHT + gap_ratio
    df["score"] = df["unresolved"] * per_month * _hours_per_unresolved(df) * weight
    df["thin_evidence"] = df["known_outcome"] < MIN_EVIDENCE_CONVERSATIONS
    df = df[df["unresolved"] > 0]
    names = topic_names or {}
    df["topic"] = [names.get(t, t) for t in df["topic_id"]]
    df["example_conversation_ids"] = _examples(examples, df)
    df = df.sort_values(
        ["account_id", "thin_evidence", "score", *CELL], ascending=[True, True, False, True, True]
    )
    df["rank"] = df.groupby("account_id").cumcount() + 1
    df = df[df["rank"] <= limit]
    return df[TOP_ISSUE_COLUMNS].reset_index(drop=True)


def _confidence(row) -> str:
    if row.kind == "quality":
        return "low" if row.gain_pts > 0 else "medium"
    strong = (
        row.n_accounts >= HIGH_PEERS
        and row.known_outcome >= HIGH_OUTCOMES
        and row.status_source == "setup"
    )
    weak = row.n_accounts < LOW_PEERS or row.known_outcome < LOW_OUTCOMES
    return "high" if strong else ("low" if weak else "medium")


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _rationale(row, facts: dict[str, dict]) -> str:
    topic = row.topic
    vs = (
        f"the AI resolves {_pct(row.current_rate)} of {topic} {row.automation_type} conversations "
        f"({_pct(row.share)} of volume) vs {_pct(row.benchmark_rate)} for good {row.vertical} peers"
    )
    extra = f"about {row.extra_ai_resolved_per_month:.0f} more a month"
    if row.kind == "help_content":
        return f"{vs[0].upper()}{vs[1:]}; writing or fixing help content on {topic} could resolve {extra}."
    if row.kind == "data_connector":
        source = facts.get(row.topic_id, {}).get("data_source") or "the data source it needs"
        return f"{vs[0].upper()}{vs[1:]}; connecting {source} would let it answer {extra}."
    if row.kind in ("procedure", "approval_step"):
        how = (
            "a procedure with a human approval step (the topic is sensitive)"
            if row.kind == "approval_step"
            else "a procedure that lets the AI carry these requests out"
        )
        return f"{vs[0].upper()}{vs[1:]}; {how} could resolve {extra}."
    if row.gain_pts > 0:
        return (
            f"{row.enabler.replace('_', ' ').capitalize()} for {topic} is live but {vs}; "
            f"review and improve it to resolve {extra}."
        )
    human = "" if pd.isna(row.csat_human) else f" vs {row.csat_human:.1f} for human-resolved ones"
    return (
        f"Customers rate AI-resolved {topic} {row.automation_type} conversations "
        f"{row.csat_ai:.1f}/5 ({int(row.csat_ai_n)} answers){human}; review the AI's answers there."
    )


def next_best_actions(
    status: pd.DataFrame,
    benchmarks: pd.DataFrame,
    contributions: pd.DataFrame,
    window_days: int,
    topic_facts: dict[str, dict] | None = None,
    examples: pd.DataFrame | None = None,
    topic_names: dict[str, str] | None = None,
    limit: int = MAX_ACTIONS,
) -> pd.DataFrame:
    """Ranked next best actions per account (see module docstring).

    `status` is the potential's cell frame (`potential.enabler_status`, with metric columns),
    `contributions` the `potential_contributions` frame, `topic_facts` maps topic_id →
    {"data_source": str, "sensitive": bool} (from the taxonomy).
    """
    facts = topic_facts or {}
    names = topic_names or {}
    df = status.merge(
        benchmarks[["vertical", *CELL, "benchmark_rate", "n_accounts"]],
        on=["vertical", *CELL],
        how="left",
    ).merge(
        contributions[[*KEY, "share", "current_rate", "target_rate", "contribution_pts"]],
        on=KEY,
        how="inner",
    )
    df["n_accounts"] = df["n_accounts"].fillna(0).astype("int64")
    monthly = df["known_outcome"] * 30.0 / window_days
    hours = _hours_per_unresolved(df)
    bench = df["benchmark_rate"]
    has = df["enabler"].notna() & bench.notna()
    missing = has & ~df["enabler_live"] & (df["contribution_pts"] > MIN_GAIN_PTS)
    weak_live = (
        has
        & df["enabler_live"]
        & (df["current_rate"] < QUALITY_RATIO * bench)
        & (df["known_outcome"] >= MIN_EVIDENCE_CONVERSATIONS)
    )
    poor_csat = (df["csat_ai"] < POOR_CSAT) & (df["csat_ai_n"] >= MIN_CSAT_N)
    # astype(bool): on no rows `map` keeps the str dtype, and bool & str is deprecated (pandas 4)
    sensitive = df["topic_id"].map(lambda t: bool(facts.get(t, {}).get("sensitive", False)))
    sensitive = sensitive.astype(bool)
    kinds = np.where(
        missing,
        np.where(
            (df["automation_type"] == "action") & sensitive,
            "approval_step",
            df["automation_type"].map(ENABLER_FOR_TYPE).fillna(""),
        ),
        np.where(weak_live | poor_csat, "quality", ""),
    )
    df["kind"] = kinds
    df = df[df["kind"] != ""].copy()
    if df.empty:
        return pd.DataFrame(columns=ACTION_COLUMNS)
    monthly, hours = monthly[df.index], hours[df.index]
    # An enabler action gains the cell's contribution to the potential (the same points the
    # potential adds up); a quality action the gap to the benchmark.
    from_potential = (df["contribution_pts"] / (100 * df["share"])).clip(lower=0)
    uplift = np.where(
        df["kind"] == "quality",
        np.where(weak_live[df.index], (bench[df.index] - df["current_rate"]).clip(lower=0), 0.0),
        from_potential,
    )
    df["extra_ai_resolved_per_month"] = monthly * uplift
    df["gain_pts"] = 100 * df["share"] * uplift
    df["thin_evidence"] = df["known_outcome"] < MIN_EVIDENCE_CONVERSATIONS
    df["hours_saved_per_month"] = df["extra_ai_resolved_per_month"] * hours
    # Rounded: DuckDB's parallel sums of handle times may differ in the last bits between runs.
    for col in ("extra_ai_resolved_per_month", "gain_pts", "hours_saved_per_month"):
        df[col] = df[col].round(6)
    df["topic"] = [names.get(t, t) for t in df["topic_id"]]
    df["confidence"] = [_confidence(r) for r in df.itertuples(index=False)]
    df["rationale"] = [_rationale(r, facts) for r in df.itertuples(index=False)]
    df["evidence_conversation_ids"] = _examples(examples, df)
    df = df.sort_values(
        ["account_id", "thin_evidence", "gain_pts", "extra_ai_resolved_per_month", *CELL],
        ascending=[True, True, False, False, True, True],
    )
    df["rank"] = df.groupby("account_id").cumcount() + 1
    df = df[df["rank"] <= limit]
    return df[ACTION_COLUMNS].reset_index(drop=True)
