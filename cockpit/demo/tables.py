"""The demo's small tables: accounts, known setup, hidden truth, and the late export's bad rows.

Written once per workspace after the conversations, from the world and the per-account counters
that `generate` accumulates over the truth window (see the `cockpit.demo` module docstring).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

import cockpit.demo.phrases as ph
from cockpit import contract
from cockpit.demo.world import CELLS, REGIONS, World, live_since

# Deliberately bad rows in conversations_late_export.csv (what each one should trip).
LATE_EXPORT_PROBLEMS = (
    "unknown account",
    "unknown account",
    "unknown account",
    "bad date",
    "bad date",
    "csat 9",
    "csat 9",
    "empty text",
    "empty text",
    "invalid resolved_by",
)


def build_accounts_table(world: World) -> pa.Table:
    """The contract-shaped accounts table."""
    return pa.table(
        {
            "account_id": pa.array(world.ids.tolist(), pa.string()),
            "name": pa.array(world.names, pa.string()),
            "vertical": pa.array([ph.VERTICALS[v] for v in world.vertical], pa.string()),
            "plan": pa.array(world.plan, pa.string()),
            "arr_usd": pa.array(world.arr, pa.float64()),
            "csm": pa.array(world.csm, pa.string()),
            "region": pa.array([REGIONS[r] for r in world.region], pa.string()),
            "renewal_date": pa.array(world.renewal, pa.date32()),
        }
    )


def build_setup_table(world: World, rng: np.random.Generator) -> pa.Table:
    """Enablers live by the end, for the accounts whose setup is known (~5% without a date)."""
    rows: dict[str, list] = {"account_id": [], "enabler": [], "topic_id": [], "live_since": []}
    for a in np.flatnonzero(world.known_setup):
        for ci, (ty, topic) in enumerate(CELLS):
            if world.mix[a, ci] <= 0 or world.live_day[a, ci] >= world.n_days:
                continue
            rows["account_id"].append(world.ids[a])
            rows["enabler"].append(contract.ENABLER_FOR_TYPE[ty])
            rows["topic_id"].append(topic)
            rows["live_since"].append(None if rng.random() < 0.05 else live_since(world, a, ci))
    return pa.table(
        {
            "account_id": pa.array(rows["account_id"], pa.string()),
            "enabler": pa.array(rows["enabler"], pa.string()),
            "topic_id": pa.array(rows["topic_id"], pa.string()),
            "live_since": pa.array(rows["live_since"], pa.date32()),
        }
    )


def build_truth_tables(
    world: World,
    win_n: np.ndarray,
    win_ai: np.ndarray,
    win_exp: np.ndarray,
    win_cells: np.ndarray,
) -> tuple[pa.Table, pa.Table]:
    """`demo_truth` and `demo_truth_cells` from the truth-window counters (per account / cell)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        achievable = win_exp / win_n
        realised = win_ai / win_n
        share = win_cells / win_n[:, None]
    truth = pa.table(
        {
            "account_id": pa.array(world.ids.tolist(), pa.string()),
            "achievable_automation_rate": pa.array(achievable, pa.float64(), from_pandas=True),
            "automation_rate_end": pa.array(realised, pa.float64(), from_pandas=True),
        }
    )
    cols: dict[str, list] = {k: [] for k in ("a", "ty", "t", "share", "live", "base", "since")}
    for a in range(len(world.ids)):
        for ci, (ty, topic) in enumerate(CELLS):
            if world.mix[a, ci] <= 0:
                continue
            cols["a"].append(world.ids[a])
            cols["ty"].append(ty)
            cols["t"].append(topic)
            cols["share"].append(float(share[a, ci]) if win_n[a] else None)
            cols["live"].append(float(world.p_live[a, ci]))
            cols["base"].append(float(world.p_base[a, ci]))
            cols["since"].append(live_since(world, a, ci))
    cells = pa.table(
        {
            "account_id": pa.array(cols["a"], pa.string()),
            "automation_type": pa.array(cols["ty"], pa.string()),
            "topic_id": pa.array(cols["t"], pa.string()),
            "share": pa.array(cols["share"], pa.float64()),
            "p_live": pa.array(cols["live"], pa.float64()),
            "p_base": pa.array(cols["base"], pa.float64()),
            "live_since": pa.array(cols["since"], pa.date32()),
        }
    )
    return truth, cells


def write_late_export(path: Path, world: World, end_date: date) -> None:
    """Deliberately bad rows (see LATE_EXPORT_PROBLEMS) so Data health has a quarantine."""
    header = list(contract.CONVERSATIONS.names)
    good = {
        "account_id": world.ids[0],
        "created_at": f"{end_date.isoformat()}T16:20:00",
        "text": "Hi, where is my refund? It's been two weeks.",
        "channel": "email",
        "ai_involved": "true",
        "resolved_by": "human",
        "handed_over": "true",
        "handle_time_minutes": "7.5",
        "csat": "4",
        "language": "en",
    }
    bad = [
        {"account_id": "acc_9999"},
        {"account_id": "acc_9999", "text": "Can't log in since this morning"},
        {"account_id": "ACME-OLD-7"},
        {"created_at": "2026-13-45T10:00:00"},
        {"created_at": "last tuesday"},
        {"csat": "9"},
        {"csat": "9", "text": "great service thanks"},
        {"text": ""},
        {"text": "   "},
        {"resolved_by": "robot"},
    ]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for k, override in enumerate(bad):
            row = {**good, **override, "conversation_id": f"late_{k + 1:04d}"}
            w.writerow([row.get(c, "") for c in header])
