"""A small, realistic store for the app's tests, built in code (no pipeline needed).

`build_app_store(settings)` writes five accounts across two verticals (ecommerce, fintech) and two
CSMs, eight weeks of weekly metrics, cells, top issues, actions, potential, benchmarks, a sample of
tagged conversations, a run log, quarantined rows and a backtest — every table following the
schemas in docs/architecture.md — through `store.writing(settings)` so migrations run.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cockpit import store
from cockpit.contract import ENABLER_FOR_TYPE
from cockpit.settings import Settings

AS_OF = date(2026, 11, 22)  # a Sunday: the last complete week starts Monday 2026-11-16
WEEKS = [date(2026, 9, 28) + timedelta(weeks=i) for i in range(8)]
WINDOW_DAYS = 28


@dataclass(frozen=True)
class FixtureAccount:
    account_id: str
    name: str
    vertical: str
    plan: str
    arr_usd: float
    csm: str
    region: str
    renewal_date: date
    weekly_volume: int
    automation_start: float  # automation rate eight weeks ago
    automation_end: float  # automation rate in the last week
    potential: float


ACCOUNTS = [
    FixtureAccount("acme", "Acme Retail", "ecommerce", "Enterprise", 240_000, "Dana Diaz", "EMEA", date(2027, 2, 15), 1200, 0.38, 0.46, 0.68),
    FixtureAccount("globex", "Globex Shop", "ecommerce", "Growth", 120_000, "Sam Lee", "NA", date(2027, 6, 1), 600, 0.52, 0.41, 0.63),
    FixtureAccount("vandelay", "Vandelay Imports", "ecommerce", "Starter", 60_000, "Sam Lee", "NA", date(2027, 9, 30), 250, 0.30, 0.33, 0.47),
    FixtureAccount("initech", "Initech Bank", "fintech", "Enterprise", 480_000, "Dana Diaz", "EMEA", date(2027, 1, 10), 2400, 0.29, 0.35, 0.61),
    FixtureAccount("umbrella", "Umbrella Pay", "fintech", "Growth", 90_000, "Sam Lee", "APAC", date(2027, 4, 20), 400, 0.44, 0.47, 0.55),
]  # fmt: skip

TOPIC_NAMES = {
    "account_access": ("Account access & settings", None),
    "billing": ("Billing & invoices", None),
    "how_to": ("How-to questions", None),
    "contact": ("Contact & opening hours", None),
    "orders": ("Orders", "ecommerce"),
    "shipping": ("Shipping & delivery", "ecommerce"),
    "returns": ("Returns & refunds", "ecommerce"),
    "payments": ("Payments", "ecommerce"),
    "cards": ("Cards", "fintech"),
    "transfers": ("Transfers", "fintech"),
    "fees_fx": ("Fees & FX", "fintech"),
    "fraud_disputes": ("Fraud & disputes", "fintech"),
    "other": ("Other / unsure", None),
}

# (automation_type, topic_id, share, benchmark automation rate) per vertical.
CELLS = {
    "ecommerce": [
        ("personalized", "orders", 0.24, 0.62),
        ("informational", "shipping", 0.16, 0.80),
        ("action", "returns", 0.15, 0.45),
        ("personalized", "shipping", 0.12, 0.58),
        ("informational", "returns", 0.10, 0.78),
        ("action", "account_access", 0.08, 0.40),
        ("informational", "billing", 0.08, 0.75),
        ("personalized", "payments", 0.07, 0.50),
    ],
    "fintech": [
        ("personalized", "cards", 0.22, 0.55),
        ("action", "cards", 0.14, 0.35),
        ("personalized", "transfers", 0.16, 0.52),
        ("informational", "fees_fx", 0.14, 0.82),
        ("action", "fraud_disputes", 0.10, 0.25),
        ("informational", "how_to", 0.10, 0.78),
        ("action", "account_access", 0.08, 0.42),
        ("informational", "contact", 0.06, 0.85),
    ],
}

TEXTS = {
    "orders": [
        "where is my order [ORDER_ID], it says processing since monday",
        "can you check the status of order [ORDER_ID]",
        "my order arrived with an item missing",
    ],
    "shipping": [
        "how long does standard shipping take to [CITY]",
        "do you ship to norway",
        "tracking for my parcel has not moved for 4 days",
    ],
    "returns": [
        "i want to return the shoes from order [ORDER_ID]",
        "please start a refund for my jacket",
        "what is your return policy for sale items",
    ],
    "account_access": [
        "please change the email on my account to [EMAIL]",
        "i am locked out after too many attempts",
        "delete my account please",
    ],
    "billing": [
        "where can i download my invoice",
        "why was i charged twice this month",
        "can i get a vat invoice",
    ],
    "payments": [
        "my payment with card ending [CARD] was declined",
        "do you accept paypal",
        "was my payment for order [ORDER_ID] received",
    ],
    "cards": [
        "freeze my card ending [CARD] now",
        "why was my card declined at the supermarket",
        "when will my new card arrive",
    ],
    "transfers": [
        "my transfer to [IBAN] has not arrived",
        "how long does a sepa transfer take",
        "cancel the transfer i made this morning",
    ],
    "fees_fx": [
        "what is the fee for paying in dollars",
        "what exchange rate do you use",
        "are atm withdrawals free abroad",
    ],
    "fraud_disputes": [
        "i do not recognise a payment of 49.99 to [MERCHANT]",
        "someone used my card, dispute it",
        "report a scam transfer",
    ],
    "how_to": [
        "how do i add a payee",
        "how do i set a spending limit",
        "where do i find my statements",
    ],
    "contact": ["what are your opening hours", "can i call you", "how do i reach a human"],
    "other": ["asdfgh", "hello?", "is this the bakery"],
}

OUTCOMES = ("ai", "human", "none", None)


def _rate(acc: FixtureAccount, i: int) -> float:
    """Automation rate in week i: a straight line from start to end with a small wobble."""
    t = i / (len(WEEKS) - 1)
    wobble = 0.012 * ((i * 7 + len(acc.account_id)) % 3 - 1)
    return round(acc.automation_start + (acc.automation_end - acc.automation_start) * t + wobble, 4)


def _metric_row(rng: random.Random, volume: int, automation: float) -> dict:
    involvement = min(0.95, automation + 0.25)
    unknown = int(volume * 0.05)
    known = volume - unknown
    ai_resolved = int(round(known * automation))
    ai_involved = int(round(volume * involvement))
    handed = max(0, ai_involved - ai_resolved - int(volume * 0.02))
    human = volume - ai_resolved
    return {
        "conversations": volume,
        "known_outcome": known,
        "unknown_outcome": unknown,
        "ai_involved": ai_involved,
        "ai_resolved": ai_resolved,
        "handed_over": handed,
        "automation_rate": ai_resolved / known if known else None,
        "involvement_rate": ai_involved / volume if volume else None,
        "ai_resolution_rate": ai_resolved / ai_involved if ai_involved else None,
        "handover_rate": handed / ai_involved if ai_involved else None,
        "handle_time_total_min": round(human * rng.uniform(7.0, 11.0), 1),
        "handle_time_median_min": round(rng.uniform(6.0, 10.0), 1),
        "csat_ai": round(rng.uniform(3.9, 4.5), 2),
        "csat_ai_n": int(ai_resolved * 0.2),
        "csat_human": round(rng.uniform(4.0, 4.6), 2),
        "csat_human_n": int(human * 0.2),
    }


METRIC_COLS = list(_metric_row(random.Random(0), 100, 0.5))


def _create(con, name: str, columns: str, rows: list[tuple]) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {name} ({columns})")
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)


def _metric_ddl() -> str:
    types = {
        "automation_rate": "DOUBLE", "involvement_rate": "DOUBLE", "ai_resolution_rate": "DOUBLE",
        "handover_rate": "DOUBLE", "handle_time_total_min": "DOUBLE",
        "handle_time_median_min": "DOUBLE", "csat_ai": "DOUBLE", "csat_human": "DOUBLE",
    }  # fmt: skip
    return ", ".join(f"{c} {types.get(c, 'BIGINT')}" for c in METRIC_COLS)


def build_app_store(settings: Settings, *, seed: int = 7, derived: bool = True) -> Settings:
    """Write the fixture store into `settings.home`; with `derived=False` only source tables."""
    rng = random.Random(seed)
    loaded = datetime(2026, 11, 23, 2, 0)
    with store.writing(settings, "test fixture") as con:
        _write_accounts(con, loaded)
        conv_cells = _write_conversations_and_tags(con, rng, loaded)
        _write_runs(con)
        _write_quarantine(con)
        store.set_meta(con, "taxonomy_version", "2026.11.1")
        store.set_meta(con, "model_id", settings.model_id)
        store.set_meta(con, "last_refresh_run_id", "run-003")
        if derived:  # the score step records its as-of with the tables it writes
            store.set_meta(con, "as_of", AS_OF.isoformat())
            _write_derived(con, rng, conv_cells)
    return settings


def _write_accounts(con, loaded: datetime) -> None:
    for a in ACCOUNTS:
        con.execute(
            "INSERT INTO accounts (account_id, name, vertical, plan, arr_usd, csm, region, "
            "renewal_date, row_hash, source_file, loaded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [a.account_id, a.name, a.vertical, a.plan, a.arr_usd, a.csm, a.region,
             a.renewal_date, f"h-{a.account_id}", "accounts.csv", loaded],
        )  # fmt: skip


def _write_conversations_and_tags(con, rng: random.Random, loaded: datetime) -> dict:
    """40 conversations per account, each drawn from one of the account's cells."""
    conv_cells: dict[tuple[str, str, str], list[str]] = {}
    n = 0
    for a in ACCOUNTS:
        cells = CELLS[a.vertical] + [("informational", "other", 0.04, None)]
        weights = [c[2] for c in cells]
        for j in range(40):
            n += 1
            typ, topic, _, _ = rng.choices(cells, weights)[0]
            cid = f"{a.account_id}-c{j:03d}"
            created = datetime.combine(AS_OF, datetime.min.time()) - timedelta(
                days=rng.randint(0, 55), hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
            )
            text = rng.choice(TEXTS[topic])
            outcome = rng.choice(OUTCOMES)
            ai = outcome == "ai" or rng.random() < 0.5
            con.execute(
                "INSERT INTO conversations (conversation_id, account_id, created_at, text, channel, "
                "ai_involved, resolved_by, handed_over, handle_time_minutes, csat, language, "
                "row_hash, source_file, loaded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [cid, a.account_id, created, text, rng.choice(["chat", "email"]), ai, outcome,
                 ai and outcome == "human", None if outcome == "ai" else round(rng.uniform(3, 20), 1),
                 rng.choice([None, 3, 4, 5]), "en", f"h-{cid}", "conversations.csv", loaded],
            )  # fmt: skip
            topic_conf = 0.2 if topic == "other" else round(rng.uniform(0.45, 0.97), 3)
            con.execute(
                "INSERT INTO tags VALUES (?,?,?,?,?,?,?,?,?,?)",
                [cid, typ, round(rng.uniform(0.5, 0.98), 3), topic, topic_conf, "2026.11.1",
                 "sentence-transformers/all-MiniLM-L6-v2", f"t-{cid}", False, loaded],
            )  # fmt: skip
            conv_cells.setdefault((a.account_id, typ, topic), []).append(cid)
    return conv_cells


def _write_runs(con) -> None:
    runs = [
        ("run-001", "refresh", datetime(2026, 11, 21, 2, 0), datetime(2026, 11, 21, 2, 6), "success", 0, None, 101),
        ("run-002", "refresh", datetime(2026, 11, 22, 2, 0), datetime(2026, 11, 22, 2, 1), "failed", 1, "tag: taxonomy file invalid", 102),
        ("run-003", "refresh", datetime(2026, 11, 23, 2, 0), datetime(2026, 11, 23, 2, 7), "success", 0, None, 103),
    ]  # fmt: skip
    con.executemany("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?)", runs)
    steps = []
    for run_id, _, started, _, status, *_ in runs:
        for k, (step, dur, counts) in enumerate(
            [("inbox", 3.2, {"files": 2, "rows": 1800}), ("embed", 150.5, {"embedded": 1750}),
             ("tag", 40.1, {"tagged": 1800}), ("score", 12.4, {"accounts": 5}),
             ("backtest", 6.0, {"accounts": 5})]
        ):  # fmt: skip
            step_status = "failed" if status == "failed" and step == "tag" else "success"
            if status == "failed" and k > 2:
                break
            steps.append(
                (
                    run_id,
                    step,
                    started + timedelta(seconds=10 * k),
                    dur,
                    step_status,
                    json.dumps(counts),
                )
            )
    con.executemany("INSERT INTO run_steps VALUES (?,?,?,?,?,?)", steps)


def _write_quarantine(con) -> None:
    rows = [
        ("conversations_2026-11.csv", "conversations", 12, "csat", "csat must be an integer 1–5; got 7", '{"csat": 7}'),
        ("conversations_2026-11.csv", "conversations", 31, "account_id", "account_id 'zeta' not in accounts", '{"account_id": "zeta"}'),
        ("conversations_2026-11.csv", "conversations", 44, "account_id", "account_id 'zeta' not in accounts", '{"account_id": "zeta"}'),
        ("accounts.csv", "accounts", 4, "arr_usd", "arr_usd must be ≥ 0; got -5", '{"arr_usd": -5}'),
    ]  # fmt: skip
    for r in rows:
        con.execute(
            "INSERT INTO quarantine (file, table_name, row_number, column_name, reason, raw, "
            "run_id, quarantined_at) VALUES (?,?,?,?,?,?,?,?)",
            [*r, "run-003", datetime(2026, 11, 23, 2, 0, 5)],
        )
    # Rows refused for a missing account wait for it (the page's "waiting" block).
    con.execute("UPDATE quarantine SET waiting_for = 'accounts' WHERE column_name = 'account_id'")


def _write_derived(con, rng: random.Random, conv_cells: dict) -> None:
    _create(
        con,
        "taxonomy_topics",
        "topic_id VARCHAR, name VARCHAR, description VARCHAR, vertical VARCHAR, account_id VARCHAR",
        [(t, n, f"{n} questions", v, None) for t, (n, v) in TOPIC_NAMES.items()],
    )
    weekly, account_rows, cell_rows, potential, contributions = [], [], [], [], []
    issues, actions, benchmarks, topic_weekly = [], [], [], {}
    for a in ACCOUNTS:
        for i, week in enumerate(WEEKS):
            vol = int(a.weekly_volume * (0.9 + 0.03 * i) + rng.randint(-20, 20))
            weekly.append((a.account_id, week, *_metric_row(rng, vol, _rate(a, i)).values()))
        cur = _metric_row(
            rng, sum(w[2] for w in weekly[-4:]), sum(_rate(a, i) for i in range(4, 8)) / 4
        )
        prev_rate = sum(_rate(a, i) for i in range(4)) / 4
        prev_vol = sum(w[2] for w in weekly[-8:-4])
        account_rows.append(
            (a.account_id, AS_OF, WINDOW_DAYS, *cur.values(), prev_rate,
             round((cur["automation_rate"] - prev_rate) * 100, 2), round(rng.uniform(-3, 4), 2),
             round(rng.uniform(-4, 4), 2), round(rng.uniform(-0.2, 0.2), 2),
             round(rng.uniform(-0.2, 0.2), 2), round(rng.uniform(-1, 1), 2),
             round((cur["conversations"] / prev_vol - 1) * 100, 2),
             rng.randint(10, 95), rng.randint(10, 95), rng.randint(10, 95), rng.randint(10, 95))
        )  # fmt: skip
        gap = round((a.potential - cur["automation_rate"]) * 100, 2)
        potential.append((a.account_id, cur["automation_rate"], a.potential, a.potential - 0.06, a.potential + 0.05, gap, "peer_benchmark", 0.04, 90, False))  # fmt: skip
        scored = []
        for c, (typ, topic, share, bench) in enumerate(CELLS[a.vertical]):
            vol = int(cur["conversations"] * share)
            rate = max(0.02, min(0.95, bench - 0.1 - 0.05 * (c % 3) + rng.uniform(-0.05, 0.05)))
            if a.account_id == "globex" and topic == "orders":
                rate = 0.12  # a connector broke: the spike and the falling rate below
            m = _metric_row(rng, vol, rate)
            trend = round(rng.uniform(-6, 6), 2)
            spike = a.account_id == "globex" and topic == "orders"
            last_week = int(vol / 4 * (1.9 if spike else rng.uniform(0.85, 1.15)))
            cell_rows.append((a.account_id, typ, topic, *m.values(), share, trend, vol / 4, vol / 20, last_week, spike))  # fmt: skip
            target = max(rate, bench)
            contributions.append(
                (a.account_id, typ, topic, share, rate, target, ENABLER_FOR_TYPE[typ],
                 rate > 0.3, round(share * (target - rate) * 100, 2))
            )  # fmt: skip
            unresolved = vol - m["ai_resolved"]
            scored.append((unresolved * (bench - rate + 0.1), typ, topic, vol, rate, bench, trend, spike, unresolved))  # fmt: skip
        for rank, (score, typ, topic, vol, rate, bench, trend, spike, unresolved) in enumerate(
            sorted(scored, reverse=True)[:5], start=1
        ):
            examples = conv_cells.get((a.account_id, typ, topic), [])[:3]
            issues.append(
                (a.account_id, rank, topic, TOPIC_NAMES[topic][0], typ, vol, rate, bench, trend,
                 spike, unresolved, round(unresolved * 8.5 / 60 * 30 / WINDOW_DAYS, 1),
                 round(score, 2), examples)
            )  # fmt: skip
            if rank <= 4:
                gain = round((bench - rate) * vol / cur["conversations"] * 100 * 0.7, 2)
                extra = round(max(0.0, bench - rate) * vol * 30 / WINDOW_DAYS * 0.7, 1)
                kind = ENABLER_FOR_TYPE[typ] if rank != 4 else "quality"
                actions.append(
                    (a.account_id, rank, kind, topic, typ, extra, max(gain, 0.3),
                     round(extra * 8.5 / 60, 1), round(0.9 - 0.12 * rank, 2),
                     f"{TOPIC_NAMES[topic][0]} ({typ}) resolves {rate:.0%} vs {bench:.0%} for peers",
                     examples)
                )  # fmt: skip
    for vertical, cells in CELLS.items():
        for typ, topic, _, bench in cells:
            benchmarks.append((vertical, typ, topic, bench, 3 if vertical == "ecommerce" else 2, "top_quartile"))  # fmt: skip
            for i, week in enumerate(WEEKS):
                vol = sum(
                    int(a.weekly_volume * s * (1 + (0.06 * i if t == "returns" else 0)))
                    for a in ACCOUNTS if a.vertical == vertical
                    for ty, t, s, _ in CELLS[vertical] if (ty, t) == (typ, topic)
                )  # fmt: skip
                topic_weekly[(week, vertical, typ, topic)] = (vol, int(vol * bench * 0.7))
    _create(con, "weekly_metrics", f"account_id VARCHAR, week DATE, {_metric_ddl()}", weekly)
    _create(
        con,
        "account_metrics",
        f"account_id VARCHAR, as_of DATE, window_days INTEGER, {_metric_ddl()}, "
        "automation_rate_prev DOUBLE, automation_rate_change_pts DOUBLE, "
        "involvement_rate_change_pts DOUBLE, ai_resolution_rate_change_pts DOUBLE, "
        "csat_ai_change DOUBLE, csat_human_change DOUBLE, handle_time_median_change_min DOUBLE, "
        "conversations_change_pct DOUBLE, automation_percentile DOUBLE, "
        "involvement_percentile DOUBLE, ai_resolution_percentile DOUBLE, csat_ai_percentile DOUBLE",
        account_rows,
    )
    _create(
        con,
        "cell_metrics",
        f"account_id VARCHAR, automation_type VARCHAR, topic_id VARCHAR, {_metric_ddl()}, "
        "share DOUBLE, trend_pts DOUBLE, weekly_mean DOUBLE, weekly_sd DOUBLE, "
        "last_week_volume BIGINT, spike BOOLEAN",
        cell_rows,
    )
    _create(
        con,
        "topic_weekly",
        "week DATE, vertical VARCHAR, automation_type VARCHAR, topic_id VARCHAR, "
        "conversations BIGINT, ai_resolved BIGINT",
        [(*k, *v) for k, v in topic_weekly.items()],
    )
    _create(
        con,
        "benchmarks",
        "vertical VARCHAR, automation_type VARCHAR, topic_id VARCHAR, benchmark_rate DOUBLE, "
        "n_accounts INTEGER, method VARCHAR",
        benchmarks,
    )
    _create(
        con,
        "potential",
        "account_id VARCHAR, automation_rate DOUBLE, potential DOUBLE, low DOUBLE, high DOUBLE, "
        "gap_pts DOUBLE, method VARCHAR, sd DOUBLE, window_days BIGINT, floored BOOLEAN",
        potential,
    )
    _create(
        con,
        "potential_contributions",
        "account_id VARCHAR, automation_type VARCHAR, topic_id VARCHAR, share DOUBLE, "
        "current_rate DOUBLE, target_rate DOUBLE, enabler VARCHAR, enabler_live BOOLEAN, "
        "contribution_pts DOUBLE",
        contributions,
    )
    _create(
        con,
        "top_issues",
        "account_id VARCHAR, rank INTEGER, topic_id VARCHAR, topic VARCHAR, "
        "automation_type VARCHAR, conversations BIGINT, automation_rate DOUBLE, "
        "benchmark_rate DOUBLE, trend_pts DOUBLE, spike BOOLEAN, unresolved BIGINT, "
        "hours_per_month DOUBLE, score DOUBLE, example_conversation_ids VARCHAR[]",
        issues,
    )
    _create(
        con,
        "actions",
        "account_id VARCHAR, rank INTEGER, kind VARCHAR, topic_id VARCHAR, "
        "automation_type VARCHAR, extra_ai_resolved_per_month DOUBLE, gain_pts DOUBLE, "
        "hours_saved_per_month DOUBLE, confidence DOUBLE, rationale VARCHAR, "
        "evidence_conversation_ids VARCHAR[]",
        actions,
    )
    _create(
        con,
        "backtest_runs",
        "backtest_id VARCHAR, cutoff DATE, created_at TIMESTAMP, n_accounts INTEGER, "
        "mae_realised_pts DOUBLE, within5_realised DOUBLE, mae_truth_pts DOUBLE, "
        "within5_truth DOUBLE, method VARCHAR",
        [("bt-001", date(2026, 8, 31), datetime(2026, 11, 23, 2, 6), 5, 4.2, 0.6, 3.1, 0.8, "peer_benchmark")],
    )  # fmt: skip
    _create(
        con,
        "backtest_results",
        "backtest_id VARCHAR, account_id VARCHAR, predicted DOUBLE, low DOUBLE, high DOUBLE, "
        "realised DOUBLE, truth DOUBLE",
        [("bt-001", a.account_id, a.potential - 0.03, a.potential - 0.09, a.potential + 0.03,
          a.automation_end + rng.uniform(0.05, 0.2), a.potential + rng.uniform(-0.05, 0.05))
         for a in ACCOUNTS],
    )  # fmt: skip
