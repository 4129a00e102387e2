"""Input fingerprints: skip a derived step whose inputs did not change since it last ran.

`score` and `backtest` rebuild their tables from the whole history; on a night when nothing
they read changed (the "noop" refresh), the rebuild would give the same rows. A step computes
`fingerprint(...)` of what it reads, compares it with the value stored in `meta` under its key,
and skips when they are equal; after a rebuild it stores the new value. The value is in the
small file's `meta` table, so it is published atomically with the derived tables it describes.

The fingerprint is a digest of the CONTENT of every table the step reads (row count and an
order-independent sum of row hashes), not of timestamps or row counts alone: a correction that
rewrites a tag in place, a late conversation, a changed setup row or account all change it. It
also covers the taxonomy version (which digests every taxonomy and override file), the
embedding cache's row count per model (its rows are immutable per (model, text hash)), the
step's settings, and the source of the code that computes the step (an upgrade recomputes).
One scan of each input with DuckDB's hash costs far less than the rebuild (docs/scale.md §3,
"Skipping unchanged steps").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import duckdb

from cockpit.store.connection import get_meta, set_meta, table_exists

META_PREFIX = "inputs_fingerprint:"


def relation_digest(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """`count:sum-of-row-hashes` of the rows of query `sql`.

    The sum (not xor) of 64-bit row hashes keeps duplicate rows from cancelling out."""
    n, total = con.execute(
        f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM ({sql}) t"
    ).fetchall()[0]
    return f"{n}:{total}"


def table_digest(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """`relation_digest` of a whole table ("absent" when it does not exist)."""
    if not table_exists(con, table):
        return "absent"
    return relation_digest(con, f"SELECT * FROM {table}")


def embedding_cache_digest(con: duckdb.DuckDBPyConnection, embeddings_path) -> str:
    """Rows per model id in the embedding cache (None/missing file: "none")."""
    if embeddings_path is None or not Path(embeddings_path).exists():
        return "none"
    from cockpit.embedding.cache import attach_cache

    alias = attach_cache(con, embeddings_path)
    rows = con.execute(
        f"SELECT model_id, count(*) FROM {alias}.embeddings GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return json.dumps(rows)


def code_digest(modules: Iterable[str]) -> str:
    """sha1 of the source files of `modules` (importable dotted names)."""
    import importlib.util

    digest = hashlib.sha1()
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ImportError(f"fingerprint: module {name} not found; reinstall Cockpit")
        digest.update(name.encode() + b"\0" + Path(spec.origin).read_bytes())
    return digest.hexdigest()


def fingerprint(
    con: duckdb.DuckDBPyConnection,
    tables: Iterable[str],
    extra: dict | None = None,
    embeddings_path=None,
    modules: Iterable[str] = (),
    relations: dict[str, str] | None = None,
) -> str:
    """A digest of everything a step reads: `tables`' content, `relations`' rows (name → SQL:
    the part of a table a step reads, e.g. rows before a date), `extra` (JSON-able settings),
    the embedding cache's rows per model, and the source of `modules`."""
    parts = {
        "tables": {t: table_digest(con, t) for t in sorted(tables)},
        "relations": {k: relation_digest(con, q) for k, q in sorted((relations or {}).items())},
        "extra": extra or {},
        "embeddings": embedding_cache_digest(con, embeddings_path),
        "code": code_digest(modules),
    }
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def unchanged(con: duckdb.DuckDBPyConnection, step: str, value: str) -> bool:
    """True when `value` equals the fingerprint stored for `step` by its last rebuild."""
    return get_meta(con, META_PREFIX + step) == value


def remember(con: duckdb.DuckDBPyConnection, step: str, value: str) -> None:
    """Store `value` as `step`'s fingerprint (call after the step rebuilt its tables)."""
    set_meta(con, META_PREFIX + step, value)
