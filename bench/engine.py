"""Benchmark: the embed and tag steps on the local engine vs the Ray engine (one machine).

Builds one small demo workspace, copies it once per engine, runs embed then tag on each copy
and prints rows per second of each step, the Ray/local ratio and whether the tags are
identical. On one machine Ray cannot win: the figure shows its overhead (cluster start, actor
start with one model each, the Parquet hand-over).

Run: .venv/bin/python bench/engine.py [--conversations 4000] [--embedder onnx-int8|hashing|...]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from cockpit import demo, engine, store  # noqa: E402
from cockpit.embedding import make_embedder  # noqa: E402
from cockpit.settings import EMBEDDERS, Settings  # noqa: E402
from pipelines import embed as embed_step  # noqa: E402
from pipelines import tag as tag_step  # noqa: E402
from pipelines.context import StepContext  # noqa: E402

TAGS = "SELECT conversation_id, automation_type, topic_id FROM tags ORDER BY 1"


def run_engine(source: Settings, home: Path, name: str) -> dict:
    settings = dataclasses.replace(source, home=home, engine=name)
    shutil.copytree(source.home, home)
    # both tag timings include the tagger fit, done the same way in the driver on both engines
    out: dict = {}
    try:
        with store.writing(settings, "bench") as con:
            ctx = StepContext(con=con, settings=settings, run_id="bench",
                              embedder_factory=lambda: make_embedder(settings))  # fmt: skip
            t0 = time.perf_counter()
            out["embed"] = embed_step.run(ctx)["texts_embedded"]
            t1 = time.perf_counter()
            out["tag"] = tag_step.run(ctx)["tags_written"]
            t2 = time.perf_counter()
            out["embed_s"], out["tag_s"] = t1 - t0, t2 - t1
    finally:
        engine.shutdown(settings)
    with store.reading(settings.db_path) as con:
        out["tags"] = con.execute(TAGS).fetchall()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--conversations", type=int, default=4000)
    ap.add_argument("--embedder", default="hashing", choices=EMBEDDERS)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="cockpit-bench-engine-"))
    try:
        source = Settings(home=base / "source", embedder=args.embedder)
        demo.build_demo(source, 6, 2, args.conversations, 5)
        print(f"workspace: {args.conversations:,} demo conversations, embedder {args.embedder}")
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        results = {name: run_engine(source, base / name, name) for name in ("local", "ray")}
        for name, r in results.items():
            print(
                f"{name:<6} embed {r['embed']:>7,} texts {r['embed_s']:7.1f} s "
                f"({r['embed'] / r['embed_s']:7.0f}/s)   tag {r['tag']:>7,} rows {r['tag_s']:7.1f} s "
                f"({r['tag'] / r['tag_s']:7.0f}/s)"
            )
        lo, ra = results["local"], results["ray"]
        print(
            f"ray / local throughput: embed {lo['embed_s'] / ra['embed_s']:.2f}x, "
            f"tag {lo['tag_s'] / ra['tag_s']:.2f}x (1.0 = as fast; < 1 = Ray's overhead)"
        )
        print(f"tags identical: {lo['tags'] == ra['tags']}")
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
