"""The Ray engine: embedding and tagging as Ray Data `map_batches` over Parquet.

The single DuckDB writer stays the only process that touches the store: it writes each step's
input rows to Parquet under `$COCKPIT_HOME/tmp/ray-<step>-<pid>/`, Ray Data maps them through a
callable class (one model or fitted tagger per actor, `ActorPoolStrategy`), writes the results
as Parquet, and the writer loads them back with the same SQL the local engine uses. The row
functions are the local engine's own (`embed_rows`, `predict_tags`), so the same inputs give the
same tags on both engines.

`settings.ray_address` joins an existing cluster (the workers need Cockpit installed and
`$COCKPIT_HOME` on a shared path); without it a local cluster starts with `LOCAL_CPUS` CPUs.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from cockpit.embedding import DIM, embed_rows, insert_vectors, make_embedder
from cockpit.settings import Settings
from cockpit.tagging.rows import predict_tags, upsert_tags

log = logging.getLogger(__name__)

# A local cluster gets 3 logical CPUs on this 2-core machine: with 2, Ray Data can starve its
# read/write tasks behind the actors and hang (../shared/platform-notes.md, "Scale-out").
LOCAL_CPUS = 3
# Bytes of input per `map_batches` call. Large enough that Ray's per-batch overhead (task
# dispatch, Arrow serialisation, ~ms) is small next to the model's work on it, small enough that
# an actor's batch (and its output vectors, 1.5 KB per row) stays a few MB and work spreads over
# every actor even on a one-day refresh. A systems constant, not fitted to any data.
BATCH_BYTES = 4 * 2**20
_started_here = False


def _ray():
    import ray

    return ray


def start(settings: Settings) -> None:
    """Join `settings.ray_address`, or start a local cluster; a no-op if already connected."""
    global _started_here
    ray = _ray()
    if ray.is_initialized():
        return
    env = {"env_vars": {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}}
    if settings.ray_address:
        ray.init(address=settings.ray_address, runtime_env=env, log_to_driver=False)
        log.info("Ray - joined the cluster at %s", settings.ray_address)
    else:
        ray.init(num_cpus=LOCAL_CPUS, include_dashboard=False, runtime_env=env, log_to_driver=False)
        log.info("Ray - started a local cluster with %d CPUs", LOCAL_CPUS)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.verbose_progress = False
    _started_here = True


def shutdown() -> None:
    """Disconnect (and stop the local cluster) if this process started the session."""
    global _started_here
    if _started_here:
        _ray().shutdown()
        _started_here = False


def actors() -> int:
    """Actor pool size: every CPU of the cluster but one, left to the read and write tasks."""
    cpus = int(_ray().cluster_resources().get("CPU", 1))
    return max(1, cpus - 1)


def batch_rows(row_bytes: float) -> int:
    """Rows per batch for `BATCH_BYTES` of input at `row_bytes` per row."""
    return max(1, int(BATCH_BYTES // max(row_bytes, 1.0)))


@contextmanager
def _workdir(settings: Settings, step: str):
    path = settings.home / "tmp" / f"ray-{step}-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    (path / "out").mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    escaped = str(path).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{escaped}' (FORMAT parquet)")


def _map(
    settings: Settings, source: Path, out: Path, cls, args: tuple, rows: int, row_bytes: float
) -> None:
    ray = _ray()
    start(settings)
    pool, per_batch = actors(), batch_rows(row_bytes)
    # at least one block per actor, else a small input runs on one actor only
    blocks = max(pool, -(-rows // per_batch))
    ds = ray.data.read_parquet(str(source), override_num_blocks=blocks)
    ds = ds.map_batches(
        cls,
        fn_constructor_args=args,
        batch_size=min(per_batch, -(-rows // pool)),
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=pool),
        num_cpus=1,
    )
    ds.write_parquet(str(out))


def _parquet_glob(out: Path) -> str:
    return str(out / "*.parquet").replace("'", "''")


class EmbedBatches:
    """Ray Data callable class: one embedder per actor; (text_hash, text) → cache rows."""

    def __init__(self, settings: Settings):
        self.embedder = make_embedder(settings)

    def __call__(self, batch: pa.Table) -> pa.Table:
        return embed_rows(
            self.embedder,
            batch.column("text_hash").to_pylist(),
            batch.column("text").to_pylist(),
        )


class TagBatches:
    """Ray Data callable class: one fitted tagger per actor (loaded from its pickle)."""

    def __init__(self, tagger_path: str, corrections: pd.DataFrame, version, model_id, now):
        with open(tagger_path, "rb") as f:
            self.tagger = pickle.load(f)
        self.args = (corrections, version, model_id, now)

    def __call__(self, batch: pa.Table) -> pa.Table:
        tags = predict_tags(self.tagger, batch, *self.args)
        return pa.Table.from_pandas(tags, preserve_index=False)


def embed(con: duckdb.DuckDBPyConnection, settings: Settings, source: str, alias: str) -> int:
    """Embed the (text_hash, text) rows of `source` (distinct, none cached) into the cache."""
    total = con.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0]
    if not total:
        return 0
    (row_bytes,) = con.execute(f"SELECT avg(strlen(text)) + 40 FROM {source}").fetchone()
    with _workdir(settings, "embed") as work:
        # sorted by length, as the local engine does: batches of similar lengths pad less
        _copy(con, f"SELECT text_hash, text FROM {source} ORDER BY length(text), text_hash",
              work / "in.parquet")  # fmt: skip
        _map(
            settings, work / "in.parquet", work / "out", EmbedBatches, (settings,), total, row_bytes
        )
        rel = f"read_parquet('{_parquet_glob(work / 'out')}')"
        done = insert_vectors(con, rel, alias)
    log.info("Ray - embedded %d texts", done)
    return done


def tag(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    source: str,
    tagger_path: Path,
    corrections: pd.DataFrame,
    version: str,
    model_id: str,
    now,
    counts: dict[str, float],
) -> None:
    """Tag the rows of `source` (…, vector) on Ray and upsert them like the local engine.

    `counts` (tags_written, tags_changed, corrections_applied) is updated in place."""
    (total,) = con.execute(f"SELECT count(*) FROM {source} WHERE vector IS NOT NULL").fetchone()
    if not total:
        return
    row_bytes = DIM * 4 + 120  # the vector plus ids
    corr = corrections[["conversation_id", "automation_type", "topic_id"]].copy()
    with _workdir(settings, "tag") as work:
        _copy(con, f"SELECT conversation_id, account_id, vertical, text_hash, vector "
                   f"FROM {source} WHERE vector IS NOT NULL ORDER BY rn", work / "in.parquet")  # fmt: skip
        args = (str(tagger_path), corr, version, model_id, now)
        _map(
            settings,
            work / "in.parquet",
            work / "out",
            TagBatches,
            args,
            total,
            row_bytes,
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _ray_tags AS "
            f"SELECT * FROM read_parquet('{_parquet_glob(work / 'out')}')"
        )
    upsert_tags(con, "_ray_tags", counts)
    con.execute("DROP TABLE _ray_tags")
