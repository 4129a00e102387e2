"""Atomic publishing: readers only ever see complete states; a killed writer changes nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from cockpit import store
from cockpit.store import runlog
from pipelines.refresh import Step, refresh
from tests.conftest import ROOT
from tests.test_refresh import published, steps_for, write_conversations

# Runs in a child process: `hold` keeps the writer lock; `refresh POINT` runs a refresh that
# pauses (writing MARKER) at POINT = copy | step | replace, waiting to be killed.
WORKER = r"""
import os, sys, time
from pathlib import Path
from cockpit import store
from cockpit.store import connection as store_connection
from cockpit.settings import Settings

home, mode, marker = sys.argv[1], sys.argv[2], Path(sys.argv[3])
point = sys.argv[4] if len(sys.argv) > 4 else ""
settings = Settings(home=Path(home), embedder="hashing")

def pause():
    marker.write_text(str(os.getpid()))
    time.sleep(120)

if mode == "hold":
    from cockpit.store.lock import writer_lock
    with writer_lock(settings.lock_path, "refresh", run_id="r-held"):
        pause()

if point == "copy":
    def half_copy(src, dst):
        data = Path(src).read_bytes()
        with open(dst, "wb") as out:
            out.write(data[: len(data) // 2])
            out.flush()
            pause()
    store_connection._copy = half_copy
    store_connection._compact = half_copy  # a Parquet store copies its small file this way
if point == "replace":
    real_replace = os.replace
    def slow_replace(src, dst):
        if Path(dst) == settings.db_path:
            pause()
        real_replace(src, dst)
    os.replace = slow_replace

from pipelines.refresh import Step, refresh
from tests.test_refresh import steps_for

def damage(ctx):
    from cockpit import store
    store.delete_where(ctx.con, "conversations", "true")
    if point == "step":
        pause()
    return {}

refresh(settings, steps=steps_for(settings, Step("damage", damage)), progress_mode="quiet")
"""


def spawn(settings, mode: str, *args: str, timeout: float = 30) -> subprocess.Popen:
    """Start WORKER and wait until it has reached its pause point."""
    marker = settings.home.parent / f"marker-{mode}-{'-'.join(args)}-{time.monotonic_ns()}"
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(settings.home), mode, str(marker), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"worker exited early: {proc.stderr.read().decode()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("worker did not reach its pause point")
        time.sleep(0.02)
    return proc


def kill9(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stderr.close()


def conversation_ids(settings) -> list[str]:
    return [
        r[0] for r in published(settings, "SELECT conversation_id FROM conversations ORDER BY 1")
    ]


@pytest.mark.parametrize("point", ["copy", "step", "replace"])
def test_killed_refresh_leaves_previous_state_and_next_run_recovers(settings, point, caplog):
    write_conversations(settings.inbox / "conversations_1.csv", [("c1", "hi"), ("c2", "yo")])
    refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    write_conversations(settings.inbox / "conversations_2.csv", [("c3", "new")])
    version = store.published_version(settings.db_path)

    proc = spawn(settings, "refresh", point)
    assert conversation_ids(settings) == ["c1", "c2"]  # readable while the writer works
    kill9(proc)

    assert store.published_version(settings.db_path) == version
    assert conversation_ids(settings) == ["c1", "c2"]
    assert (settings.inbox / "conversations_2.csv").exists()
    assert json.loads(settings.lock_path.read_text())["pid"] == proc.pid

    result = refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    assert result.status == "success", result.error
    assert conversation_ids(settings) == ["c1", "c2", "c3"]
    assert not settings.db_path.with_name("cockpit.duckdb.next").exists()
    assert f"Cleared a stale writer lock: pid {proc.pid}" in caplog.text
    runs = runlog.list_runs(store.read_only(settings.db_path))
    killed = [r for r in runs if r["pid"] == proc.pid]
    assert len(killed) == 1 and killed[0]["status"] == "failed"
    assert killed[0]["error"].startswith(
        f"interrupted: process {proc.pid} stopped before finishing"
    )
    assert settings.lock_path.read_text() == ""


READER = r"""
import json, sys, time
from pathlib import Path
from cockpit import store

db, stop = Path(sys.argv[1]), Path(sys.argv[2])
first = store.read_only(db)
first_state = first.execute("SELECT max(version) FROM ledger").fetchone()[0]
cached, cached_key = None, None
reads, versions, bad = 0, set(), []

def check(con, where):
    n, total, version = con.execute(
        "SELECT count(*), sum(amount), max(version) FROM ledger").fetchone()
    if total != 0 or n != 2 * version:
        bad.append([where, n, total, version])
    versions.add(version)

while not stop.exists():
    con = store.read_only(db)          # a fresh reader every time
    check(con, "fresh")
    con.close()
    key = store.published_version(db)  # the app's way: one cached reader per version
    if key != cached_key:
        cached, cached_key = store.read_only(db), key
    check(cached, "cached")
    reads += 1
old = first.execute("SELECT max(version) FROM ledger").fetchone()[0]
print(json.dumps({"reads": reads, "versions": sorted(versions), "bad": bad,
                  "old_reader_still_sees": [first_state, old]}))
"""


def ledger_step(ctx):
    """Moves money between two rows in separate statements: only complete states sum to 0."""
    con = ctx.con
    con.execute("CREATE TABLE IF NOT EXISTS ledger (version INTEGER, amount INTEGER)")
    version = con.execute("SELECT coalesce(max(version), 0) + 1 FROM ledger").fetchone()[0]
    con.execute("INSERT INTO ledger VALUES (?, ?)", [version, 10 * version])
    time.sleep(0.05)
    con.execute("INSERT INTO ledger VALUES (?, ?)", [version, -10 * version])
    return {"version": version}


def test_readers_see_only_complete_states_while_refreshes_publish(settings, tmp_path):
    steps = [Step("ledger", ledger_step)]
    refresh(settings, steps=steps, progress_mode="quiet")
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.db_path), str(stop)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(1.0)  # let the reader start
        for _ in range(5):
            assert refresh(settings, steps=steps, progress_mode="quiet").status == "success"
            time.sleep(0.1)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=30)
    assert reader.returncode == 0, err.decode()
    stats = json.loads(out)
    assert stats["bad"] == []
    assert stats["reads"] > 5
    assert len(stats["versions"]) >= 3, stats
    assert stats["old_reader_still_sees"] == [1, 1]  # an open reader keeps its version


def test_published_version_changes_on_every_publish(settings):
    assert store.published_version(settings.db_path) is None
    with store.writing(settings, "test") as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    first = store.published_version(settings.db_path)
    old_reader = store.read_only(settings.db_path)
    with store.writing(settings, "test") as con:
        con.execute("INSERT INTO t VALUES (2)")
    second = store.published_version(settings.db_path)
    assert first != second
    assert old_reader.execute("SELECT count(*) FROM t").fetchone() == (1,)
    assert store.read_only(settings.db_path).execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_failed_writer_changes_nothing_and_leaves_no_copy(settings):
    with store.writing(settings, "test") as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    version = store.published_version(settings.db_path)
    with pytest.raises(RuntimeError), store.writing(settings, "test") as con:
        con.execute("INSERT INTO t VALUES (2)")
        raise RuntimeError("boom")
    assert store.published_version(settings.db_path) == version
    assert sorted(p.name for p in settings.home.glob("cockpit.duckdb*")) == ["cockpit.duckdb"]


def test_a_wal_left_next_to_the_published_file_is_folded_in(settings):
    with store.writing(settings, "test") as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    # Someone writes to the published file directly and dies before a checkpoint.
    script = (
        "import duckdb, os, sys; c = duckdb.connect(sys.argv[1]); "
        "c.execute('PRAGMA disable_checkpoint_on_shutdown'); "
        "c.execute('INSERT INTO t VALUES (2)'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", script, str(settings.db_path)], check=True)
    wal = settings.db_path.with_name("cockpit.duckdb.wal")
    assert wal.exists()
    with store.writing(settings, "test") as con:
        con.execute("INSERT INTO t VALUES (3)")
    assert not wal.exists()
    assert published(settings, "SELECT x FROM t ORDER BY x") == [(1,), (2,), (3,)]


def test_the_published_file_has_no_wal_and_opens_read_only_elsewhere(settings):
    with store.writing(settings, "test") as con:
        con.execute("CREATE TABLE t AS SELECT range AS x FROM range(1000)")
    assert not settings.db_path.with_name("cockpit.duckdb.wal").exists()
    con = duckdb.connect(str(settings.db_path), read_only=True)
    assert con.execute("SELECT count(*) FROM t").fetchone() == (1000,)
    con.close()
