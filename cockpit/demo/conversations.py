"""One chunk of demo conversations: cell, channel, time of day, outcome, handle time, CSAT.

`draw_conversation_chunk` draws every conversation of a day-aligned chunk from the world's hidden
parameters (the outcome model is the one stated in the `cockpit.demo` module docstring) and asks
`demo_text` for its message; `build_conversation_table` and `build_conversation_truth_table` turn
the chunk into contract-shaped and hidden-truth Arrow tables.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

import cockpit.demo.phrases as ph
from cockpit.demo.params import CSAT_RATE, UNKNOWN_OUTCOME_RATE
from cockpit.demo.slots import S
from cockpit.demo.text import Templates, render_texts
from cockpit.demo.world import (
    CHANNELS,
    LANGS,
    RB_AI,
    RB_HUMAN,
    RB_NONE,
    RB_UNKNOWN,
    REGION_UTC_OFFSET_H,
    RESOLVED_BY,
    TOPICS,
    TYPES,
    World,
)

_HOUR_PROFILE = np.array(
    [0.6, 0.4, 0.3, 0.25, 0.25, 0.4, 0.8, 1.5, 2.6, 3.4, 3.7, 3.6,
     3.2, 3.4, 3.5, 3.3, 3.0, 2.6, 2.2, 2.0, 1.9, 1.7, 1.3, 0.9]
)  # fmt: skip
_CSAT_P = {  # P(csat = 1..5) by outcome class
    "ai": [0.03, 0.04, 0.10, 0.33, 0.50],
    "ai_failed": [0.22, 0.20, 0.25, 0.20, 0.13],
    "human": [0.03, 0.04, 0.10, 0.35, 0.48],
    "none": [0.35, 0.25, 0.20, 0.12, 0.08],
}
_HANDLE_MEDIAN_MIN = np.array([5.0, 8.0, 13.0])  # by automation type

CONVERSATION_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.string()),
        ("account_id", pa.string()),
        ("created_at", pa.timestamp("us")),
        ("text", pa.string()),
        ("channel", pa.string()),
        ("ai_involved", pa.bool_()),
        ("resolved_by", pa.string()),
        ("handed_over", pa.bool_()),
        ("handle_time_minutes", pa.float64()),
        ("csat", pa.int32()),
        ("language", pa.string()),
    ]
)
CONVERSATION_TRUTH_SCHEMA = pa.schema(
    [("conversation_id", pa.string()), ("automation_type", pa.string()), ("topic_id", pa.string())]
)


def _groups(keys: np.ndarray):
    """Yield (key, row indices) for each distinct key, in key order."""
    order = np.argsort(keys, kind="stable")
    uniq, first = np.unique(keys[order], return_index=True)
    bounds = list(first) + [len(keys)]
    for k, key in enumerate(uniq):
        yield int(key), order[bounds[k] : bounds[k + 1]]


def _pick(cum_rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cum_rows, u, side="right"), len(cum_rows) - 1)


def draw_conversation_chunk(
    world: World,
    tpl: Templates,
    dates: tuple[np.ndarray, int],
    day: np.ndarray,
    acc: np.ndarray,
    forced: np.ndarray,
    rng: np.random.Generator,
    offset: int,
) -> dict[str, Any]:
    """Everything about one chunk's conversations, sorted by created_at."""
    n = len(day)
    cell = np.empty(n, dtype=np.int64)
    channel = np.empty(n, dtype=np.int64)
    u_cell, u_ch = rng.random(n), rng.random(n)
    for a, rows in _groups(acc):
        free = rows[forced[rows] < 0]
        cell[free] = _pick(world.mix_cum[a], u_cell[free])
        for ti, trows in _groups(forced[rows]):
            if ti < 0:
                continue
            r = rows[trows]
            tm = world.mix[a, ti * 3 : ti * 3 + 3]
            cell[r] = ti * 3 + _pick(np.cumsum(tm / tm.sum()), u_cell[r])
        channel[rows] = _pick(world.channel_cum[a], u_ch[rows])
    vertical = world.vertical[acc]
    region = world.region[acc]
    ty = cell % 3

    # Local time of day → UTC (the calendar day stays the account's local day).
    hour = rng.choice(24, size=n, p=_HOUR_PROFILE / _HOUR_PROFILE.sum())
    hour = np.where(vertical == ph.VERTICALS.index("gaming"), (hour + 3) % 24, hour)
    local = hour * 3600 + rng.integers(0, 3600, n)
    secs = (local - np.array(REGION_UTC_OFFSET_H)[region] * 3600) % 86400

    live = world.live_day[acc, cell] <= day
    p = np.where(live, world.p_live[acc, cell], world.p_base[acc, cell])
    pi = world.involvement[acc, channel]
    involved = rng.random(n) < pi
    unknown = rng.random(n) < UNKNOWN_OUTCOME_RATE
    ai_res = involved & ~unknown & (rng.random(n) < p)
    u_out = rng.random(n)
    handed = involved & ~ai_res & (u_out < 0.9)
    rb = np.full(n, RB_NONE)
    rb[ai_res] = RB_AI
    rb[~involved & (u_out < 0.92)] = RB_HUMAN
    rb[handed & (rng.random(n) < 0.93)] = RB_HUMAN
    rb[unknown] = RB_UNKNOWN

    ch_factor = np.array([1.0, 1.3, 1.2, 0.9])[channel]
    handle = np.round(rng.lognormal(np.log(_HANDLE_MEDIAN_MIN[ty] * ch_factor), 0.55), 1)
    handle_mask = rb != RB_HUMAN  # pyarrow mask: True = null
    klass = np.where(
        rb == RB_AI, 0, np.where(rb == RB_HUMAN, 2, np.where(involved, 1, 3))
    )  # ai, ai_failed, human, none
    csat = np.zeros(n, dtype=np.int32)
    u_cs = rng.random(n)
    for k, name in enumerate(("ai", "ai_failed", "human", "none")):
        sel = klass == k
        csat[sel] = 1 + _pick(np.cumsum(_CSAT_P[name]), u_cs[sel])
    csat_mask = (rng.random(n) >= CSAT_RATE) | (rb == RB_UNKNOWN)

    text, lang, name = render_texts(tpl, dates, rng, cell, region, vertical, day)

    created = day.astype(np.int64) * 86400 + secs
    order = np.lexsort((acc, created))
    ids = "conv_" + np.strings.zfill((offset + np.arange(n)).astype(S), 8)
    cols = dict(
        day=day, acc=acc, cell=cell, channel=channel, created=created, text=text,
        involved=involved, rb=rb, handed=handed, unknown=unknown, handle=handle,
        handle_mask=handle_mask, csat=csat, csat_mask=csat_mask, lang=lang, pi=pi,
        name=name,
    )  # fmt: skip
    cols = {k: v[order] for k, v in cols.items()}
    cols["id"] = ids
    return cols


def build_conversation_table(world: World, c: dict[str, Any], start_s: int) -> pa.Table:
    """The chunk as a contract-shaped conversations table (`start_s`: period start, epoch s)."""
    rb = c["rb"]
    unknown = rb == RB_UNKNOWN
    return pa.table(
        {
            "conversation_id": pa.array(c["id"]),
            "account_id": pa.array(world.ids[c["acc"]].tolist(), pa.string()),
            "created_at": pa.array((start_s + c["created"]) * 1_000_000, pa.timestamp("us")),
            "text": pa.array(c["text"]),
            "channel": pa.array(np.array(CHANNELS, dtype=object)[c["channel"]].tolist()),
            "ai_involved": pa.array(c["involved"]),
            "resolved_by": pa.array(RESOLVED_BY[rb].tolist(), pa.string(), mask=unknown),
            "handed_over": pa.array(c["handed"], mask=unknown),
            "handle_time_minutes": pa.array(c["handle"], mask=c["handle_mask"]),
            "csat": pa.array(c["csat"], mask=c["csat_mask"]),
            "language": pa.array(np.array(LANGS, dtype=object)[c["lang"]].tolist()),
        },
        schema=CONVERSATION_SCHEMA,
    )


def build_conversation_truth_table(c: dict[str, Any]) -> pa.Table:
    """Each conversation's true (automation_type, topic_id) cell."""
    return pa.table(
        {
            "conversation_id": pa.array(c["id"]),
            "automation_type": pa.array(
                np.array(TYPES, dtype=object)[c["cell"] % 3].tolist(), pa.string()
            ),
            "topic_id": pa.array(
                np.array(TOPICS, dtype=object)[c["cell"] // 3].tolist(), pa.string()
            ),
        },
        schema=CONVERSATION_TRUTH_SCHEMA,
    )
