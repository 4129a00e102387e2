"""The inbox step: pick up newly delivered export files and ingest them.

Files are dropped into the inbox folder (`$COCKPIT_HOME/inbox`, or `cockpit refresh --inbox DIR`).
A file is identified by the sha256 of its content, so a file delivered again — even under another
name — is recognised (its hash is in `ingested_files`) and skipped. New files go to
`cockpit.ingest.ingest_paths` in one call (accounts before conversations, so one delivery can
hold both).

What happens to the files (decision): after the run is *published*, each file is moved out of
the inbox, so the folder only ever holds what is still to do and a nightly run does not re-hash
old deliveries:
- ingested (even with some rows quarantined) or skipped as a duplicate →
  `inbox/processed/<YYYY-MM-DD>/<name>`;
- refused whole (unknown table, missing columns, unreadable) → `inbox/refused/<YYYY-MM-DD>/`,
  to be fixed and dropped again; the run is `partial`.
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
from datetime import UTC, datetime
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
        if not new:
            return counts
        ingest = self.ingest or _ingest_paths()
        report = ingest(ctx.con, new, run_id=ctx.run_id, progress=ctx.progress)
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
        """Move the files of the last run to processed/<date>/ or refused/<date>/."""
        today = today or datetime.now(UTC).strftime("%Y-%m-%d")
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


def _ingest_paths() -> Callable:
    from cockpit.ingest import ingest_paths

    return ingest_paths


def run(ctx: StepContext) -> dict[str, float]:
    """Step entry point on `settings.inbox`. Files are not moved: `cockpit refresh` does that."""
    return InboxStep(ctx.settings.inbox).run(ctx)
