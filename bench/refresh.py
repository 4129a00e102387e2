"""Benchmark: the nightly refresh on a workspace of N conversations.

Phases (each in its own child process, so the peak RSS printed is that phase's own):
  load     initial load of the workspace through the inbox (not a target; for context)
  noop     a refresh with nothing new: must embed nothing; target < 10 s on a demo-sized workspace
  day      an incremental refresh adding one day (--day conversations, default 5,000)
  full     a full backfill (`refresh --full`): every step rebuilds from stored conversations

Run: .venv/bin/python bench/refresh.py [--conversations 40000] [--day 5000] [--skip-full]
                                        [--store duckdb|parquet]
     (the full figures: --conversations 2000000; slow on the 2-core machine)
The workspace comes from `cockpit.demo.generate` when it exists, else from a small synthetic
generator below. The embedder is $COCKPIT_EMBEDDER (sentence-transformers unless set to hashing).
Every phase also prints what its publish wrote (new Parquet segments + the copy of the DuckDB
file) as a share of the store, and the extra free disk it needed (the same bytes: the old files
stay until the new state is published). `--store parquet` = COCKPIT_STORE=parquet (issue 14 bars:
at 2,000,000 conversations a one-day refresh writes <= 5% of the store, needs <= 10% extra disk).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cockpit import store  # noqa: E402
from cockpit.settings import Settings  # noqa: E402

TEXTS = np.array(
    [
        "Hi, my order placed last week has not arrived yet and tracking shows nothing.",
        "I was charged twice for the annual plan, can you refund one of them?",
        "I cannot log into my account since yesterday, the reset link expires immediately.",
        "Where can I find the export to CSV option? The help page seems outdated.",
        "The app crashes every time I open the payments tab on Android.",
        "How do I add a new user with admin permissions to our workspace?",
    ]
)


def synthetic_conversations(
    n: int, accounts: np.ndarray, start_s: int, days: int, seed: int, prefix: str
) -> pa.Table:
    """`n` contract-shaped conversations spread over `days` days from `start_s` (epoch s)."""
    rng = np.random.default_rng(seed)
    ids = np.char.add(prefix, np.arange(n).astype(str))
    stamps = start_s + rng.integers(0, days * 86_400, n)
    text = np.char.add(
        rng.choice(TEXTS, n), np.char.add(" #", rng.integers(0, 10**6, n).astype(str))
    )
    resolved = rng.choice(np.array(["ai", "human", "none"]), n, p=[0.5, 0.4, 0.1])
    return pa.table(
        {
            "conversation_id": ids,
            "account_id": rng.choice(accounts, n),
            "created_at": pa.array(stamps * 1_000_000, pa.timestamp("us")),
            "text": text,
            "channel": rng.choice(np.array(["chat", "email", "phone"]), n),
            "ai_involved": rng.random(n) < 0.8,
            "resolved_by": resolved,
            "handed_over": resolved == "human",
            "handle_time_minutes": np.round(rng.gamma(2.0, 4.0, n), 1),
        }
    )


def build_files(folder: Path, conversations: int, seed: int = 7) -> str:
    """Write the workspace's contract files into `folder`; return where they came from."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        from cockpit import demo

        generate = getattr(demo, "generate", None)
        if generate and "conversations" in inspect.signature(generate).parameters:
            files = generate(folder / "demo", conversations=conversations, seed=seed)
            for p in files.contract_paths:
                if p != files.late_export:
                    shutil.copy(p, folder / p.name)
            return "cockpit.demo.generate"
    except ImportError:
        pass
    n_acc = max(20, conversations // 400)
    accounts = np.char.add("acc_", np.arange(n_acc).astype(str))
    pq.write_table(
        pa.table({"account_id": accounts, "name": np.char.add("Customer ", accounts)}),
        folder / "accounts.parquet",
    )
    start = int(time.time()) - 180 * 86_400
    table = synthetic_conversations(conversations, accounts, start, 179, seed, "c")
    pq.write_table(table, folder / "conversations.parquet")
    return "synthetic"


def one_day(settings: Settings, folder: Path, n: int) -> None:
    """Write `n` new conversations dated the day after the newest stored one."""
    con = store.read_only(settings.db_path)
    accounts = np.array([r[0] for r in con.execute("SELECT account_id FROM accounts").fetchall()])
    newest = con.execute("SELECT epoch(max(created_at))::BIGINT FROM conversations").fetchone()[0]
    con.close()
    start = (newest // 86_400 + 1) * 86_400
    table = synthetic_conversations(n, accounts, start, 1, 11, f"day{start}_")
    pq.write_table(table, folder / f"conversations_day_{start}.parquet")


def phase(home: Path, name: str) -> None:
    """Child process: run one refresh and print its result as JSON."""
    from pipelines.refresh import refresh

    settings = Settings.from_env({**os.environ, "COCKPIT_HOME": str(home)})
    t0 = time.perf_counter()
    result = refresh(settings, full=(name == "full"), progress_mode="plain")
    seconds = time.perf_counter() - t0
    from cockpit.store import runlog

    con = store.read_only(settings.db_path)
    (run,) = runlog.list_runs(con, 1)
    con.close()
    durations = {st["step"]: st["duration_s"] for st in run["steps"]}
    from cockpit.store import connection

    stats = connection.last_publish
    print(
        json.dumps(
            {
                "seconds": seconds,
                "status": result.status,
                "counts": result.counts,
                "durations": durations,
                "error": result.error,
                "written": {
                    "segments": stats.segment_bytes,
                    "db_copy": stats.db_bytes,
                    "store": stats.store_bytes,
                    "files_rewritten": stats.files_rewritten,
                }
                if stats
                else None,
            }
        )
    )


def run_phase(home: Path, name: str) -> dict:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--phase", name, "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out = proc.stdout.read()
    _, _, usage = os.wait4(proc.pid, 0)
    proc.stdout.close()
    result = json.loads(out)
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    return result


def embedded(counts: dict) -> float:
    """What the embed step says it embedded (any count whose name mentions embed or new)."""
    step = counts.get("embed", {})
    return sum(v for k, v in step.items() if "embed" in k or k.startswith("new"))


def written_line(w: dict) -> str:
    """Bytes a publish wrote against the store's bytes (bar: <= 5% / <= 10% extra disk)."""
    mb = 2**20
    total = w["segments"] + w["db_copy"]
    store_b = w["store"] or 1
    return (
        f"wrote {total / mb:,.1f} MB of a {store_b / mb:,.1f} MB store = {total / store_b:.2%} "
        f"(segments {w['segments'] / mb:,.1f} MB, DuckDB file copy {w['db_copy'] / mb:,.1f} MB, "
        f"{w['files_rewritten']} segments rewritten); extra free disk "
        f"{total / mb:,.1f} MB = {total / store_b:.2%}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--conversations", type=int, default=40_000)
    ap.add_argument("--day", type=int, default=5_000, help="conversations in the added day")
    ap.add_argument("--skip-full", action="store_true")
    ap.add_argument(
        "--store",
        choices=("duckdb", "parquet"),
        help="the store format (COCKPIT_STORE; default: the environment's, else parquet)",
    )
    ap.add_argument("--home", type=Path, help="workspace folder (default: a temp dir, removed)")
    ap.add_argument(
        "--phases",
        help="comma-separated phases to run on an existing --home (e.g. noop,day: the load is "
        "skipped; copy the workspace first, the day phase adds to it)",
    )
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        phase(args.home, args.phase)
        return

    if args.store:
        os.environ["COCKPIT_STORE"] = args.store
    home = args.home or Path(tempfile.mkdtemp(prefix="cockpit-bench-refresh-"))
    settings = Settings.from_env({**os.environ, "COCKPIT_HOME": str(home)})
    try:
        if args.phases:
            phases = [p.strip() for p in args.phases.split(",") if p.strip()]
            unknown = set(phases) - {"load", "noop", "day", "full"}
            if unknown or not args.home or not settings.db_path.exists() and "load" not in phases:
                raise SystemExit(
                    f"--phases expects load/noop/day/full on an existing --home workspace; got "
                    f"{args.phases!r} on {home} (run once without --phases to build it)"
                )
            print(f"workspace: existing, home {home}")
        else:
            source = build_files(settings.inbox, args.conversations)
            print(f"workspace: {args.conversations:,} conversations ({source}), home {home}")
            phases = ["load", "noop", "day"] + ([] if args.skip_full else ["full"])
        print(f"embedder: {settings.embedder}, store: {settings.store_format}")
        for name in phases:
            if name == "day":
                one_day(settings, settings.inbox, args.day)
            r = run_phase(home, name)
            size = settings.db_path.stat().st_size / 2**20
            print(
                f"{name:<5} {r['seconds']:8.1f} s  peak RSS {r['peak_rss_mb']:7.0f} MB  "
                f"status {r['status']}  embedded {embedded(r['counts']):,.0f}  db {size:,.0f} MB"
            )
            if r.get("written"):
                print("      " + written_line(r["written"]))
            if r["error"]:
                print(f"      error: {r['error']}")
                if name == "load":
                    print("      the workspace did not load; the other phases would mean nothing")
                    return
            if name == "noop":
                ok = r["seconds"] < 10 and embedded(r["counts"]) == 0
                print(f"      target (< 10 s, nothing embedded): {'met' if ok else 'NOT met'}")
            print(f"      step seconds: {json.dumps(r['durations'])}")
            steps_total = sum(r["durations"].values()) or 1e-9
            discover_s = r["durations"].get("discover", 0.0)
            print(
                f"      discovery (emerging topics): {discover_s:.1f} s = {discover_s / steps_total:.1%} of the steps"
            )
            print(f"      steps: {json.dumps(r['counts'])}")
    finally:
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
