"""Benchmark: ingest 1,000,000 synthetic conversations (+ accounts) into a fresh store.

Run: .venv/bin/python bench/ingest.py [--rows 1000000] [--format csv|parquet]
Prints rows/second and peak RSS. Data is generated vectorised (numpy + pyarrow) in a temp dir.
"""

from __future__ import annotations

import argparse
import logging
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cockpit import store
from cockpit.ingest import ingest_paths
from cockpit.settings import Settings

OPENERS = np.array(
    [
        "Hi, my order #48213 placed on 2026-11-25 has not arrived yet and tracking shows nothing.",
        "Hello team, I was charged $1,299.99 twice for the annual plan, can you refund one of them?",
        "I cannot log into my account since yesterday at 14:30, the reset link expires immediately.",
        "Where can I find the export to CSV option? The help page for reporting seems outdated.",
        "The app crashes every time I open the payments tab on Android 14, version 2.13.0.",
    ]
)
PII = np.array(
    [
        " You can reach me at jane.doe@example.com any time.",
        " Call me back on +49 30 1234 5678 please.",
        " My card 4111 1111 1111 1111 was used without permission.",
        " Please send it to IBAN DE89 3704 0044 0532 0130 00.",
        " Reference number 123456789012 from your invoice.",
        " Thanks a lot for your help, it is urgent for our team.",
        " We are a team of 12 and this blocks our month-end close (45% done).",
        "",
    ]
)


def make_files(folder: Path, rows: int, fmt: str, seed: int = 7) -> list[Path]:
    """Write accounts.csv and conversations.<fmt> with `rows` conversations."""
    rng = np.random.default_rng(seed)
    n_acc = 500
    acc_ids = np.char.add("acc_", np.arange(n_acc).astype(str))
    accounts = pa.table(
        {
            "account_id": acc_ids,
            "name": np.char.add("Customer ", np.arange(n_acc).astype(str)),
            "vertical": rng.choice(["fintech", "ecommerce", "saas", "gaming", "healthcare"], n_acc),
            "arr_usd": rng.integers(10_000, 2_000_000, n_acc).astype(float),
        }
    )
    pacsv.write_csv(accounts, folder / "accounts.csv")
    text = pc.binary_join_element_wise(
        pa.array(OPENERS[rng.integers(0, len(OPENERS), rows)]),
        pa.array(PII[rng.integers(0, len(PII), rows)]),
        pa.array(PII[rng.integers(0, len(PII), rows)]),
        "",
    )
    start = np.datetime64("2026-01-01T00:00:00")
    created = start + rng.integers(0, 330 * 86400, rows).astype("timedelta64[s]")
    conv = pa.table(
        {
            "conversation_id": pc.binary_join_element_wise(
                "c", pa.array(np.arange(rows).astype(str)), ""
            ),
            "account_id": pa.array(acc_ids[rng.integers(0, n_acc, rows)]),
            "created_at": pc.strftime(pa.array(created), "%Y-%m-%dT%H:%M:%SZ"),
            "text": text,
            "channel": pa.array(rng.choice(["chat", "email", "phone"], rows)),
            "ai_involved": pa.array(rng.random(rows) < 0.7),
            "resolved_by": pa.array(rng.choice(["ai", "human", "none"], rows)),
            "csat": pa.array(rng.integers(1, 6, rows)),
        }
    )
    target = folder / f"conversations.{fmt}"
    if fmt == "csv":
        pacsv.write_csv(conv, target)
    else:
        pq.write_table(conv, target)
    return [folder / "accounts.csv", target]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--format", choices=("csv", "parquet"), default="csv")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        files = make_files(folder, args.rows, args.format)
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        print(
            f"generated {args.rows:,} rows ({size_mb:.0f} MB {args.format}) in {time.perf_counter() - t0:.1f} s"
        )
        settings = Settings(home=folder / "home")
        t0 = time.perf_counter()
        with store.writing(settings, "bench") as con:
            report = ingest_paths(con, files)
        elapsed = time.perf_counter() - t0
    totals = report.totals
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ingested: {totals}")
    print(
        f"time {elapsed:.1f} s, {totals['rows_read'] / elapsed:,.0f} rows/s, peak RSS {peak_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
