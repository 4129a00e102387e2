"""The nightly refresh: inbox → embed → tag → score → backtest, published atomically, logged.

Everything happens inside one `store.writing(settings, "refresh")` block: the steps work on a
copy of the published database, and the app keeps reading the previous complete state until
the copy is swapped in at the end. A failure anywhere publishes nothing; the failed run is
then recorded in the published run log by a second, short writer, so `cockpit runs` shows it.

Status and exit code: success (0), partial (2: published, but rows were quarantined or files
refused in this run), failed (1: nothing published). Another writer running → `LockedError`
(the CLI exits 3). See "Nightly refresh" in README.md.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import signal
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cockpit import engine, store
from cockpit.errors import LockedError, StoreMissingError
from cockpit.progress import make_progress
from cockpit.settings import Settings
from cockpit.store import runlog
from pipelines.context import StepContext
from pipelines.inbox import InboxStep

log = logging.getLogger(__name__)

# After the inbox, in this order; each is `pipelines.<name>` exposing run(ctx) -> dict.
STEP_MODULES = ("embed", "tag", "discover", "score", "backtest")
# Step counts that make a run `partial` when positive.
PARTIAL_COUNTS = ("rows_quarantined", "files_refused")


@dataclass(frozen=True)
class Step:
    """One named step; `after_publish` runs after the swap (e.g. archiving inbox files)."""

    name: str
    run: Callable[[StepContext], Mapping[str, float]]
    after_publish: Callable[[], None] | None = None


@dataclass
class RunResult:
    """The outcome of one refresh."""

    run_id: str
    status: str  # success | partial | failed
    exit_code: int
    counts: dict[str, dict[str, float]] = field(default_factory=dict)
    error: str | None = None


@dataclass
class _StepRecord:
    name: str
    started_at: Any
    duration_s: float
    status: str
    counts: dict[str, float]


def _module_step(name: str) -> Step:
    module = f"pipelines.{name}"
    if importlib.util.find_spec(module) is None:
        raise ImportError(f"pipeline step module {module} is missing; reinstall Cockpit")

    def run(ctx: StepContext) -> Mapping[str, float]:
        return importlib.import_module(module).run(ctx)  # imported lazily, when the step runs

    return Step(name, run)


def default_steps(inbox: Path, keep_days: int = 0) -> list[Step]:
    """The production step list: the inbox on `inbox`, then the step modules in order."""
    box = InboxStep(Path(inbox), keep_days=keep_days)
    return [Step("inbox", box.run, box.archive), *(_module_step(n) for n in STEP_MODULES)]


def _as_step(item: Step | tuple) -> Step:
    return item if isinstance(item, Step) else Step(*item)


def _embedder_factory(settings: Settings) -> Callable[[], Any]:
    cache: list[Any] = []

    def factory() -> Any:
        if not cache:  # the model loads only if a step needs to embed something
            from cockpit.embedding import make_embedder

            cache.append(make_embedder(settings))
        return cache[0]

    return factory


def _command(full: bool, inbox: Path | None) -> str:
    return "refresh" + (" --full" if full else "") + (f" --inbox {inbox}" if inbox else "")


def _error_text(exc: BaseException, step: str | None) -> str:
    if isinstance(exc, KeyboardInterrupt):
        what = str(exc) or "interrupted (Ctrl-C)"
    else:
        what = f"{type(exc).__name__}: {exc}"
    return f"step {step}: {what}" if step else what


def _quarantined_in_run(con, run_id: str, records: Iterable[_StepRecord]) -> bool:
    if any(r.counts.get(k, 0) > 0 for r in records for k in PARTIAL_COUNTS):
        return True
    row = con.execute("SELECT count(*) FROM quarantine WHERE run_id = ?", [run_id]).fetchall()[0]
    return bool(row and row[0])


def check_store_present(settings: Settings) -> None:
    """Refuse to start from an empty store when the home shows a store existed before.

    A deleted `cockpit.duckdb` next to an embedding cache, a corrections file or inbox history
    means data was lost: publishing an empty store would hide that. `--init` starts afresh.
    """
    if settings.db_path.exists():
        return
    traces = [
        p for p in (settings.embeddings_path, settings.corrections_path,
                    settings.inbox / "processed", settings.inbox / "refused")
        if p.exists()
    ]  # fmt: skip
    if traces:
        raise StoreMissingError(
            f"{settings.db_path} is missing, but {', '.join(str(p) for p in traces)} show(s) "
            f"a store existed; restore it from a backup, or run `cockpit refresh --init` to "
            f"start from an empty store (ingest the exports again)."
        )


def refresh(
    settings: Settings,
    inbox: Path | str | None = None,
    full: bool = False,
    progress_mode: str = "auto",
    steps: Iterable[Step | tuple] | None = None,
    progress: Any = None,
    init: bool = False,
) -> RunResult:
    """Run the refresh once and return its result (the run is also in `runs`/`run_steps`).

    `inbox` overrides `settings.inbox`; `full` asks every step to rebuild from the stored
    conversations (`ctx.full`); `steps` replaces the default step list (tests inject fakes);
    `progress` replaces the reporter `progress_mode` would make. Raises `StoreMissingError`
    when the store vanished but the home shows it existed (unless `init`). Raises `LockedError` at once
    when another writer runs (nothing is done or recorded). Never raises for a failing step:
    the result says `failed` and carries the error.
    """
    inbox_dir = Path(inbox) if inbox else None
    step_list = [
        _as_step(s)
        for s in (
            steps
            if steps is not None
            else default_steps(inbox_dir or settings.inbox, settings.inbox_keep_days)
        )
    ]
    if not init:
        check_store_present(settings)
    reporter = progress or make_progress(progress_mode)
    run_id = runlog.new_run_id()
    command = _command(full, inbox_dir)
    started_at = runlog.utcnow()
    records: list[_StepRecord] = []
    try:
        with store.writing(settings, command, run_id=run_id) as con:
            runlog.start_run(con, run_id, command, started_at, os.getpid())
            ctx = StepContext(
                con=con,
                settings=settings,
                run_id=run_id,
                full=full,
                progress=reporter,
                embedder_factory=_embedder_factory(settings),
            )
            for step in step_list:
                _run_step(con, ctx, step, reporter, records)
            status = "partial" if _quarantined_in_run(con, run_id, records) else "success"
            runlog.finish_run(con, run_id, status)
            store.set_meta(con, "last_refresh_run_id", run_id)
        log.info("Refresh %s published: %s", run_id, status)
    except LockedError:
        reporter.close()
        raise
    except (Exception, KeyboardInterrupt) as exc:
        failed_step = records[-1].name if records and records[-1].status == "failed" else None
        error = _error_text(exc, failed_step)
        log.error("Refresh %s failed, nothing published: %s", run_id, error)
        _record_failure(settings, run_id, command, started_at, records, error)
        reporter.message(f"refresh {run_id}: failed, nothing published — {error}")
        reporter.close()
        return RunResult(run_id, "failed", runlog.EXIT_FAILED, _counts(records), error)
    finally:
        engine.shutdown(settings)  # stops a local Ray cluster this run started
    for step in step_list:
        if step.after_publish is not None:
            try:
                step.after_publish()
            except Exception as exc:  # the data is published; a leftover file is harmless
                log.warning("After-publish work of step %s failed: %s", step.name, exc)
    reporter.message(f"refresh {run_id}: {status}")
    reporter.close()
    return RunResult(run_id, status, runlog.EXIT_CODE_FOR_STATUS[status], _counts(records))


def _run_step(con, ctx: StepContext, step: Step, reporter, records: list[_StepRecord]) -> None:
    """Run one step and record it (in `records` too, so a failure can be logged afterwards)."""
    started = runlog.utcnow()
    reporter.step_started(step.name)
    t0 = time.monotonic()
    try:
        counts = {k: _number(v) for k, v in dict(step.run(ctx) or {}).items()}
    except BaseException:
        records.append(_StepRecord(step.name, started, time.monotonic() - t0, "failed", {}))
        reporter.step_finished(step.name, records[-1].duration_s, "failed", {})
        raise
    status = "partial" if any(counts.get(k, 0) > 0 for k in PARTIAL_COUNTS) else "success"
    record = _StepRecord(step.name, started, time.monotonic() - t0, status, counts)
    reporter.step_finished(step.name, record.duration_s, status, counts)
    records.append(record)
    runlog.record_step(
        con,
        ctx.run_id,
        step.name,
        record.started_at,
        record.duration_s,
        record.status,
        record.counts,
    )


def _number(v: float) -> float:
    return int(v) if float(v).is_integer() else float(v)


def _counts(records: list[_StepRecord]) -> dict[str, dict[str, float]]:
    return {r.name: r.counts for r in records}


def _record_failure(
    settings: Settings,
    run_id: str,
    command: str,
    started_at,
    records: list[_StepRecord],
    error: str,
) -> None:
    """Write the failed run to the published run log (its own copy was discarded)."""
    try:
        with store.writing(settings, f"{command} (recording failure)", run_id=run_id) as con:
            runlog.start_run(con, run_id, command, started_at, os.getpid())
            for r in records:
                runlog.record_step(
                    con, run_id, r.name, r.started_at, r.duration_s, r.status, r.counts
                )
            runlog.finish_run(con, run_id, "failed", error=error)
    except Exception as exc:  # e.g. disk full: the failure itself is already logged
        log.error("Could not record failed run %s in the run log: %s", run_id, exc)


def install_sigterm_handler() -> None:
    """Turn SIGTERM (systemd stop, `kill`) into KeyboardInterrupt so the run is recorded as
    failed and its copy removed, instead of vanishing like a kill -9. Call from the CLI."""

    def _terminate(signum, frame):
        raise KeyboardInterrupt("terminated (SIGTERM)")

    signal.signal(signal.SIGTERM, _terminate)
