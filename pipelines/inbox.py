"""The inbox step: pick up newly delivered export files and ingest them.

Files are dropped into the inbox folder (`$COCKPIT_HOME/inbox`, or `cockpit refresh --inbox DIR`).
A file is identified by the sha256 of its content, so a file delivered again — even under another
name — is recognised (its hash is in `ingested_files`) and skipped. New files go to
`cockpit.ingest.ingest_paths` in one call (accounts before conversations, so one delivery can
hold both).

What happens to the files (decision): raw exports are unmasked personal data, so after the
run is *published* each file leaves the inbox and is **deleted** (the store holds the masked
rows; `ingested_files` and the run log say what came in). With `COCKPIT_INBOX_KEEP_DAYS=N`
(`keep_days`) they are kept N days instead, then deleted:
- ingested (even with some rows quarantined) or skipped as a duplicate →
  `inbox/processed/<YYYY-MM-DD>/<name>`;
- refused whole (unknown table, missing columns, unreadable) → `inbox/refused/<YYYY-MM-DD>/`,
  to be fixed and dropped again; the run is `partial`.
Every run also retries the quarantined rows that wait for a parent (`ingest.retry_waiting`).
Files are moved only after the publish: a failed or killed run leaves the inbox untouched, and a
crash between publish and move is harmless (next time the files are duplicates, skipped and
moved). Hidden files and names ending in `.part`, `.tmp`, `.partial`, `~` are left alone: deliver
by writing under such a name and renaming when complete, so a half-written file is never read.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cockpit import contract
from pipelines.context import StepContext

log = logging.getLogger(__name__)

IN_PROGRESS_SUFFIXES = (".part", ".partial", ".tmp", "~")
PROCESSED, REFUSED = "processed", "refused"


def file_sha256(path: Path, block: int = 1 << 20) -> str:
    """Content hash of a file, streamed in 1 MiB blocks (matches `ingested_files.file_hash`)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            h.update(chunk)
    return h.hexdigest()


def pending_files(folder: Path) -> list[Path]:
    """Complete files waiting in `folder` (not recursive: processed/ and refused/ are skipped)."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(IN_PROGRESS_SUFFIXES)
    )


def _load_rank(path: Path) -> tuple[int, str]:
    table = contract.table_for_filename(path.name)
    rank = contract.LOAD_ORDER.index(table) if table in contract.LOAD_ORDER else 99
    return rank, path.name


@dataclass
class InboxStep:
    """The inbox step bound to a folder; `archive()` moves the files once the run is published."""

    folder: Path
    ingest: Callable | None = None  # ingest_paths(con, paths, run_id=, progress=); tests inject
    keep_days: int = 0  # raw files kept this many days after a published run (0: deleted)
    _moves: list[tuple[Path, str]] = field(default_factory=list)

    def run(self, ctx: StepContext) -> dict[str, float]:
        """Ingest the new files in the folder; return the step's counts."""
        self._moves = []
        counts = dict.fromkeys(
            (
                "files_picked_up",
                "files_skipped",
                "files_refused",
                "rows_read",
                "rows_loaded",
                "rows_updated",
                "rows_quarantined",
                "rows_retried_loaded",
            ),
            0,
        )
        self.folder.mkdir(parents=True, exist_ok=True)  # show operators where to drop files
        files = sorted(pending_files(self.folder), key=_load_rank)
        known = {r[0] for r in ctx.con.execute("SELECT file_hash FROM ingested_files").fetchall()}
        new: list[Path] = []
        for path in files:
            digest = file_sha256(path)
            if digest in known:
                log.info("%s: delivered before (same content); skipped", path.name)
                counts["files_skipped"] += 1
                self._moves.append((path, PROCESSED))
            else:
                known.add(digest)  # the same content twice in one delivery counts once
                new.append(path)
        if self.ingest is None:
            from cockpit.ingest import retry_waiting

            if not new:  # ingest_paths retries by itself after loading new files
                retried = retry_waiting(ctx.con, ctx.run_id, ctx.settings.ingest_limits())
                counts["rows_retried_loaded"] = sum(r.loaded for r in retried)
                return counts
            report = _ingest_paths()(
                ctx.con, new, run_id=ctx.run_id, progress=ctx.progress,
                limits=ctx.settings.ingest_limits(),
            )  # fmt: skip
            counts["rows_retried_loaded"] = sum(r.loaded for r in report.retried)
        elif not new:
            return counts
        else:
            report = self.ingest(ctx.con, new, run_id=ctx.run_id, progress=ctx.progress)
        for fr in report.files:
            path = Path(fr.path)
            if fr.refused:
                log.warning("%s refused: %s", path.name, fr.refused)
                counts["files_refused"] += 1
                self._moves.append((path, REFUSED))
                continue
            if fr.skipped:
                counts["files_skipped"] += 1
            else:
                counts["files_picked_up"] += 1
            counts["rows_read"] += fr.rows_read
            counts["rows_loaded"] += fr.loaded
            counts["rows_updated"] += fr.updated
            counts["rows_quarantined"] += fr.quarantined
            self._moves.append((path, PROCESSED))
        return counts

    def archive(self, today: str | None = None) -> None:
        """After a published run: delete the run's files, or with `keep_days` move them to
        processed/<date>/ or refused/<date>/ and delete the dated folders past their days."""
        today = today or datetime.now(UTC).strftime("%Y-%m-%d")
        if not self.keep_days:
            for path, _ in self._moves:
                if path.exists():
                    path.unlink()
                    log.info("Deleted %s (raw export; its rows are stored masked)", path.name)
            self._moves = []
            self._prune(today)
            return
        for path, where in self._moves:
            if not path.exists():
                continue
            dest_dir = self.folder / where / today
            dest_dir.mkdir(parents=True, exist_ok=True)
            dest = dest_dir / path.name
            if dest.exists():
                dest = dest_dir / f"{path.stem}-{file_sha256(path)[:8]}{path.suffix}"
            shutil.move(str(path), str(dest))
            log.info("Moved %s to %s", path.name, dest)
        self._moves = []
        self._prune(today)

    def _prune(self, today: str) -> None:
        """Delete processed/ and refused/ folders older than `keep_days` (all when 0)."""
        limit = datetime.strptime(today, "%Y-%m-%d").date() - timedelta(days=self.keep_days)
        for where in (PROCESSED, REFUSED):
            for folder in sorted((self.folder / where).glob("????-??-??")):
                try:
                    day = datetime.strptime(folder.name, "%Y-%m-%d").date()
                except ValueError:
                    continue
                if day < limit or not self.keep_days:
                    shutil.rmtree(folder)
                    log.info("Deleted %s (kept %s days)", folder, self.keep_days)


def _ingest_paths() -> Callable:
    from cockpit.ingest import ingest_paths

    return ingest_paths


def run(ctx: StepContext) -> dict[str, float]:
    """Step entry point on `settings.inbox`. Files are not moved: `cockpit refresh` does that."""
    return InboxStep(ctx.settings.inbox).run(ctx)
