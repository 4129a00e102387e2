"""Conversations whose automation type is uncertain are counted per account, not hidden."""

from __future__ import annotations

from cockpit import queries, store
from cockpit.tagging.tagger import UNCERTAIN_TYPE_CONFIDENCE
from tests.test_tag_pipeline import home, refresh  # noqa: F401  (fixture)


def test_uncertain_conversations_are_counted_per_account(home):  # noqa: F811
    refresh(home)
    low, high = UNCERTAIN_TYPE_CONFIDENCE - 0.01, UNCERTAIN_TYPE_CONFIDENCE
    with store.writing(home, "test") as con:
        # at the threshold: certain
        store.upsert(con, "tags", "SELECT * REPLACE (? AS type_confidence) FROM tags", [high])
        store.upsert(
            con,
            "tags",
            "SELECT * REPLACE (? AS type_confidence) FROM tags "
            "WHERE conversation_id IN ('c1', 'c2', 'c4')",
            [low],
        )
        store.upsert(
            con,
            "tags",
            "SELECT * REPLACE (true AS corrected) FROM tags WHERE conversation_id = 'c2'",
        )
    con = store.read_only(home.db_path)
    counts = queries.uncertain_counts(con).set_index("account_id")
    one = queries.uncertain_counts(con, "bank")
    con.close()
    # shop: c1 uncertain, c2 corrected (a person decided), c3/c6 at the threshold; bank: c4
    assert counts.loc["shop", "uncertain"] == 1 and counts.loc["shop", "tagged"] == 4
    assert counts.loc["bank", "uncertain"] == 1 and counts.loc["bank", "tagged"] == 2
    assert counts.loc["bank", "uncertain_share"] == 0.5
    assert one["account_id"].tolist() == ["bank"]
