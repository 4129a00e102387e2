"""Known answers for the per-conversation counterfactual (nearest peers' conversations)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cockpit.scoring import counterfactual
from cockpit.scoring.counterfactual import cell_counterfactual, neighbour_rates
from cockpit.scoring.potential import PotentialParams, potential_for

AS_OF = dt.date(2026, 3, 15)


def _unit(i: int, dim: int = 8) -> np.ndarray:
    v = np.zeros(dim)
    v[i] = 1.0
    return v


def test_neighbour_rate_is_the_peers_share_shrunk_to_the_pool_mean():
    # Query (account q) next to 4 peer rows that all resolved, far from 4 peer rows that never did.
    vectors = np.array([_unit(0)] + [_unit(0)] * 4 + [_unit(1)] * 4)
    account = np.array(["q"] + ["p"] * 8)
    y = np.array([0, 1, 1, 1, 1, 0, 0, 0, 0])
    pool = np.array([False] + [True] * 8)
    q = neighbour_rates(vectors, account, y, pool, k=4, prior=2.0)
    # 4 hits of 4 neighbours + 2 pseudo-neighbours at the pool mean 0.5 → (4 + 1) / 6
    assert q[0] == pytest.approx(5 / 6)


def test_an_accounts_own_conversations_never_answer_for_it():
    vectors = np.array([_unit(0), _unit(0), _unit(1)])
    account = np.array(["a", "a", "b"])
    y = np.array([0, 1, 0])
    pool = np.array([True, True, True])
    q = neighbour_rates(vectors, account, y, pool, k=1, prior=0.0)
    # a's nearest row is its own resolved one, but only b's (unresolved) may answer
    assert q[0] == pytest.approx(0.0) and q[1] == pytest.approx(0.0)


def _conversations(shift_hard: bool) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Cell 'billing': easy requests (direction 0, peers resolve 90%) and hard ones (direction
    1, 10%). Peers p1..p4 see both half and half; account A sees only hard ones (or only easy)."""
    rows, vecs = [], []
    rng = np.random.default_rng(0)
    for peer in ("p1", "p2", "p3", "p4"):
        for kind, rate in ((0, 0.9), (1, 0.1)):
            for j in range(50):
                rows.append((peer, int(j < rate * 50)))
                vecs.append(_unit(kind) + 0.01 * rng.standard_normal(8))
    kind_a = 1 if shift_hard else 0
    for _ in range(40):
        rows.append(("A", 0))
        vecs.append(_unit(kind_a) + 0.01 * rng.standard_normal(8))
    conv = pd.DataFrame(rows, columns=["account_id", "ai"]).assign(
        vertical="saas", automation_type="informational", topic_id="billing"
    )
    working = pd.DataFrame(
        {
            "account_id": ["p1", "p2", "p3", "p4", "A"],
            "vertical": "saas",
            "automation_type": "informational",
            "topic_id": "billing",
            "p_work": [1.0, 1.0, 1.0, 1.0, 0.0],
        }
    )
    return conv, np.array(vecs), working


def test_cell_counterfactual_sees_that_an_accounts_requests_are_harder():
    conv, vecs, working = _conversations(shift_hard=True)
    out = cell_counterfactual(conv, vecs, working, pd.Series(dtype="float64"), k=20)
    a = out.set_index("account_id").loc["A"]
    # A's requests resolve ~10% at peers ((2 + 2·0.5) / 22 with the prior), against a cell average
    # of about one half: p_knn low, and the logit shift negative
    assert a["p_knn"] == pytest.approx((2 + 2 * 0.5) / 22, abs=0.02)
    assert a["n_knn"] == 40 and a["shift"] < -1.0


def test_query_and_pool_caps_bound_the_work(monkeypatch):
    conv, vecs, working = _conversations(shift_hard=False)
    monkeypatch.setattr(counterfactual, "QUERY_MAX", 10)
    monkeypatch.setattr(counterfactual, "POOL_MAX", 100)
    out = cell_counterfactual(conv, vecs, working, pd.Series(dtype="float64"), k=20)
    assert (out["n_knn"] <= 10).all()
    # easy requests resolve ~90% at peers even with a subsampled pool
    assert out.set_index("account_id").loc["A", "p_knn"] > 0.7


def test_the_counterfactual_moves_the_potential_of_a_missing_cell_with_its_requests():
    """Peers have billing live; account A has it missing. Its requests are the hard kind, so the
    counterfactual lowers what A's billing reaches below the cell-level estimate (and the
    easy kind raises it)."""
    results = {}
    for hard in (True, False):
        conv, vecs, _ = _conversations(shift_hard=hard)
        counts = conv.groupby("account_id")["ai"].agg(["sum", "count"]).reset_index()
        cells = pd.DataFrame(
            {
                "account_id": counts["account_id"],
                "vertical": "saas",
                "automation_type": "informational",
                "topic_id": "billing",
                "known_outcome": counts["count"],
                "ai_resolved": counts["sum"],
            }
        )
        setup = pd.DataFrame(
            {
                "account_id": ["p1", "p2", "p3", "p4"],
                "enabler": "help_content",
                "topic_id": "billing",
                "live_since": None,
            }
        )
        for w in (0.0, 1.0):
            params = PotentialParams(knn_weight=w)
            res = potential_for(
                cells,
                setup,
                AS_OF,
                params,
                setup_accounts={"p1", "p2", "p3", "p4", "A"},
                neighbours=(conv, vecs),
            )
            row = res["potential"].set_index("account_id").loc["A"]
            results[(hard, w)] = row["potential"]
            # the CSM's sentence says when peers were compared on the same kinds of requests
            assert ("same kinds of requests" in row["method"]) == (w > 0)
    assert results[(True, 1.0)] < results[(True, 0.0)] - 0.1
    assert results[(False, 1.0)] > results[(False, 0.0)] + 0.1
    # without the counterfactual A's kind of request makes no difference
    assert results[(True, 0.0)] == pytest.approx(results[(False, 0.0)])


def test_window_vectors_reads_the_cached_vectors_in_order_or_says_none(tmp_path):
    import duckdb

    from cockpit.embedding.cache import attach_cache, embed_rows
    from cockpit.embedding.hashing import HashingEmbedder
    from cockpit.scoring import metrics
    from cockpit.scoring.inputs import window_vectors

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE conversations AS SELECT * FROM (VALUES "
        "('c1', 'A', TIMESTAMP '2026-03-10 10:00', true, 'ai', false, 3.0, NULL),"
        "('c2', 'B', TIMESTAMP '2026-03-11 10:00', true, 'human', true, 5.0, NULL),"
        "('c3', 'B', TIMESTAMP '2026-03-12 10:00', true, NULL, false, NULL, NULL)) "
        "t(conversation_id, account_id, created_at, ai_involved, resolved_by, handed_over, "
        "handle_time_minutes, csat)"
    )
    con.execute("CREATE TABLE accounts AS SELECT * FROM (VALUES ('A','saas'),('B','saas')) "
                "t(account_id, vertical)")  # fmt: skip
    con.execute(
        "CREATE TABLE tags AS SELECT * FROM (VALUES "
        "('c1','informational','billing','h1','hashing-v1'),"
        "('c2','informational','billing','h2','hashing-v1'),"
        "('c3','informational','billing','h3','hashing-v1')) "
        "t(conversation_id, automation_type, topic_id, text_hash, model_id)"
    )
    con.execute("CREATE TEMP TABLE scored AS " + metrics.scored_relation())
    path = tmp_path / "emb.duckdb"
    attach_cache(con, path)
    # h2 is not cached yet: the counterfactual is skipped, not an error
    con.register("_rows", embed_rows(HashingEmbedder(), ["h1"], ["where is my invoice"]))
    con.execute("INSERT INTO emb.embeddings SELECT * FROM _rows")
    assert window_vectors(con, "scored", AS_OF, 90, path) is None
    con.register("_rows2", embed_rows(HashingEmbedder(), ["h2"], ["refund my order"]))
    con.execute("INSERT INTO emb.embeddings SELECT * FROM _rows2")
    conv, vectors = window_vectors(con, "scored", AS_OF, 90, path)
    # known outcomes only (c3 has none), in conversation order, vectors aligned
    assert conv["account_id"].tolist() == ["A", "B"] and conv["ai"].tolist() == [1, 0]
    expected = HashingEmbedder().embed(["where is my invoice", "refund my order"])
    assert np.allclose(vectors, expected, atol=1e-5)


def test_cell_quota_is_the_largest_equal_share_that_fits():
    from cockpit.scoring.counterfactual import cell_quota

    # 5 + 2q ≤ 100 → q = 47; under the total every cell keeps its per-cell cap
    assert cell_quota([5, 200, 300], total=100, per_cell=100) == 47
    assert cell_quota([5, 10], total=100, per_cell=100) == 100
    # more cells than the total allows: still one each
    assert cell_quota([3] * 50, total=10, per_cell=100) == 1


def test_the_asked_total_per_vertical_is_capped_evenly_over_each_cell(monkeypatch):
    from cockpit.scoring.counterfactual import asked_rows

    conv = pd.DataFrame(
        {"account_id": ["a"] * 10 + ["b"] * 3, "vertical": "v", "automation_type": "i",
         "topic_id": "t"}
    )  # fmt: skip
    monkeypatch.setattr(counterfactual, "ASK_MAX", 7)
    asked = asked_rows(conv)
    # q = 4: b's 3 rows and 4 of a's 10, spread over them (ranks 0, 3, 5, 8)
    assert asked[10:].all() and asked.sum() == 7
    assert np.flatnonzero(asked[:10]).tolist() == [0, 3, 5, 8]
    conv, vecs, working = _conversations(shift_hard=False)
    monkeypatch.setattr(counterfactual, "ASK_MAX", 30)
    out = cell_counterfactual(conv, vecs, working, pd.Series(dtype="float64"), k=20)
    assert out["n_knn"].sum() <= 30
