"""An evaluation book that is not the demo: real customer messages, an independent outcome model.

Used only to evaluate the potential (`bench/potential.py`); never by the product. Texts are real
messages from `../shared/data` (Bitext for e-commerce, CLINC150 and MultiDoGo finance for fintech),
read at run time. The outcome model below was written for this book, without looking at how the
estimator works, and differs from the demo's on purpose:

- every intent has its own rate with and without its enabler (rates vary within a topic), on the
  logit scale: live = type level + intent deviation, not live = live − a type-dependent gap;
- accounts differ in quality (a logit shift on every conversation), AI involvement, unknown-outcome
  share, channel mix, volume (lognormal), volume drift over the period and topic-mix drift;
- 30% of accounts have every enabler fully live before the period; the others' enablers are
  deployed per (enabler, topic) unit: live before the period, going live during it
  (the AI ramps up over `RAMP_DAYS`), or never; a quarter of deployments are partial (they cover
  only some intents of the topic, the rest behave as not live);
- `setup` is given for `SETUP_SHARE` of the accounts, and wrong for `SETUP_WRONG_SHARE` of those
  (a live unit left out, or a unit listed that is not live); partial deployments look fully live;
- seasonality: weekday volume, a month-level volume wave and a peak season in which the AI does
  a little worse; unknown outcomes; out-of-scope messages no enabler helps.

Truth: per account, over the last `TRUTH_WINDOW_DAYS` days, the expected automation rate
(AI-resolved / known outcome) if every enabler were fully live, on the account's own mix, channels,
quality and season: mean over the window's known-outcome conversations of
P(involved) · sigmoid(quality + channel + season + live logit of the intent).
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bench.evalbook.intents import Intent, load_intents

TRUTH_WINDOW_DAYS = 90
RAMP_DAYS = 14
SETUP_SHARE = 0.6
SETUP_WRONG_SHARE = 0.25
PARTIAL_SHARE = 0.25
COMPLETE_SHARE = 0.3
# Logit of resolution with the enabler live, per type (mean of intents), and the drop without it.
LIVE_LOGIT = {"informational": 1.3, "personalized": 0.7, "action": 0.1, "unknown": -1.2}
NOT_LIVE_GAP = {"informational": 2.0, "personalized": 2.8, "action": 3.4, "unknown": 0.0}
CHANNELS = ("chat", "email", "phone")
CHANNEL_P = (0.7, 0.2, 0.1)
CHANNEL_LOGIT = {"chat": 0.0, "email": -0.3, "phone": -0.8}
CHANNEL_INVOLVEMENT = {"chat": 1.0, "email": 0.9, "phone": 0.6}
ENABLER = {"informational": "help_content", "personalized": "data_connector", "action": "procedure"}
DATA_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@dataclass(frozen=True)
class Book:
    """Where the files went and the book's size."""

    directory: Path
    n_accounts: int
    n_conversations: int


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def generate(
    out_dir: Path,
    data_dir: Path = DATA_DIR,
    accounts: int = 36,
    days: int = 182,
    conversations: int = 30_000,
    seed: int = 11,
    end: dt.date = dt.date(2026, 10, 31),
) -> Book:
    """Write accounts/conversations/setup Parquet files (the data contract) and the truth files
    (`truth/evalbook_truth.parquet`, `truth/evalbook_conversation_truth.parquet`) into `out_dir`."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 15]))
    out_dir.mkdir(parents=True, exist_ok=True)
    intents: list[Intent] = load_intents(Path(data_dir))
    start = end - dt.timedelta(days=days - 1)
    verticals = np.array(["ecommerce", "fintech"])[np.arange(accounts) % 2]

    # Intent-level rates (vary within a topic).
    live_logit = np.array([LIVE_LOGIT[i.automation_type] + rng.normal(0, 0.7) for i in intents])
    gap = np.array([max(NOT_LIVE_GAP[i.automation_type] + rng.normal(0, 0.4), 0) for i in intents])
    popularity = rng.lognormal(0, 0.6, len(intents))
    units = sorted(
        {
            (i.vertical, ENABLER[i.automation_type], i.topic_id)
            for i in intents
            if i.topic_id != "other"
        }
    )
    unit_of = [
        units.index((i.vertical, ENABLER[i.automation_type], i.topic_id))
        if i.topic_id != "other"
        else -1
        for i in intents
    ]

    acc_rows, setup_rows, conv_frames, truth_rows = [], [], [], []
    day_index = np.arange(days)
    dates = np.array([start + dt.timedelta(days=int(d)) for d in day_index])
    weekday = np.array([d.weekday() for d in dates])
    peak = days - 60 + rng.integers(-20, 20)  # a peak season somewhere in the last months
    season_logit = -0.3 * np.exp(-(((day_index - peak) / 12.0) ** 2))
    volume_wave = 1 + 0.2 * np.sin(2 * np.pi * day_index / 91 + rng.uniform(0, 6.3))
    weekly = np.where(weekday >= 5, 0.6, 1.0)
    base_volume = rng.lognormal(0, 0.6, accounts)
    base_volume *= conversations / (base_volume.sum() * (weekly * volume_wave).sum())
    conv_id = 0
    for a in range(accounts):
        aid = f"ev{a:03d}"
        vertical = verticals[a]
        mine = np.array([k for k, i in enumerate(intents) if i.vertical == vertical])
        quality = rng.normal(0, 0.5)
        involvement = rng.uniform(0.78, 0.97)
        unknown = rng.uniform(0.02, 0.12)
        complete = rng.uniform() < COMPLETE_SHARE  # every enabler live, fully, before the period
        maturity = 1.0 if complete else rng.beta(2, 2)
        drift = rng.uniform(-0.4, 0.4)
        mix0 = rng.dirichlet(np.full(len(mine), 1.5)) * popularity[mine]
        mix1 = 0.6 * mix0 / mix0.sum() + 0.4 * rng.dirichlet(np.full(len(mine), 1.5))
        mix0, mix1 = mix0 / mix0.sum(), mix1 / mix1.sum()
        # Deployment per unit: live since (day index; -inf = before the period), coverage.
        live_day: dict[int, float] = {}
        covered: dict[int, set[int]] = {}
        for u in {unit_of[k] for k in mine if unit_of[k] >= 0}:
            r = rng.uniform()
            if r < maturity:
                live_day[u] = -np.inf
            elif r < maturity + (1 - maturity) * 0.35:
                live_day[u] = float(rng.integers(20, days - 20))
            else:
                continue
            members = [k for k in mine if unit_of[k] == u]
            if not complete and len(members) > 1 and rng.uniform() < PARTIAL_SHARE:
                keep = rng.uniform(size=len(members)) < 0.5
                keep[rng.integers(len(members))] = True
                covered[u] = {k for k, ok in zip(members, keep, strict=True) if ok}
            else:
                covered[u] = set(members)
        # Setup: given for some accounts, wrong for some of those.
        has_setup = rng.uniform() < SETUP_SHARE
        setup_wrong = bool(has_setup and rng.uniform() < SETUP_WRONG_SHARE)
        if has_setup:
            listed = dict(live_day)
            if setup_wrong:
                all_units = sorted({unit_of[k] for k in mine if unit_of[k] >= 0})
                absent = [u for u in all_units if u not in listed]
                if listed and (not absent or rng.uniform() < 0.5):
                    listed.pop(sorted(listed)[rng.integers(len(listed))])
                else:
                    listed[absent[rng.integers(len(absent))]] = -np.inf
            for u, d in sorted(listed.items()):
                _, enabler, topic = units[u]
                since = None
                if np.isfinite(d):
                    since = start + dt.timedelta(days=int(d))
                elif rng.uniform() < 0.5:
                    since = start - dt.timedelta(days=int(rng.integers(30, 400)))
                setup_rows.append((aid, enabler, topic, since))
        # Conversations.
        trend = 1 + drift * (day_index / (days - 1) - 0.5)
        counts = rng.poisson(base_volume[a] * weekly * volume_wave * trend)
        day = np.repeat(day_index, counts)
        n = len(day)
        frac = day / (days - 1)
        u01 = rng.uniform(size=n)
        cum0, cum1 = np.cumsum(mix0), np.cumsum(mix1)
        pick0 = np.minimum(np.searchsorted(cum0, u01), len(mine) - 1)
        pick1 = np.minimum(np.searchsorted(cum1, u01), len(mine) - 1)
        intent = mine[np.where(rng.uniform(size=n) < frac, pick1, pick0)]
        channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_P)
        ch_logit = np.array([CHANNEL_LOGIT[c] for c in CHANNELS])[channel]
        ch_inv = np.array([CHANNEL_INVOLVEMENT[c] for c in CHANNELS])[channel]
        # How live each conversation's own enabler is (0 = not, 1 = fully, ramping in between).
        live_frac = np.zeros(n)
        for k in np.unique(intent):
            rows = intent == k
            u = unit_of[k]
            if u < 0:
                live_frac[rows] = 1.0  # out of scope: nothing to deploy
            elif u in live_day and k in covered.get(u, set()):
                live_frac[rows] = np.clip((day[rows] - live_day[u]) / RAMP_DAYS, 0, 1)
        base = quality + ch_logit + season_logit[day]
        p_now = _sigmoid(base + live_logit[intent] - (1 - live_frac) * gap[intent])
        p_full = _sigmoid(base + live_logit[intent])
        p_inv = involvement * ch_inv
        involved = rng.uniform(size=n) < p_inv
        known = rng.uniform(size=n) >= unknown
        ai = involved & known & (rng.uniform(size=n) < p_now)
        resolved = np.where(
            ~known, None, np.where(ai, "ai", np.where(rng.uniform(size=n) < 0.96, "human", "none"))
        )
        human = known & ~ai
        handle = np.where(human, np.round(rng.lognormal(2.0, 0.6, n), 1), np.nan)
        csat = np.where(rng.uniform(size=n) < 0.3, rng.integers(1, 6, n), 0)
        ts = [
            dt.datetime.combine(dates[d], dt.time()) + dt.timedelta(seconds=int(s))
            for d, s in zip(day, rng.integers(0, 86400, n), strict=True)
        ]
        texts = [intents[k].texts[rng.integers(len(intents[k].texts))] for k in intent]
        ids = [f"evc{conv_id + j:07d}" for j in range(n)]
        conv_id += n
        conv_frames.append(
            pd.DataFrame(
                {
                    "conversation_id": ids,
                    "account_id": aid,
                    "created_at": ts,
                    "text": texts,
                    "channel": [CHANNELS[c] for c in channel],
                    "ai_involved": involved,
                    "resolved_by": resolved,
                    "handed_over": involved & known & ~ai,
                    "handle_time_minutes": handle,
                    "csat": pd.array(np.where(csat > 0, csat, pd.NA), dtype="Int64"),
                    "language": "en",
                    "_intent": [intents[k].name for k in intent],
                    "_type": [intents[k].automation_type for k in intent],
                    "_topic": [intents[k].topic_id for k in intent],
                    # P(AI-resolved | known outcome) with every enabler fully live, and now:
                    # the per-conversation truth behind a cell's target and its own rate.
                    "_p_full": p_inv * p_full,
                    "_p_now": p_inv * p_now,
                }
            )
        )
        window = (day >= days - TRUTH_WINDOW_DAYS) & known
        missing_units = sum(
            1
            for u in {unit_of[k] for k in np.unique(intent[window]) if unit_of[k] >= 0}
            if u not in live_day
            or live_day[u] > days - 1
            or any(k not in covered[u] for k in np.unique(intent[window]) if unit_of[k] == u)
        )
        truth_rows.append(
            {
                "account_id": aid,
                "vertical": vertical,
                "achievable_automation_rate": float((p_inv * p_full)[window].mean()),
                "automation_rate_end": float(ai[window].mean()),
                "n_window_known": int(window.sum()),
                "has_setup": has_setup,
                "setup_wrong": setup_wrong,
                "missing_units": int(missing_units),
                "quality": float(quality),
            }
        )
        acc_rows.append(
            {
                "account_id": aid,
                "name": f"Eval {vertical.title()} {a:02d}",
                "vertical": vertical,
                "plan": ["starter", "growth", "enterprise"][a % 3],
                "arr_usd": float(np.round(rng.lognormal(11, 0.8), -2)),
                "csm": f"CSM {a % 4}",
                "region": ["EMEA", "NA", "APAC"][a % 3],
                "renewal_date": end + dt.timedelta(days=int(rng.integers(10, 360))),
            }
        )
    conv = pd.concat(conv_frames, ignore_index=True)
    truth_dir = out_dir / "truth"
    truth_dir.mkdir(exist_ok=True)
    hidden = ["_intent", "_type", "_topic", "_p_full", "_p_now"]
    conv.drop(columns=hidden).to_parquet(out_dir / "conversations.parquet", index=False)
    conv[["conversation_id", *hidden]].rename(
        columns={
            "_intent": "intent",
            "_type": "automation_type",
            "_topic": "topic_id",
            "_p_full": "p_full",
            "_p_now": "p_now",
        }
    ).to_parquet(truth_dir / "evalbook_conversation_truth.parquet", index=False)
    pd.DataFrame(acc_rows).to_parquet(out_dir / "accounts.parquet", index=False)
    pd.DataFrame(
        setup_rows, columns=["account_id", "enabler", "topic_id", "live_since"]
    ).to_parquet(out_dir / "setup.parquet", index=False)
    pd.DataFrame(truth_rows).to_parquet(truth_dir / "evalbook_truth.parquet", index=False)
    return Book(out_dir, accounts, len(conv))


def main() -> None:
    """`python -m bench.evalbook.generate OUT_DIR`: write the evaluation book."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir", type=Path)
    p.add_argument("--data", type=Path, default=DATA_DIR)
    p.add_argument("--accounts", type=int, default=36)
    p.add_argument("--conversations", type=int, default=30_000)
    p.add_argument("--seed", type=int, default=11)
    a = p.parse_args()
    book = generate(a.out_dir, a.data, a.accounts, conversations=a.conversations, seed=a.seed)
    print(
        f"wrote {book.n_accounts} accounts, {book.n_conversations} conversations to {book.directory}"
    )


if __name__ == "__main__":
    main()
