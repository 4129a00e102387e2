"""The run log: one `runs` row per writing command, one `run_steps` row per step.

Used by `cockpit refresh` (and usable by ingest and demo). Rows are written on the writer
connection, so they are published together with the data they describe; a run that fails
(whose copy is discarded) is recorded afterwards by a short second writer, and a run that was
killed is recorded by the next writer that finds its stale lock (see `store.writing`).

Status: running | success | partial (data published, but some rows were quarantined or files
refused) | failed. Exit codes of `cockpit refresh`: see `EXIT_CODES`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime

import duckdb

EXIT_SUCCESS = 0
EXIT_FAILED = 1
EXIT_PARTIAL = 2
EXIT_LOCKED = 3
EXIT_CODES = {
    EXIT_SUCCESS: "success: everything new was loaded and every step ran",
    EXIT_FAILED: "failed: nothing was published (the previous state is unchanged)",
    EXIT_PARTIAL: "partial: published, but some rows were quarantined or files refused",
    EXIT_LOCKED: "another writer is running: this run did nothing",
}
EXIT_CODE_FOR_STATUS = {"success": EXIT_SUCCESS, "partial": EXIT_PARTIAL, "failed": EXIT_FAILED}


def utcnow() -> datetime:
    """Now, as the naive UTC timestamp the store uses."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id such as `20261114T021500Z-3f9a1c`."""
    now = now or utcnow()
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def start_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    command: str,
    started_at: datetime | None = None,
    pid: int | None = None,
) -> None:
    """Insert the run's row with status `running`."""
    con.execute(
        "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, NULL, 'running', NULL, NULL, ?)",
        [run_id, command, started_at or utcnow(), pid],
    )


def record_step(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    step: str,
    started_at: datetime,
    duration_s: float,
    status: str,
    counts: Mapping[str, float] | None = None,
) -> None:
    """Record one finished step: success | partial | failed | skipped, with its counts."""
    con.execute(
        "INSERT OR REPLACE INTO run_steps VALUES (?, ?, ?, ?, ?, ?)",
        [run_id, step, started_at, round(duration_s, 3), status, json.dumps(dict(counts or {}))],
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    error: str | None = None,
    ended_at: datetime | None = None,
    exit_code: int | None = None,
) -> None:
    """Set the run's final status, end time, exit code and error text."""
    if exit_code is None:
        exit_code = EXIT_CODE_FOR_STATUS[status]
    con.execute(
        "UPDATE runs SET status = ?, ended_at = ?, exit_code = ?, error = ? WHERE run_id = ?",
        [status, ended_at or utcnow(), exit_code, error, run_id],
    )


def record_interrupted(
    con: duckdb.DuckDBPyConnection, holder: Mapping, detected_by: str | None = None
) -> bool:
    """Record the run of a writer that was killed while holding the lock; True if recorded.

    `holder` is the stale lock's content (pid, started_at, command, run_id). Nothing is recorded
    when that run already has a row (it was killed after publishing).
    """
    pid = holder.get("pid")
    run_id = holder.get("run_id") or f"interrupted-{holder.get('started_at', '?')}-{pid}"
    if con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]).fetchall()[0][0]:
        return False
    started = holder.get("started_at")
    try:
        started_at = datetime.fromisoformat(started).astimezone(UTC).replace(tzinfo=None)
    except (TypeError, ValueError):
        started_at = None
    error = (
        f"interrupted: process {pid} stopped before finishing (killed or crashed); nothing it "
        f"did was published. Found by {detected_by or 'the next writer'}."
    )
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, NULL, 'failed', NULL, ?, ?)",
        [run_id, holder.get("command") or "?", started_at, error, pid],
    )
    return True


def _has_runs(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('runs', 'run_steps') "
        "AND database_name = current_database()"
    ).fetchall()[0]
    return bool(row and row[0] == 2)


def list_runs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict]:
    """The newest `limit` runs, newest first, each with its steps (oldest first)."""
    if not _has_runs(con):
        return []
    cur = con.execute(
        """
        SELECT run_id, command, started_at, ended_at,
               date_diff('millisecond', started_at, ended_at) / 1000.0 AS duration_s,
               status, exit_code, error, pid
        FROM runs ORDER BY started_at DESC NULLS LAST, run_id DESC LIMIT ?
        """,
        [int(limit)],
    )
    names = [d[0] for d in cur.description]
    runs = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    if not runs:
        return runs
    by_id = {r["run_id"]: r for r in runs}
    for r in runs:
        r["steps"] = []
    placeholders = ", ".join("?" for _ in runs)
    rows = con.execute(
        f"SELECT run_id, step, started_at, duration_s, status, counts FROM run_steps "
        f"WHERE run_id IN ({placeholders}) ORDER BY started_at, step",
        list(by_id),
    ).fetchall()
    for run_id, step, started_at, duration_s, status, counts in rows:
        by_id[run_id]["steps"].append(
            {
                "step": step,
                "started_at": started_at,
                "duration_s": duration_s,
                "status": status,
                "counts": json.loads(counts or "{}"),
            }
        )
    return runs


def _fmt_counts(counts: Mapping[str, float]) -> str:
    def num(v: float) -> str:
        return f"{int(v):,}" if float(v).is_integer() else f"{v:,.2f}"

    return " ".join(f"{k}={num(v)}" for k, v in counts.items())


def format_runs(runs: list[dict]) -> str:
    """A plain-text listing of `list_runs` output: one line per run, one per step, the error."""
    if not runs:
        return "No runs recorded yet. Example: cockpit refresh"
    lines = []
    for r in runs:
        started = f"{r['started_at']:%Y-%m-%d %H:%M:%S}" if r["started_at"] else "?"
        ended = f"{r['ended_at']:%H:%M:%S}" if r["ended_at"] else "—"
        dur = f"{r['duration_s']:.1f} s" if r["duration_s"] is not None else "—"
        code = "—" if r["exit_code"] is None else str(r["exit_code"])
        lines.append(
            f"{r['run_id']}  {r['command']}  {started} → {ended} UTC  {dur}  "
            f"{r['status']}  exit {code}"
        )
        for s in r["steps"]:
            sdur = f"{s['duration_s']:.2f} s" if s["duration_s"] is not None else "—"
            lines.append(
                f"    {s['step']:<10} {sdur:>10}  {s['status']:<8} {_fmt_counts(s['counts'])}"
            )
        if r["error"]:
            lines.append(f"    error: {r['error']}")
    return "\n".join(lines)
