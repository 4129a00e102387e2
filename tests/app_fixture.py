"""The app's test stores, built by the real steps on tiny data (no hand-written derived tables).

`build_app_store(settings)` runs `cockpit.demo.build_demo` — generate contract files, ingest them
(bad rows land in quarantine), load the hidden truth — and then the real refresh (embed with the
model-free hashing embedder, tag, score, backtest). Every table therefore has the schema
`cockpit.store.migrations` declares and the numbers the pipeline computes; the tests read their
expectations back from the store (`expected(...)`) instead of from a copy of the data.

Sizes: `SMALL` (the default; 6 accounts, 3 months: the Data health page of a 3-month demo used to
crash on its backtest chart) builds in a few seconds on two cores; `TINY` (2 accounts, 1 month)
is the smallest workspace `cockpit demo` accepts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from cockpit import demo, store
from cockpit.settings import Settings


@dataclass(frozen=True)
class DemoSize:
    accounts: int
    months: int
    conversations: int
    seed: int = 7


SMALL = DemoSize(accounts=6, months=3, conversations=2_400)
TINY = DemoSize(accounts=2, months=1, conversations=120)


def build_app_store(
    settings: Settings, *, derived: bool = True, size: DemoSize = SMALL
) -> Settings:
    """Build a demo workspace in `settings.home`; with `derived=False` only ingest it (no refresh).

    Returns the settings used (the hashing embedder: tests never load the model).
    """
    from pipelines.refresh import refresh

    settings = dataclasses.replace(settings, embedder="hashing")
    result = demo.build_demo(
        settings,
        size.accounts,
        size.months,
        size.conversations,
        size.seed,
        refresh=(lambda s: refresh(s, progress_mode="quiet")) if derived else None,
    )
    if derived and result.get("refresh_status") != "success":
        raise AssertionError(f"the fixture's refresh failed: {result}")
    return settings


def query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of `sql` on the published store (tests derive their expectations with it)."""
    with store.reading(settings.db_path) as con:
        return con.execute(sql, params or []).fetchall()
