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


def test_the_score_step_feeds_the_counterfactual_the_stores_vectors(built, monkeypatch):
    """The score step asks the per-conversation counterfactual with the window's cached vectors
    (aligned with its conversations) and writes its per-cell contributions: the test fails when
    the wiring from the store's embedding cache to the estimator breaks."""
    import numpy as np

    from cockpit.embedding.cache import attach_cache, lookup_vectors
    from cockpit.scoring import potential as potential_mod
    from cockpit.scoring.inputs import window_conversations
    from pipelines import score
    from pipelines.context import StepContext

    seen = []
    real = potential_mod.cell_counterfactual

    def spy(conversations, vectors, *args, **kwargs):
        seen.append((conversations.copy(), np.array(vectors)))
        return real(conversations, vectors, *args, **kwargs)

    monkeypatch.setattr(potential_mod, "cell_counterfactual", spy)
    with store.writing(built, "test-score") as con:
        score.run(StepContext(con=con, settings=built, run_id="t", full=True))  # no skip
        con.execute("CREATE OR REPLACE TEMP TABLE scored AS " + metrics_sql())
        as_of = con.execute("SELECT max(day) FROM scored").fetchall()[0][0]
        conv = window_conversations(con, "scored", as_of, 90)
        attach_cache(con, built.embeddings_path)
        expected = lookup_vectors(con, conv["text_hash"].tolist(), conv["model_id"].iloc[0])
    assert len(seen) == 1, "the score step did not call the counterfactual"
    asked, vectors = seen[0]
    assert len(asked) == len(conv) > 0 and vectors.shape == (len(conv), expected.shape[1])
    assert asked["account_id"].tolist() == conv["account_id"].tolist()
    np.testing.assert_allclose(vectors, expected, atol=1e-6)
    pot = dict(_rows(built, "SELECT account_id, method FROM potential"))
    assert pot and all("same kinds of requests" in m for m in pot.values())
    # Contributions are written per cell and add up to the gap of every account not floored.
    rows = _rows(
        built,
        "SELECT p.account_id, p.gap_pts, sum(c.contribution_pts) FROM potential p "
        "JOIN potential_contributions c USING (account_id) WHERE NOT p.floored GROUP BY ALL",
    )
    assert rows
    for account, gap, total in rows:
        assert gap == pytest.approx(total, abs=1e-6), account


def metrics_sql() -> str:
    from cockpit.scoring import metrics

    return metrics.scored_relation()
