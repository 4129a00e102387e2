"""`score` and `backtest` skip when their inputs' fingerprint is unchanged (the noop refresh),
give the same rows as a from-scratch rebuild when they skip, and do not skip when an input
changed: new data, late data, a tag correction, a setup change, a taxonomy override."""

from __future__ import annotations

import shutil

import pytest

from cockpit import demo, store
from cockpit.scoring import backtest, metrics
from cockpit.settings import Settings
from cockpit.store import fingerprint as fp
from cockpit.tagging.taxonomy import load_taxonomy, write_override
from pipelines import backtest as backtest_step
from pipelines import score as score_step
from pipelines.context import StepContext
from pipelines.refresh import refresh

# Every table score and backtest write, with the columns that carry the time of the run.
DERIVED = {
    "weekly_metrics": "",
    "account_metrics": "",
    "cell_metrics": "",
    "topic_weekly": "",
    "benchmarks": "",
    "potential": "",
    "potential_contributions": "",
    "top_issues": "",
    "actions": "",
    "priority": "",
    "backtest_runs": " EXCLUDE (created_at)",
    "backtest_results": "",
}


def _build(home) -> Settings:
    settings = Settings(home=home, embedder="hashing")
    # 5 months: the backtest's cutoff (90-96 days back) falls inside the data
    result = demo.build_demo(
        settings, 6, 5, 1500, 5, refresh=lambda s: refresh(s, progress_mode="quiet")
    )
    assert result["refresh"] == "ran: success", result
    return settings


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    return _build(tmp_path_factory.mktemp("incr") / "home")


@pytest.fixture
def copy(built, tmp_path) -> Settings:
    """A private copy of the built workspace (tests change it)."""
    home = tmp_path / "home"
    shutil.copytree(built.home, home)
    return Settings(home=home, embedder="hashing")


def derived_rows(settings: Settings) -> dict[str, list[tuple]]:
    with store.reading(settings.db_path) as con:
        return {
            t: sorted(con.execute(f"SELECT *{cols} FROM {t}").fetchall(), key=repr)
            for t, cols in DERIVED.items()
        }


def run_steps(settings: Settings, full: bool = False) -> dict[str, dict]:
    counts = {}
    with store.writing(settings, "test-steps") as con:
        ctx = StepContext(con=con, settings=settings, run_id="t", full=full)
        counts["score"] = score_step.run(ctx)
        counts["backtest"] = backtest_step.run(ctx)
    return counts


def test_noop_refresh_skips_and_keeps_the_from_scratch_rows(copy, tmp_path):
    # After the build, backtest wrote a new interval scale that score reads: one more round
    # brings both to a fixed point, then nothing changes.
    run_steps(copy)
    before = derived_rows(copy)
    result = refresh(copy, progress_mode="quiet")
    assert result.status == "success", result.error
    assert result.counts["score"] == {"skipped": 1}
    assert result.counts["backtest"] == {"skipped": 1}
    assert derived_rows(copy) == before
    # A from-scratch rebuild of the same inputs gives the same rows, row for row.
    assert run_steps(copy, full=True)["score"].get("skipped") is None
    for table, rows in derived_rows(copy).items():
        assert rows == before[table], table


def _fingerprints(con, settings: Settings) -> tuple[str, str]:
    taxonomy = load_taxonomy(custom_dir=settings.home / "taxonomy")
    return (
        score_step.inputs_fingerprint(con, taxonomy, settings.embeddings_path),
        backtest_step.inputs_fingerprint(con, settings.embeddings_path),
    )


CHANGES = {
    "new data": "INSERT INTO conversations BY NAME SELECT * REPLACE "
    "('zz-new-' || conversation_id AS conversation_id, created_at + INTERVAL 1 DAY AS created_at) "
    "FROM conversations ORDER BY created_at DESC LIMIT 1",
    # late data: a conversation dated before the backtest cutoff, arriving now
    "late data": "INSERT INTO conversations BY NAME SELECT * REPLACE "
    "('zz-late-' || conversation_id AS conversation_id) "
    "FROM conversations ORDER BY created_at LIMIT 1",
    "tag correction": "INSERT INTO tags BY NAME SELECT * REPLACE ("
    "CASE topic_id WHEN 'other' THEN 'returns' ELSE 'other' END AS topic_id) "
    "FROM tags ORDER BY conversation_id LIMIT 1",
    "setup change": "UPDATE setup SET live_since = live_since - INTERVAL 1 DAY "
    "WHERE rowid = (SELECT min(rowid) FROM setup)",
    "account change": "UPDATE accounts SET vertical = CASE vertical WHEN 'retail' THEN 'travel' "
    "ELSE 'retail' END WHERE account_id = (SELECT min(account_id) FROM accounts)",
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_input_change_changes_both_fingerprints(copy, change):
    table, statement = None, CHANGES[change]
    for name in ("conversations", "tags"):
        if f"INTO {name} " in statement:
            table = name
    with store.writing(copy, "test-change") as con:
        before = _fingerprints(con, copy)
        assert _fingerprints(con, copy) == before  # deterministic
        if table is not None:  # lake tables are written through store.upsert
            store.upsert(con, table, statement.split(f"INTO {table} BY NAME ", 1)[1])
        else:
            con.execute(statement)
        after = _fingerprints(con, copy)
    assert after[0] != before[0], f"score would skip after a {change}"
    assert after[1] != before[1], f"backtest would skip after a {change}"


def test_a_taxonomy_override_changes_score_and_late_data_is_recomputed(copy):
    run_steps(copy)
    with store.reading(copy.db_path) as con:
        account, topic, kind = con.execute(
            "SELECT c.account_id, t.topic_id, t.automation_type FROM tags t "
            "JOIN conversations c USING (conversation_id) WHERE t.topic_id <> 'other' "
            "ORDER BY c.account_id, t.topic_id LIMIT 1"
        ).fetchall()[0]
    other = next(t for t in load_taxonomy().type_ids if t != kind)
    write_override(copy.home / "taxonomy", topic, other, account_id=account)
    assert run_steps(copy)["score"].get("skipped") is None
    assert run_steps(copy)["score"] == {"skipped": 1}
    # Late data: an old conversation arrives; both steps rebuild, equal to a from-scratch run.
    with store.writing(copy, "test-late") as con:
        store.upsert(
            con,
            "conversations",
            "SELECT * REPLACE ('zz-late-' || conversation_id AS conversation_id) "
            "FROM conversations ORDER BY created_at LIMIT 1",
        )
    counts = run_steps(copy)
    assert counts["score"].get("skipped") is None and counts["backtest"].get("skipped") is None
    incremental = derived_rows(copy)
    run_steps(copy, full=True)
    scratch = derived_rows(copy)
    for table in ("account_metrics", "cell_metrics", "weekly_metrics", "backtest_results"):
        assert incremental[table] == scratch[table], table


def test_fingerprint_of_a_missing_table_and_of_duplicate_rows():
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    assert fp.table_digest(con, "nope") == "absent"
    con.execute("CREATE TABLE x AS SELECT 1 AS a")
    one = fp.table_digest(con, "x")
    con.execute("INSERT INTO x VALUES (1)")
    assert fp.table_digest(con, "x") != one  # duplicates do not cancel out
    assert not fp.unchanged(con, "s", "v")
    fp.remember(con, "s", "v")
    assert fp.unchanged(con, "s", "v") and not fp.unchanged(con, "s", "w")


# One more conversation on the newest day (the as-of date, hence the cutoff, stays put).
SAME_DAY = (
    "SELECT * REPLACE ('zz-day-' || conversation_id AS conversation_id) "
    "FROM conversations ORDER BY created_at DESC LIMIT 1"
)


def _prediction_files(settings: Settings) -> list:
    return sorted((settings.home / "models").glob(f"{backtest_step.CACHE_PREFIX}*.pkl"))


def test_a_new_day_reuses_the_prediction_and_matches_a_rebuild(copy):
    run_steps(copy)  # the fixed point of the noop test; the prediction is cached
    assert len(_prediction_files(copy)) == 1
    with store.writing(copy, "test-day") as con:
        store.upsert(con, "conversations", SAME_DAY)
    counts = run_steps(copy)
    assert counts["backtest"]["prediction_reused"] == 1, counts
    assert counts["backtest"]["accounts"] == 6  # a real prediction, not an empty one
    incremental = derived_rows(copy)
    counts = run_steps(copy, full=True)
    assert counts["backtest"]["prediction_reused"] == 0  # --full recomputes it
    scratch = derived_rows(copy)
    for table in ("backtest_runs", "backtest_results"):
        assert incremental[table] == scratch[table], table
    assert len(_prediction_files(copy)) == 1


def test_late_data_before_the_cutoff_recomputes_the_prediction(copy):
    run_steps(copy)
    (before,) = _prediction_files(copy)
    with store.writing(copy, "test-late") as con:
        oldest = con.execute("SELECT min(created_at)::DATE FROM conversations").fetchone()[0]
        assert oldest < backtest.default_cutoff(metrics.store_as_of(con))
        store.upsert(
            con,
            "conversations",
            "SELECT * REPLACE ('zz-late-' || conversation_id AS conversation_id) "
            "FROM conversations ORDER BY created_at LIMIT 1",
        )
    assert run_steps(copy)["backtest"]["prediction_reused"] == 0
    (after,) = _prediction_files(copy)  # the new cutoff state replaced the old file
    assert after != before


def test_an_unreadable_cached_prediction_is_recomputed(copy, caplog):
    run_steps(copy)
    (path,) = _prediction_files(copy)
    path.write_bytes(b"not a pickle")
    with store.writing(copy, "test-day") as con:
        store.upsert(con, "conversations", SAME_DAY)
    counts = run_steps(copy)
    assert counts["backtest"]["prediction_reused"] == 0
    assert "unreadable" in caplog.text
    incremental = derived_rows(copy)["backtest_results"]
    run_steps(copy, full=True)
    assert derived_rows(copy)["backtest_results"] == incremental
