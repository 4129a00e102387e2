"""The whole pipeline on a small demo: demo → ingest → embed → tag → score → backtest.

Uses the model-free hashing embedder (the real model runs end to end in test_real_model.py).
"""

from __future__ import annotations

import pytest

from cockpit import demo, store
from cockpit.settings import Settings
from cockpit.tagging.taxonomy import load_taxonomy
from pipelines.refresh import refresh

TABLES = ["accounts", "conversations", "tags", "account_metrics", "cell_metrics", "potential",
          "top_issues", "actions", "benchmarks", "backtest_runs"]  # fmt: skip


def _build(home) -> Settings:
    settings = Settings(home=home, embedder="hashing")
    result = demo.build_demo(
        settings, 8, 3, 3000, 11, refresh=lambda s: refresh(s, progress_mode="quiet")
    )
    assert result["refresh"] == "ran: success", result
    return settings


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    return _build(tmp_path_factory.mktemp("e2e") / "home")


def _rows(settings: Settings, sql: str) -> list[tuple]:
    with store.reading(settings.db_path) as con:
        return con.execute(sql).fetchall()


def test_every_derived_table_is_filled_and_the_run_is_logged(built):
    for table in TABLES:
        assert _rows(built, f"SELECT count(*) FROM {table}")[0][0] > 0, table
    assert _rows(built, "SELECT status FROM runs WHERE command = 'refresh'") == [("success",)]


def test_every_stored_topic_id_exists_in_the_taxonomy_and_fits_the_vertical(built):
    taxonomy = load_taxonomy()
    ids = set(taxonomy.topic_ids) | {"other"}
    for (topic,) in _rows(built, "SELECT DISTINCT topic_id FROM tags"):
        assert topic in ids
    for (topic,) in _rows(built, "SELECT DISTINCT topic_id FROM setup"):
        assert topic in ids
    for account, vertical, topic in _rows(
        built,
        "SELECT DISTINCT t.account_id, a.vertical, g.topic_id FROM tags g "
        "JOIN conversations t USING (conversation_id) JOIN accounts a USING (account_id)",
    ):
        valid = {x.id for x in taxonomy.topics_for(vertical, account)} | {"other"}
        assert topic in valid, (account, vertical, topic)


def test_every_tag_stores_the_taxonomy_version(built):
    versions = _rows(built, "SELECT DISTINCT taxonomy_version FROM tags")
    assert versions == [(load_taxonomy().version,)]


def test_actions_never_recommend_a_live_enabler(built):
    clash = _rows(
        built,
        "SELECT count(*) FROM actions a JOIN setup s ON s.account_id = a.account_id "
        "AND s.topic_id = a.topic_id "
        "AND s.enabler = CASE a.kind WHEN 'approval_step' THEN 'procedure' ELSE a.kind END",
    )
    assert clash == [(0,)]


def test_same_seed_gives_the_same_database(built, tmp_path):
    again = _build(tmp_path / "again")
    for table, key in [("conversations", "conversation_id"), ("tags", "conversation_id"),
                       ("potential", "account_id"), ("actions", "account_id, rank")]:  # fmt: skip
        sql = (
            f"SELECT * EXCLUDE (tagged_at) FROM {table}"
            if table == "tags"
            else f"SELECT * FROM {table}"
        )
        cols = "* EXCLUDE (loaded_at, source_file)" if table == "conversations" else None
        if cols:
            sql = f"SELECT {cols} FROM {table}"
        assert _rows(built, f"{sql} ORDER BY {key}") == _rows(again, f"{sql} ORDER BY {key}"), table
