"""The single-writer lock: a file holding the owner's pid, start time, command and run id.

A second writer fails at once with a message naming the running one; a lock left by a dead
process (kill -9, crash, reboot) is detected, reported and cleared.

Design: the exclusion itself is an OS-level `flock` on `$COCKPIT_HOME/writer.lock`. The kernel
releases it when the holder dies, however it dies, so a killed writer never blocks the next one.
The file's *contents* (JSON) only serve messages: who holds the lock now, or who held it and died
without releasing it (the contents are emptied on every normal or exceptional exit, so non-empty
contents found by a writer that got the lock mean the previous holder was killed).

Limits: `flock` is per open file description; a child process forked by the writer inherits it
and keeps the lock until the child exits too. `flock` is unreliable on some network filesystems:
keep `COCKPIT_HOME` on a local disk.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from cockpit.errors import LockedError

log = logging.getLogger(__name__)


def describe_holder(info: dict) -> str:
    """`pid 123, started 2026-11-14T02:15:00+00:00, command 'refresh', run r-…` for messages."""
    parts = [f"pid {info.get('pid', '?')}", f"started {info.get('started_at', '?')}"]
    if info.get("command"):
        parts.append(f"command '{info['command']}'")
    if info.get("run_id"):
        parts.append(f"run {info['run_id']}")
    return ", ".join(parts)


def pid_alive(pid: int | None) -> bool:
    """True when a process with this pid exists on this machine."""
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def read_lock(path: Path) -> dict | None:
    """The lock holder's details, or None when no lock file exists ({} when it is empty)."""
    try:
        return json.loads(path.read_text() or "{}")
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, OSError):
        return {}


def _read_holder(path: Path) -> dict:
    # The holder writes its details right after taking the flock; give it a moment.
    for _ in range(20):
        info = read_lock(path) or {}
        if info.get("pid"):
            return info
        time.sleep(0.01)
    return {}


def _locked_message(info: dict) -> str:
    if not info:
        return (
            "another Cockpit writer is running (its details are not readable yet); wait for it "
            "to finish, then try again."
        )
    who = describe_holder(info)
    if pid_alive(info.get("pid")):
        return (
            f"another Cockpit writer is running ({who}); wait for it to finish or stop it "
            f"with `kill {info.get('pid')}`, then try again."
        )
    return (
        f"the writer lock is held, but the process it names is gone ({who}); a child process it "
        f"started still holds the lock. Stop that child (see `fuser {info.get('lock_path', '')}`), "
        f"then try again."
    )


@contextlib.contextmanager
def writer_lock(path: Path, command: str = "", run_id: str | None = None) -> Iterator[dict]:
    """Hold the writer lock for the duration of the block; yield the holder details.

    Raises `LockedError` at once (no waiting) when another process holds it. When the previous
    holder died without releasing it, its details are logged and returned as `info["stale"]`
    so the caller can record the interrupted run.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(_locked_message(_read_holder(path))) from None
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": command,
            "run_id": run_id,
            "lock_path": str(path),
        }
        previous = read_lock(path)
        if previous and previous.get("pid"):
            info["stale"] = previous
            log.warning(
                "Cleared a stale writer lock: %s is no longer running (killed or crashed before "
                "it finished). The published database was not changed by it; its unfinished copy "
                "is discarded.",
                describe_holder(previous),
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({k: v for k, v in info.items() if k != "stale"}).encode(), 0)
        os.fsync(fd)
        failed = True
        try:
            yield info
            failed = False
        finally:
            os.ftruncate(fd, 0)
            if failed and info.get("stale"):
                # Nothing was published, so neither was the record of the killed writer: keep
                # naming it until a writer that succeeds has recorded it.
                os.pwrite(fd, json.dumps(info["stale"]).encode(), 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
