"""One writer at a time: a second one is refused at once, naming the first; stale locks clear."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cockpit import store
from cockpit.errors import LockedError
from cockpit.store import runlog
from cockpit.store.lock import read_lock, writer_lock
from pipelines.refresh import refresh
from tests.test_publish import kill9, spawn
from tests.test_refresh import published, steps_for


def dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    return int(proc.stdout)


def test_second_writer_in_the_same_process_is_refused(settings):
    with (
        writer_lock(settings.lock_path, "refresh", run_id="r1") as info,
        pytest.raises(LockedError) as err,
        writer_lock(settings.lock_path, "ingest"),
    ):
        pass
    assert str(err.value) == (
        f"another Cockpit writer is running (pid {os.getpid()}, started {info['started_at']}, "
        f"command 'refresh', run r1); wait for it to finish or stop it with "
        f"`kill {os.getpid()}`, then try again."
    )
    assert settings.lock_path.read_text() == ""  # released and emptied


def test_refresh_is_refused_while_another_process_writes(settings, monkeypatch):
    from pipelines.cli import cli

    holder = spawn(settings, "hold")
    try:
        started = read_lock(settings.lock_path)["started_at"]
        with pytest.raises(LockedError, match=re.escape(f"pid {holder.pid}, started {started}")):
            refresh(settings, steps=steps_for(settings), progress_mode="quiet")
        monkeypatch.setenv("COCKPIT_HOME", str(settings.home))
        result = CliRunner().invoke(cli, ["refresh", "--quiet"])
        assert result.exit_code == 3
        assert result.output.startswith(
            f"Error: another Cockpit writer is running (pid {holder.pid}, started {started}, "
            f"command 'refresh', run r-held)"
        )
    finally:
        kill9(holder)
    assert not settings.db_path.exists()  # the refused runs did nothing


def test_a_stale_lock_is_reported_cleared_and_its_run_recorded(settings, caplog):
    holder = spawn(settings, "hold")
    kill9(holder)
    stale = read_lock(settings.lock_path)
    assert stale["pid"] == holder.pid  # the kernel released the flock; the file still names it
    with caplog.at_level(logging.WARNING), store.writing(settings, "ingest") as con:
        con.execute("SELECT 1")
    assert (
        f"Cleared a stale writer lock: pid {holder.pid}, started {stale['started_at']}, "
        f"command 'refresh', run r-held is no longer running"
    ) in caplog.text
    assert published(settings, "SELECT run_id, status, pid FROM runs") == [
        ("r-held", "failed", holder.pid)
    ]
    assert settings.lock_path.read_text() == ""


def test_a_stale_lock_is_remembered_until_a_writer_succeeds(settings):
    pid = dead_pid()
    settings.home.mkdir(parents=True)
    stale = {
        "pid": pid,
        "started_at": "2026-11-14T02:15:00+00:00",
        "command": "refresh",
        "run_id": "r-dead",
    }
    settings.lock_path.write_text(json.dumps(stale))
    with pytest.raises(RuntimeError), store.writing(settings, "demo"):
        raise RuntimeError("boom")
    assert read_lock(settings.lock_path) == stale
    with store.writing(settings, "demo"):
        pass
    runs = runlog.list_runs(store.read_only(settings.db_path))
    assert [(r["run_id"], r["status"], r["command"]) for r in runs] == [
        ("r-dead", "failed", "refresh")
    ]
    assert runs[0]["error"].startswith(f"interrupted: process {pid} stopped before finishing")
    assert read_lock(settings.lock_path) == {}
