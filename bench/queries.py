"""Benchmark: `cockpit account ID --json` on a 2,000,000-conversation workspace.

Builds the store directly in DuckDB SQL (synthetic accounts, conversations, tags and setup; no
demo generator or tagging model needed), runs the score step, then times the read path: the
query function in-process and the whole CLI command as a subprocess. Prints the figures.

Usage: python bench/queries.py [--conversations N] [--home DIR] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cockpit import queries, store
from cockpit.settings import Settings
from pipelines import score
from pipelines.context import StepContext

TOPICS = ["billing", "plans", "how_to", "orders", "shipping", "returns", "payments", "product_info"]
TYPES = ["informational", "personalized", "action"]
RUNS = 5


def _ms(start: float, n: int = 1) -> str:
    return f"{(time.perf_counter() - start) / n * 1000:.1f} ms"


def build(settings: Settings, n: int, accounts: int = 400, days: int = 365) -> None:
    """Synthetic source tables and tags, generated in SQL (deterministic: hash-based draws)."""
    topics = ", ".join(f"'{t}'" for t in TOPICS)
    types = ", ".join(f"'{t}'" for t in TYPES)
    with store.writing(settings, "bench") as con:
        con.execute(
            f"""
            INSERT INTO accounts (account_id, name, vertical, csm)
            SELECT 'acc_' || lpad(i::VARCHAR, 4, '0'), 'Account ' || i,
                   (['ecommerce', 'fintech', 'saas'])[(1 + i % 3)::BIGINT], 'CSM ' || (i % 8)
            FROM range({accounts}) t(i)
            """
        )
        con.execute(
            f"""
            CREATE TEMP TABLE g AS
            SELECT i, 'c' || i AS conversation_id,
                   'acc_' || lpad((hash(i, 1) % {accounts})::BIGINT::VARCHAR, 4, '0') AS account_id,
                   TIMESTAMP '2026-10-31 23:00:00' - INTERVAL ((hash(i, 2) % ({days} * 1440))::BIGINT) MINUTE
                       AS created_at,
                   ([{types}])[(1 + hash(i, 3) % 3)::BIGINT] AS automation_type,
                   ([{topics}])[(1 + hash(i, 4) % {len(TOPICS)})::BIGINT] AS topic_id,
                   (hash(i, 5) % 1000) / 1000.0 AS u
            FROM range({n}) t(i)
            """
        )
        store.upsert(  # the large tables through the store's write API (Parquet by default)
            con,
            "conversations",
            """
            SELECT conversation_id, account_id, created_at, 'masked text' AS text,
                   'chat' AS channel, true AS ai_involved,
                   CASE WHEN u < 0.02 THEN NULL WHEN u < 0.45 THEN 'ai'
                        WHEN u < 0.95 THEN 'human' ELSE 'none' END AS resolved_by,
                   u >= 0.45 AS handed_over,
                   CASE WHEN u >= 0.45 AND u < 0.95 THEN 4 + u * 10 ELSE 0 END
                       AS handle_time_minutes,
                   CASE WHEN hash(i, 6) % 10 < 3 THEN 1 + hash(i, 7) % 5 END AS csat,
                   'en' AS language
            FROM g
            """,
        )
        store.upsert(con, "tags", "SELECT conversation_id, automation_type, topic_id FROM g")
        con.execute(
            f"""
            INSERT INTO setup (account_id, enabler, topic_id, live_since)
            SELECT a.account_id, e.enabler, t.topic_id, DATE '2026-01-01'
            FROM accounts a, (SELECT unnest(['help_content', 'procedure']) AS enabler) e,
                 (SELECT unnest([{topics}]) AS topic_id) t
            WHERE hash(a.account_id, e.enabler, t.topic_id) % 2 = 0
            """
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conversations", type=int, default=2_000_000)
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="Keep the generated workspace.")
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="cockpit-bench-"))
    settings = Settings(home=home)
    try:
        if not settings.db_path.exists():
            t = time.perf_counter()
            build(settings, args.conversations)
            print(f"build {args.conversations:,} conversations: {time.perf_counter() - t:.1f} s")
            t = time.perf_counter()
            with store.writing(settings, "bench-score") as con:
                score.run(StepContext(con=con, settings=settings, run_id="bench"))
            print(f"score step: {time.perf_counter() - t:.1f} s")
        con = store.read_only(settings.db_path)
        account_id = queries.accounts_list(con)[0]["account_id"]
        t = time.perf_counter()
        queries.account_report(con, account_id)
        print(f"queries.account_report (in-process, first call): {_ms(t)}")
        t = time.perf_counter()
        for _ in range(20):
            queries.account_report(con, account_id)
        print(f"queries.account_report (in-process, warm): {_ms(t, 20)}")
        con.close()
        # The whole command as a user runs it: interpreter start, imports, open, query, print.
        env = {**os.environ, "COCKPIT_HOME": str(home)}
        for command in (["account", account_id, "--json"], ["accounts", "--json"]):
            runs = []
            for _ in range(RUNS):
                t = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "pipelines.cli", *command],
                    env=env,
                    check=True,
                    capture_output=True,
                )
                runs.append(time.perf_counter() - t)
            print(
                f"`cockpit {' '.join(command)}` (whole process, {RUNS} runs): "
                f"best {min(runs):.2f} s, median {statistics.median(runs):.2f} s"
            )
    finally:
        if not args.keep and args.home is None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
