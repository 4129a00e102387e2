"""Progress reporters for long runs: rich bars on a terminal, log lines for cron, or nothing.

All three implement the `Progress` protocol steps use (`start(label, total)`, `advance(n)`,
`done()`) plus the run-level hooks the refresh orchestration calls (`step_started`,
`step_finished`, `message`, `close`). Pick one with `make_progress(mode)`:

- `rich`: a bar per step with done/total counts, rate and time left (stderr).
- `plain`: timestamped lines on stderr, at most one progress line every `interval_s` per step,
  so a cron mail or journal stays short.
- `quiet`: nothing.
- `auto`: `rich` when stderr is a terminal, `plain` otherwise.

These classes write to a stream on purpose: reporting progress is their job. They are created
at the edge (CLI) and handed down.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Protocol

MODES = ("auto", "rich", "plain", "quiet")


def _num(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.2f}"


def format_counts(counts: Mapping[str, float]) -> str:
    """`rows_loaded=5,000 files_picked_up=2` for a step's counts."""
    return " ".join(f"{k}={_num(v)}" for k, v in counts.items())


class Progress(Protocol):
    """What a pipeline step reports to whoever watches (terminal bars, log lines, or nothing)."""

    def start(self, label: str, total: int | None = None) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def done(self) -> None: ...


class QuietProgress:
    """Reports nothing (--quiet, tests)."""

    def start(self, label: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def done(self) -> None:
        pass

    def step_started(self, name: str) -> None:
        pass

    def step_finished(
        self, name: str, duration_s: float, status: str, counts: Mapping[str, float]
    ) -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class PlainProgress(QuietProgress):
    """Timestamped log lines for non-interactive runs (cron, systemd journal)."""

    def __init__(self, stream: IO[str] | None = None, interval_s: float = 10.0):
        self.stream = stream or sys.stderr
        self.interval_s = interval_s
        self._label = ""
        self._total: int | None = None
        self._n = 0
        self._t0 = 0.0
        self._last = 0.0

    def _line(self, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.stream.write(f"{stamp} {text}\n")
        self.stream.flush()

    def _status(self) -> str:
        elapsed = max(time.monotonic() - self._t0, 1e-9)
        rate = self._n / elapsed
        if self._total:
            pct = 100 * self._n / self._total
            left = (self._total - self._n) / rate if rate > 0 else float("nan")
            return f"{self._n:,}/{self._total:,} ({pct:.0f}%), {rate:,.0f}/s, ~{left:,.0f} s left"
        return f"{self._n:,}, {rate:,.0f}/s"

    def start(self, label: str, total: int | None = None) -> None:
        self._label, self._total, self._n = label, total, 0
        self._t0 = self._last = time.monotonic()
        self._line(f"{label}: started" + (f" ({total:,} to do)" if total else ""))

    def advance(self, n: int = 1) -> None:
        self._n += n
        now = time.monotonic()
        if now - self._last >= self.interval_s:
            self._last = now
            self._line(f"{self._label}: {self._status()}")

    def done(self) -> None:
        if self._label:
            elapsed = time.monotonic() - self._t0
            self._line(f"{self._label}: done, {self._n:,} in {elapsed:.1f} s")
        self._label = ""

    def step_started(self, name: str) -> None:
        self._line(f"step {name}: running")

    def step_finished(
        self, name: str, duration_s: float, status: str, counts: Mapping[str, float]
    ) -> None:
        self._line(f"step {name}: {status} in {duration_s:.1f} s {format_counts(counts)}".rstrip())

    def message(self, text: str) -> None:
        self._line(text)


class RichProgress(QuietProgress):
    """Live progress bars with counts, rate and time left, on stderr."""

    def __init__(self, console=None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")

        self.console = console or Console(stderr=True)
        self._bars = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._bars.start()
        self._task = None

    def start(self, label: str, total: int | None = None) -> None:
        self.done()
        self._task = self._bars.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._bars.advance(self._task, n)

    def done(self) -> None:
        if self._task is not None:
            task = next(t for t in self._bars.tasks if t.id == self._task)
            self._bars.update(self._task, total=task.completed if task.total is None else None)
            self._bars.stop_task(self._task)
            self._task = None

    def step_started(self, name: str) -> None:
        self.console.log(f"[cyan]{name}[/]: running")

    def step_finished(
        self, name: str, duration_s: float, status: str, counts: Mapping[str, float]
    ) -> None:
        colour = {"success": "green", "partial": "yellow", "failed": "red"}.get(status, "dim")
        self.console.log(
            f"[cyan]{name}[/]: [{colour}]{status}[/] in {duration_s:.1f} s {format_counts(counts)}"
        )

    def message(self, text: str) -> None:
        self.console.log(text)

    def close(self) -> None:
        self.done()
        self._bars.stop()


def make_progress(mode: str = "auto", stream: IO[str] | None = None) -> QuietProgress:
    """The reporter for `mode` (auto | rich | plain | quiet); auto = rich on a terminal."""
    if mode not in MODES:
        raise ValueError(f"progress mode must be one of {', '.join(MODES)}; got {mode!r}")
    stream = stream or sys.stderr
    if mode == "auto":
        mode = "rich" if stream.isatty() else "plain"
    if mode == "quiet":
        return QuietProgress()
    if mode == "plain":
        return PlainProgress(stream)
    from rich.console import Console

    return RichProgress(Console(file=stream))
