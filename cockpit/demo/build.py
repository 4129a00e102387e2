"""Deterministic demo workspace: believable accounts, conversations and a hidden truth.

`generate(out_dir, ...)` writes contract-shaped Parquet files (accounts, conversations, messages,
setup), a CSV of deliberately bad rows (`conversations_late_export.csv`), and three hidden-truth
files (`demo_truth`, `demo_truth_cells`, `demo_conversation_truth`). Same arguments → identical
files: every random draw comes from `numpy.random.SeedSequence([seed, stream, ...])` and the
calendar is fixed by `end_date` (never the wall clock). Conversations are generated in day-aligned
chunks of about `CHUNK_SIZE` rows and written as Parquet row groups, so memory stays bounded.

How outcomes arise. Each account has, for every cell (automation_type, topic_id) of its vertical,
an enabler (`contract.ENABLER_FOR_TYPE[type]`) that goes live on `live_since` (before the period,
during it, or never). A conversation in cell c of account a on day d:
- is involved with the AI with probability π(a, channel) (lower on phone);
- has an unknown outcome (resolved_by NULL) with probability q = UNKNOWN_OUTCOME_RATE;
- otherwise, if involved, is resolved by the AI with probability p_live(a, c) when the enabler
  is live on d, else p_base(a, c); failures are mostly handed over to a human.

Truth formula. With W_a the account's conversations in the last `TRUTH_WINDOW_DAYS` days
(created_at date in [end_date − 89, end_date]):

    achievable_automation_rate(a) = (1/|W_a|) Σ_{i ∈ W_a} (1 − q) · π(a, channel_i) · p_live(a, c_i)
                                  = Σ_c share_a(c) · (1 − q) · mean_{i ∈ W_a, c_i = c} π(a, channel_i) · p_live(a, c)

i.e. the expected share of all conversations (unknown outcomes included in the denominator)
resolved by the AI if every enabler were live, in the account's last-90-day mix.
`automation_rate_end(a)` = |{i ∈ W_a : resolved_by = 'ai'}| / |W_a| (realised).
`demo_truth_cells.share` = the cell's share of W_a; `live_since` NULL = never deployed.

`build_demo(settings, ...)` generates into `settings.home / "demo"`, ingests the contract files,
loads the truth tables and runs the refresh when `pipelines.refresh` is available.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow.parquet as pq

from cockpit.demo.conversations import (
    CONVERSATION_SCHEMA,
    CONVERSATION_TRUTH_SCHEMA,
    build_conversation_table,
    build_conversation_truth_table,
    draw_conversation_chunk,
)
from cockpit.demo.params import TRUTH_WINDOW_DAYS, UNKNOWN_OUTCOME_RATE
from cockpit.demo.slots import build_date_tables
from cockpit.demo.tables import (
    build_accounts_table,
    build_setup_table,
    build_truth_tables,
    write_late_export,
)
from cockpit.demo.text import (
    MESSAGE_SCHEMA,
    build_messages_table,
    build_templates,
)
from cockpit.demo.volume import draw_daily_counts
from cockpit.demo.world import (
    CELLS,
    RB_AI,
    build_world,
)
from cockpit.progress import Progress
from cockpit.settings import Settings

log = logging.getLogger(__name__)

CHUNK_SIZE = 100_000


@dataclass(frozen=True)
class DemoFiles:
    """Where `generate` wrote each file, and what it holds."""

    directory: Path
    accounts: Path
    conversations: Path
    messages: Path
    setup: Path
    late_export: Path
    truth: Path
    truth_cells: Path
    conversation_truth: Path
    n_accounts: int
    n_conversations: int
    n_messages: int
    n_setup: int
    start: date
    end: date
    events: tuple[str, ...] = field(default=())

    @property
    def contract_paths(self) -> list[Path]:
        """The files `cockpit ingest` understands, parents first."""
        return [self.accounts, self.conversations, self.messages, self.setup, self.late_export]


def generate(
    out_dir: Path | str,
    accounts: int = 60,
    months: int = 12,
    conversations: int = 40_000,
    seed: int = 7,
    end_date: date = date(2026, 10, 31),
    progress: Progress | None = None,
) -> DemoFiles:
    """Write a deterministic demo workspace (contract files + hidden truth) into `out_dir`.

    `progress` (optional) follows the `start(label, total)` / `advance(n)` / `done()` protocol.
    """
    from cockpit.errors import CockpitError

    for name, value, low in (("accounts", accounts, 1), ("months", months, 1)):
        if value < low:
            raise CockpitError(f"demo {name} must be at least {low}; got {value}.")
    if conversations < accounts:
        raise CockpitError(
            f"demo conversations must be at least the number of accounts ({accounts}); "
            f"got {conversations}. Pass e.g. --conversations {accounts * 500}."
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(accounts, months, seed, end_date)
    day, acc, forced, counts, events = draw_daily_counts(world, conversations, seed)
    tpl = build_templates()
    dates = build_date_tables(world.start, world.n_days, 60)
    start_s = int((world.start - date(1970, 1, 1)).days) * 86400
    a_n, c_n = accounts, len(CELLS)
    window_start = world.n_days - TRUTH_WINDOW_DAYS
    win_n, win_ai, win_exp = np.zeros(a_n), np.zeros(a_n), np.zeros(a_n)
    win_cells = np.zeros(a_n * c_n)

    # Day-aligned chunks: cells are sorted by day, so chunk k covers whole days.
    conv_before = np.concatenate([[0], np.cumsum(counts)])
    day_cell = np.searchsorted(day, np.arange(world.n_days + 1))
    paths = {
        name: out / f"{name}.parquet"
        for name in ("accounts", "conversations", "messages", "setup", "demo_truth",
                     "demo_truth_cells", "demo_conversation_truth")
    }  # fmt: skip
    writers = {
        "conversations": pq.ParquetWriter(paths["conversations"], CONVERSATION_SCHEMA),
        "messages": pq.ParquetWriter(paths["messages"], MESSAGE_SCHEMA),
        "demo_conversation_truth": pq.ParquetWriter(
            paths["demo_conversation_truth"], CONVERSATION_TRUTH_SCHEMA
        ),
    }
    if progress is not None:
        progress.start("Generating demo conversations", conversations)
    n_messages, chunk, d0 = 0, 0, 0
    try:
        while d0 < world.n_days:
            d1 = d0 + 1
            while (
                d1 < world.n_days
                and conv_before[day_cell[d1 + 1]] - conv_before[day_cell[d0]] <= CHUNK_SIZE
            ):
                d1 += 1
            c0, c1 = day_cell[d0], day_cell[d1]
            reps = counts[c0:c1]
            if reps.sum() == 0:
                d0 = d1
                continue
            rng = np.random.default_rng(np.random.SeedSequence([seed, 2, chunk]))
            c = draw_conversation_chunk(
                world, tpl, dates,
                np.repeat(day[c0:c1], reps), np.repeat(acc[c0:c1], reps),
                np.repeat(forced[c0:c1], reps), rng, int(conv_before[c0]),
            )  # fmt: skip
            writers["conversations"].write_table(build_conversation_table(world, c, start_s))
            msgs = build_messages_table(c, rng, start_s)
            writers["messages"].write_table(msgs)
            n_messages += msgs.num_rows
            writers["demo_conversation_truth"].write_table(build_conversation_truth_table(c))
            w = c["day"] >= window_start
            wa, wc = c["acc"][w], c["cell"][w]
            win_n += np.bincount(wa, minlength=a_n)
            win_ai += np.bincount(wa, weights=(c["rb"][w] == RB_AI), minlength=a_n)
            expected = (1 - UNKNOWN_OUTCOME_RATE) * c["pi"][w] * world.p_live[wa, wc]
            win_exp += np.bincount(wa, weights=expected, minlength=a_n)
            win_cells += np.bincount(wa * c_n + wc, minlength=a_n * c_n)
            if progress is not None:
                progress.advance(len(c["id"]))
            log.info("Demo - chunk %d: %d conversations", chunk, len(c["id"]))
            chunk += 1
            d0 = d1
    finally:
        for writer in writers.values():
            writer.close()
    if progress is not None:
        progress.done()

    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    pq.write_table(build_accounts_table(world), paths["accounts"])
    setup = build_setup_table(world, rng)
    pq.write_table(setup, paths["setup"])
    truth, cells = build_truth_tables(world, win_n, win_ai, win_exp, win_cells.reshape(a_n, c_n))
    pq.write_table(truth, paths["demo_truth"])
    pq.write_table(cells, paths["demo_truth_cells"])
    late = out / "conversations_late_export.csv"
    write_late_export(late, world, end_date)
    log.info("Demo - Completed: %d accounts, %d conversations in %s", a_n, conversations, out)
    return DemoFiles(
        directory=out,
        accounts=paths["accounts"],
        conversations=paths["conversations"],
        messages=paths["messages"],
        setup=paths["setup"],
        late_export=late,
        truth=paths["demo_truth"],
        truth_cells=paths["demo_truth_cells"],
        conversation_truth=paths["demo_conversation_truth"],
        n_accounts=a_n,
        n_conversations=int(counts.sum()),
        n_messages=n_messages,
        n_setup=setup.num_rows,
        start=world.start,
        end=end_date,
        events=tuple(events),
    )


TRUTH_TABLES = ("demo_truth", "demo_truth_cells", "demo_conversation_truth")


class RefreshOutcome(Protocol):
    """What `build_demo` reads from the refresh it is given (pipelines.refresh.RunResult)."""

    status: str
    error: str | None


def build_demo(
    settings,
    accounts: int = 60,
    months: int = 12,
    conversations: int = 40_000,
    seed: int = 7,
    progress: Progress | None = None,
    *,
    end_date: date = date(2026, 10, 31),
    refresh: Callable[[Settings], RefreshOutcome] | None = None,
) -> dict[str, Any]:
    """Generate the demo into `settings.home / "demo"`, ingest it and load the hidden truth.

    `refresh` is called as `refresh(settings)` after the ingest is published (the CLI passes
    `pipelines.refresh.refresh`; `cockpit/` never imports `pipelines/`). Returns a summary dict:
    counts, date range, files, ingest totals and what happened to the refresh.
    """
    from cockpit import store
    from cockpit.ingest import ingest_paths

    files = generate(
        settings.home / "demo", accounts, months, conversations, seed, end_date, progress
    )
    with store.writing(settings, "demo") as con:
        report = ingest_paths(con, [str(p) for p in files.contract_paths], progress=progress)
        for table, path in zip(
            TRUTH_TABLES, (files.truth, files.truth_cells, files.conversation_truth), strict=True
        ):
            escaped = str(path).replace("'", "''")
            store.replace_rows(con, table, f"read_parquet('{escaped}')")
        store.set_meta(con, "demo_seed", str(seed))
    result: dict[str, Any] = {
        "accounts": files.n_accounts,
        "conversations": files.n_conversations,
        "messages": files.n_messages,
        "setup_rows": files.n_setup,
        "start": files.start.isoformat(),
        "end": files.end.isoformat(),
        "directory": str(files.directory),
        "database": str(settings.db_path),
        "events": list(files.events),
        "ingest": dict(report.totals),
        "refresh": "skipped (no refresh given)",
    }
    if refresh is not None:
        outcome = refresh(settings)
        result["refresh"] = f"ran: {outcome.status}"
        result["refresh_status"] = outcome.status
        result["refresh_error"] = outcome.error
    return result
