"""Validation in SQL: staged VARCHAR rows (`_stg`) → typed values and per-column errors (`_typed`).

Every check is per row: a value that does not fit its type (`NaN`, `inf`, `2147483648` for an
integer), a range, an allowed value, a plausible time window, or a missing parent quarantines
that row alone, never the file. Typed values use TRY_CAST, so a bad value can never raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import duckdb

from cockpit import contract

TRUE_WORDS = ("true", "t", "1", "yes", "y")
FALSE_WORDS = ("false", "f", "0", "no", "n")
INT32 = (-(2**31), 2**31 - 1)
# Calendar dates (renewal, go-live) outside this window are typos or placeholders (9999-12-31);
# wide on purpose: renewals may lie decades ahead.
DATE_WINDOW = (date(1900, 1, 1), date(2199, 12, 31))


@dataclass(frozen=True)
class Limits:
    """Per-row plausibility limits (from `Settings`; see `Settings.ingest_limits`)."""

    timestamp_min: datetime  # naive UTC
    timestamp_max: datetime  # naive UTC
    max_value_bytes: int

    @classmethod
    def default(cls, now: datetime | None = None) -> Limits:
        """2000-01-01 … now + 1 day, values up to 1 MB (the contract's documented defaults)."""
        now = (now or datetime.now(UTC)).replace(tzinfo=None)
        return cls(datetime(2000, 1, 1), now + timedelta(days=1), 1_000_000)


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """A quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _num(x: float) -> str:
    return f"{x:g}"


def column_sql(col: contract.Column, limits: Limits) -> tuple[str, str | None]:
    """(typed value expression, error-reason expression) for one contract column of `_stg`."""
    v = f"NULLIF(trim({q(col.name)}), '')"
    reason_empty = f"WHEN {v} IS NULL THEN 'empty required value'" if col.required else ""
    checks: list[str] = []
    if col.kind == "text" and col.choices:
        default = lit(col.default) if col.default else "NULL"
        value = f"coalesce(lower({v}), {default})"
        allowed = ", ".join(lit(c) for c in col.choices)
        checks.append(
            f"{value} NOT IN ({allowed}) THEN {lit('not one of: ' + ', '.join(col.choices))}"
        )
    elif col.kind == "text":
        value = v
    elif col.kind == "timestamp":
        value = f"(TRY_CAST({v} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')"
        lo, hi = limits.timestamp_min, limits.timestamp_max
        checks.append(
            f"{value} IS NULL THEN "
            "'unparseable timestamp; expected ISO-8601 such as 2026-11-25T14:30:00Z'"
        )
        window = (
            f"outside the plausible window {lo:%Y-%m-%d} … {hi:%Y-%m-%d %H:%M} UTC "
            "(COCKPIT_TIMESTAMP_MIN; at most 1 day after ingestion)"
        )
        checks.append(
            f"({value} < TIMESTAMP {lit(lo.isoformat(sep=' '))} OR {value} > "
            f"TIMESTAMP {lit(hi.isoformat(sep=' '))}) THEN {lit(window)}"
        )
    elif col.kind == "date":
        value = f"coalesce(TRY_CAST({v} AS DATE), TRY_CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE))"
        checks.append(f"{value} IS NULL THEN 'unparseable date; expected YYYY-MM-DD'")
        lo, hi = DATE_WINDOW
        checks.append(
            f"({value} < DATE {lit(lo.isoformat())} OR {value} > DATE {lit(hi.isoformat())}) "
            f"THEN {lit(f'outside the plausible dates {lo} … {hi}')}"
        )
    elif col.kind == "bool":
        t = ", ".join(lit(w) for w in TRUE_WORDS)
        f = ", ".join(lit(w) for w in FALSE_WORDS)
        value = f"(CASE WHEN lower({v}) IN ({t}) THEN true WHEN lower({v}) IN ({f}) THEN false END)"
        checks.append(
            f"{value} IS NULL THEN 'not a boolean; expected true/false, 1/0, yes/no or t/f'"
        )
    elif col.kind in ("float", "int"):
        d = f"TRY_CAST({v} AS DOUBLE)"
        checks.append(f"{d} IS NULL OR NOT isfinite({d}) THEN 'not a number'")
        if col.kind == "int":
            value = f"TRY_CAST({d} AS INTEGER)"
            checks.append(f"{d} <> round({d}) THEN 'not an integer'")
        else:
            value = d
        if col.min is not None or col.max is not None:
            lo = -1e308 if col.min is None else col.min
            hi = 1e308 if col.max is None else col.max
            if col.max is None:
                text = f"below the minimum {_num(lo)}" + (" (negative)" if lo == 0 else "")
            else:
                text = f"outside the range {_num(lo)}–{_num(hi)}"
            checks.append(f"{d} < {lo} OR {d} > {hi} THEN {lit(text)}")
        if col.kind == "int":
            checks.append(
                f"{d} < {INT32[0]} OR {d} > {INT32[1]} THEN 'outside the 32-bit integer range'"
            )
    else:  # pragma: no cover - the contract only has the kinds above
        raise ValueError(col.kind)
    parts = [reason_empty] + [f"WHEN {v} IS NOT NULL AND {c}" for c in checks]
    parts = [p for p in parts if p]
    error = f"CASE {' '.join(parts)} END" if parts else None
    return value, error


def reference_sql(table: str, column: str, value: str) -> str:
    """Error expression when `value` names no row of the parent table."""
    parent = contract.TABLES[table].references[column]
    parent_key = contract.TABLES[parent].key[0]
    return (
        f"CASE WHEN {value} IS NOT NULL AND {value} NOT IN "
        f"(SELECT {q(parent_key)} FROM {q(parent)}) THEN "
        f"{lit(f'unknown {column}; it must exist in {parent} (it loads automatically once the {parent} row arrives)')} END"
    )


def build_typed(con: duckdb.DuckDBPyConnection, table: str, limits: Limits) -> list[str]:
    """Create `_typed` from `_stg`; return the names of the columns that have an error column.

    `_typed` has the staging metadata, `_raw` (the staged record as JSON), `v_<col>` typed
    values, `e_<col>` reasons, `_bad` (any error) and `_orphan` (only a missing parent).
    """
    spec = contract.TABLES[table]
    typed, errors, refs = [], [], []
    for col in spec.columns:
        value, error = column_sql(col, limits)
        typed.append(f"{value} AS {q('v_' + col.name)}")
        if col.name in spec.references:
            ref = reference_sql(table, col.name, value)
            refs.append(
                f"({error}) IS NULL AND ({ref}) IS NOT NULL" if error else f"({ref}) IS NOT NULL"
            )
            error = f"coalesce({error}, {ref})" if error else ref
        if error:
            errors.append((col.name, error))
    raw = "to_json(struct_pack(" + ", ".join(f"{q(n)} := s.{q(n)}" for n in spec.names) + "))"
    error_cols = [f"{e} AS {q('e_' + n)}" for n, e in errors]
    flags = [f"(CASE WHEN {q('e_' + n)} IS NOT NULL THEN 1 ELSE 0 END)" for n, _ in errors]
    n_errors = " + ".join(flags) or "0"
    orphan = " OR ".join(refs) or "false"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT *, ({n_errors}) > 0 AS _bad, "
        f"(({n_errors}) = 1 AND _ref_only) AS _orphan FROM ("
        f"SELECT s._file, s._hash, s._row, s._lines, {raw} AS _raw, ({orphan}) AS _ref_only, "
        f"{', '.join(typed + error_cols)} FROM _stg s)"
    )
    return [n for n, _ in errors]


def quarantine_errors(
    con: duckdb.DuckDBPyConnection, table: str, error_columns: list[str], run_id: str
) -> None:
    """Insert one quarantine row per failing column of `_typed`, and every `_rejrec` record.

    A row whose only error is a missing parent gets `waiting_for` = the parent table: the
    quarantine retries it once the parent exists (`load.retry_waiting`).
    """
    spec = contract.TABLES[table]
    tail = f"{lit(run_id)}, now()::TIMESTAMP"
    inserts = []
    for n in error_columns:
        parent = spec.references.get(n)
        waiting = f"CASE WHEN _orphan THEN {lit(parent)} END" if parent else "NULL"
        inserts.append(
            f"SELECT _file, {lit(table)}, _row, {lit(n)}, {q('e_' + n)}, _raw, {tail}, "
            f"_lines, {waiting}, _hash FROM _typed WHERE {q('e_' + n)} IS NOT NULL"
        )
    inserts.append(
        f"SELECT _file, {lit(table)}, _row, column_name, reason, raw, {tail}, _lines, NULL, "
        f"_hash FROM _rejrec"
    )
    con.execute(
        "INSERT INTO quarantine (file, table_name, row_number, column_name, reason, raw, run_id, "
        "quarantined_at, lines, waiting_for, file_hash) " + " UNION ALL ".join(inserts)
    )
