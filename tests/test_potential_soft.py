"""Soft type assignment: the tagger's type probabilities spread a conversation over the type
cells of its topic (`inputs.soft_counts`, `PotentialParams.soft_types`), with known answers."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from cockpit.scoring import metrics
from cockpit.scoring.inputs import potential_inputs, soft_counts
from cockpit.scoring.potential import PotentialParams, potential_for

AS_OF = dt.date(2026, 3, 15)


def _book(tmp_path) -> duckdb.DuckDBPyConnection:
    """Account A, topic billing: c1 (AI-resolved, 70% informational), c2 (human, 50/50
    informational / action), c3 (corrected to action, AI), c4 (topic 'other'), c5 (no outcome)."""
    con = duckdb.connect(str(tmp_path / "soft.duckdb"))
    con.execute(
        "CREATE TABLE conversations AS SELECT * FROM (VALUES "
        "('c1', 'A', TIMESTAMP '2026-03-01 10:00', true, 'ai', false, 3.0, NULL),"
        "('c2', 'A', TIMESTAMP '2026-03-10 10:00', true, 'human', true, 5.0, NULL),"
        "('c3', 'A', TIMESTAMP '2026-03-11 10:00', true, 'ai', false, 2.0, NULL),"
        "('c4', 'A', TIMESTAMP '2026-03-12 10:00', true, 'human', false, 2.0, NULL),"
        "('c5', 'A', TIMESTAMP '2026-03-13 10:00', true, NULL, false, NULL, NULL)) "
        "t(conversation_id, account_id, created_at, ai_involved, resolved_by, handed_over, "
        "handle_time_minutes, csat)"
    )
    con.execute("CREATE TABLE accounts AS SELECT 'A' AS account_id, 'saas' AS vertical")
    con.execute(
        "CREATE TABLE tags AS SELECT * FROM (VALUES "
        "('c1','informational',0.7,'billing',0.9,false,0.7,0.2,0.1),"
        "('c2','informational',0.5,'billing',0.8,false,0.5,0.0,0.5),"
        "('c3','action',1.0,'billing',1.0,true,0.6,0.2,0.2),"
        "('c4','informational',0.6,'other',0.7,false,0.6,0.3,0.1),"
        "('c5','informational',0.6,'billing',0.9,false,0.6,0.3,0.1)) "
        "t(conversation_id, automation_type, type_confidence, topic_id, topic_confidence, "
        "corrected, p_informational, p_personalized, p_action)"
    )
    con.execute("CREATE TEMP TABLE scored AS " + metrics.scored_relation())
    return con


def test_soft_counts_share_each_outcome_by_type_probability(tmp_path):
    con = _book(tmp_path)
    # The procedure for billing went live on 2026-03-05: c2 and c3 count as live evidence.
    setup = pd.DataFrame(
        {"account_id": ["A"], "enabler": ["procedure"], "topic_id": ["billing"],
         "live_since": [dt.date(2026, 3, 5)]}
    )  # fmt: skip
    out = soft_counts(con, "scored", setup, dt.date(2026, 1, 1), AS_OF, "tags")
    out = out.set_index(["automation_type", "topic_id"])
    info = out.loc[("informational", "billing")]
    assert info["known_soft"] == pytest.approx(0.7 + 0.5)
    assert info["ai_soft"] == pytest.approx(0.7)
    assert info["topic_conf_soft"] == pytest.approx((0.7 * 0.9 + 0.5 * 0.8) / 1.2)
    assert pd.isna(info["known_live_soft"])  # no setup row for help content
    pers = out.loc[("personalized", "billing")]
    assert pers["known_soft"] == pytest.approx(0.2) and pers["ai_soft"] == pytest.approx(0.2)
    act = out.loc[("action", "billing")]
    # c1 0.1, c2 0.5, c3 wholly (corrected: certain)
    assert act["known_soft"] == pytest.approx(1.6) and act["ai_soft"] == pytest.approx(1.1)
    assert act["known_live_soft"] == pytest.approx(1.5) and act["ai_live_soft"] == pytest.approx(1)
    # 'other' keeps its tagged cell whole; c5 has no outcome and counts nowhere
    assert out.loc[("informational", "other"), "known_soft"] == pytest.approx(1.0)
    assert out["known_soft"].sum() == pytest.approx(4.0)
    # potential_inputs adds them only when asked; a cell only a probability reaches has 0 hard
    hard = potential_inputs(con, "scored", AS_OF, 90, setup).cells
    assert "known_soft" not in hard
    cells = potential_inputs(con, "scored", AS_OF, 90, setup, soft=True).cells
    pers_row = cells[cells["automation_type"] == "personalized"].iloc[0]
    assert pers_row["known_outcome"] == 0 and pers_row["known_soft"] == pytest.approx(0.2)


def test_soft_counts_are_empty_without_stored_probabilities(tmp_path):
    con = _book(tmp_path)
    con.execute("ALTER TABLE tags DROP COLUMN p_action")
    assert soft_counts(con, "scored", None, dt.date(2026, 1, 1), AS_OF, "tags").empty


def _cells(a_rows):
    rows = []
    for p in ("p1", "p2", "p3", "p4", "p5", "p6"):
        rows.append(("informational", 100, 90, 100, 90, p))
        rows.append(("personalized", 100, 80, 100, 80, p))
    rows += [(*r, "A") for r in a_rows]
    return pd.DataFrame(
        [
            {"account_id": acc, "vertical": "saas", "automation_type": t, "topic_id": "billing",
             "known_outcome": n, "ai_resolved": k, "known_soft": ns, "ai_soft": ks,
             "known_live_soft": ns, "ai_live_soft": ks, "topic_conf_soft": 1.0,
             "tag_confidence": 1.0 if acc != "A" else 0.6}
            for t, n, k, ns, ks, acc in rows
        ]
    )  # fmt: skip


def test_a_live_cell_full_of_mis_tagged_conversations_is_lifted():
    """Account A has help content live for billing but no data connector. Its 100 billing
    conversations are all tagged informational with 60% confidence: 40% of them are likely
    personalized requests, which the AI cannot resolve there. Spread by their type probability,
    40 conversations land in the personalized cell, whose enabler is missing, and are lifted to
    what peers reach there (80%)."""
    # A: 60 informational conversations resolved at 90% (54), 40 personalized at 0%
    cells = _cells([("informational", 100, 54, 60, 32.4), ("personalized", 0, 0, 40, 21.6)])
    setup = pd.DataFrame(
        {
            "account_id": ["p1", "p2", "p3", "p4", "p5", "p6"] * 2 + ["A"],
            "enabler": ["help_content"] * 6 + ["data_connector"] * 6 + ["help_content"],
            "topic_id": "billing",
            "live_since": None,
        }
    )
    accounts = {"p1", "p2", "p3", "p4", "p5", "p6", "A"}
    res = potential_for(
        cells, setup, AS_OF, PotentialParams(soft_types=True), setup_accounts=accounts
    )
    pot = res["potential"].set_index("account_id").loc["A"]
    assert pot["automation_rate"] == pytest.approx(0.54)
    contrib = res["contributions"].set_index(["account_id", "automation_type"])
    pers = contrib.loc[("A", "personalized")]
    assert pers["share"] == pytest.approx(0.4) and not pers["enabler_live"]
    assert pers["target_rate"] > 0.7 and pers["contribution_pts"] > 0.4 * (70 - 54)
    # Every account resolves close to its peers once enablers work: A reaches well above today.
    assert pot["potential"] > 0.54 + 0.10
    # Without the probabilities nothing is spread: the personalized cell has no conversations.
    hard = potential_for(cells, setup, AS_OF, PotentialParams(), setup_accounts=accounts)
    c = hard["contributions"]
    assert c[(c["account_id"] == "A") & (c["automation_type"] == "personalized")].empty
