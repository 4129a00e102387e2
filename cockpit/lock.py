"""The single-writer lock: a file holding the owner's pid, start time and command.

A second writer fails at once with a message naming the running one; a lock left by a dead
process (kill -9, crash, reboot) is detected and cleared.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from cockpit.errors import LockedError

log = logging.getLogger(__name__)


def _describe(info: dict) -> str:
    return (
        f"pid {info.get('pid')}, started {info.get('started_at')}"
        + (f", command '{info['command']}'" if info.get("command") else "")
    )


def read_lock(path: Path) -> dict | None:
    """The lock holder's details, or None when no lock file exists."""
    try:
        return json.loads(path.read_text() or "{}")
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, OSError):
        return {}


@contextlib.contextmanager
def writer_lock(path: Path, command: str = "") -> Iterator[dict]:
    """Hold the writer lock for the duration of the block.

    Uses an OS-level `flock`, which the kernel releases when the holder dies, so a stale lock
    file from a killed process never blocks the next run; its contents only serve the message.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            info = read_lock(path) or {}
            raise LockedError(
                f"another Cockpit writer is running ({_describe(info)}); wait for it to finish "
                f"or stop it, then try again."
            ) from None
        previous = read_lock(path)
        if previous and previous.get("pid"):
            log.warning("Cleared a stale writer lock left by %s", _describe(previous))
        info = {
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": command,
            "monotonic": time.monotonic(),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        os.fsync(fd)
        try:
            yield info
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
