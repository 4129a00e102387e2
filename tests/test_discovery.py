"""Emerging topics, library level: clustering, naming, likely type, stable ids, promotion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from cockpit.discovery import (
    NewCluster,
    OldCluster,
    class_terms,
    cluster_name,
    cluster_vectors,
    cluster_vertical,
    is_shown,
    known_share,
    likely_type,
    match_clusters,
    promotion_document,
    write_promotion,
)
from cockpit.errors import TaxonomyError
from cockpit.tagging.taxonomy import load_taxonomy
from tests.discovery_data import more_vectors, planted_vectors
from tests.test_taxonomy import write_taxonomy


def _purity_by_truth(labels, truth):
    """For each planted cluster: (share of it in its main label, that label's purity)."""
    out = {}
    for t in sorted(set(truth) - {-1}):
        mine = labels[truth == t]
        mine = mine[mine >= 0]
        if not len(mine):
            out[t] = (0.0, 0.0)
            continue
        main = np.bincount(mine).argmax()
        coverage = (labels[truth == t] == main).mean()
        purity = (truth[labels == main] == t).mean()
        out[t] = (coverage, purity)
    return out


def test_planted_clusters_are_found_and_noise_stays_noise():
    x, truth = planted_vectors()
    c = cluster_vectors(x, seed=0)
    assert c.n_clusters == 3
    for coverage, purity in _purity_by_truth(c.labels, truth).values():
        assert coverage >= 0.9 and purity >= 0.9
    assert (c.labels[truth == -1] == -1).mean() >= 0.9


def test_points_beyond_the_fit_sample_join_their_cluster(monkeypatch):
    from cockpit.discovery import clustering

    monkeypatch.setattr(clustering, "MAX_FIT_POINTS", 200)  # fit on a sample, assign the rest
    x, truth = planted_vectors()
    c = cluster_vectors(x, seed=0)
    for coverage, purity in _purity_by_truth(c.labels, truth).values():
        assert coverage >= 0.7 and purity >= 0.9


def test_class_terms_name_a_cluster_by_its_distinctive_words():
    texts = (
        ["crypto wallet withdrawal pending"] * 5
        + ["card declined at the shop"] * 5
        + [
            "hello there",
            "weather today",
        ]
    )
    labels = np.array([0] * 5 + [1] * 5 + [-1, -1])
    terms = class_terms(texts, labels)
    assert set(terms) == {0, 1}
    assert "crypto" in " ".join(terms[0]) and "card" not in " ".join(terms[0])
    assert cluster_name(terms[0]).startswith(terms[0][0][0].upper())
    assert cluster_name([]) == "Unnamed cluster"
    assert "email" not in " ".join(class_terms(["mail [EMAIL] now"] * 3, np.zeros(3, int))[0])


def test_likely_type_follows_the_nearest_examples():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=16), rng.normal(size=16)
    examples = np.vstack([a + 0.1 * rng.normal(size=16) for _ in range(10)] + [b] * 10)
    examples /= np.linalg.norm(examples, axis=1, keepdims=True)
    members = np.vstack([a + 0.1 * rng.normal(size=16) for _ in range(5)])
    members /= np.linalg.norm(members, axis=1, keepdims=True)
    kind, share = likely_type(members, examples, ["action"] * 10 + ["informational"] * 10)
    assert kind == "action" and share > 0.6
    assert likely_type(members, np.zeros((0, 16)), []) == (None, 0.0)


def _ids():
    n = iter(range(1, 1000))
    return lambda: f"em{next(n):05d}"


def _unit(v):
    return np.asarray(v, float) / np.linalg.norm(v)


def test_matching_keeps_ids_and_records_merges_and_splits():
    e = np.eye(4)
    old = [
        OldCluster("em1", "active", e[0], frozenset("abcdef")),
        OldCluster("em2", "active", e[1], frozenset("ghij")),
        OldCluster("em3", "active", e[2], frozenset("klmn")),
        OldCluster("em4", "dismissed", e[3], frozenset()),  # no members left, same centroid
    ]
    new = [
        NewCluster(_unit(e[0] + e[1]), frozenset("abcdefghij")),  # em1 and em2 merge
        NewCluster(e[2], frozenset("kl")),  # em3 splits in two
        NewCluster(_unit(e[2] + 0.2 * e[0]), frozenset("mn")),
        NewCluster(_unit(e[3] + 0.05 * e[0]), frozenset("xyz")),  # looks like the dismissed one
    ]
    m = match_clusters(old, new, _ids())
    assert m.ids[0] == "em1" and m.merged_into == {"em2": "em1"}
    assert {m.ids[1], m.ids[2]} >= {"em3"} and ("split", m.ids[2], "em3") in m.events
    assert m.ids[3] == "em4" and m.inherited[3].status == "dismissed"
    assert ("merged", "em2", "em1") in m.events


def _vertical_frame(x, prefix, day):
    n = len(x)
    return pd.DataFrame({
        "conversation_id": [f"{prefix}{i}" for i in range(n)],
        "account_id": ["acc"] * n,
        "created_at": pd.Timestamp("2026-11-01") + pd.Timedelta(days=day),
        "text": ["crypto wallet"] * n,
    })  # fmt: skip


def _examples():
    return np.zeros((0, 64), np.float32), []


def _run(frame, x, prev, prev_points, ids):
    return cluster_vertical("fintech", frame, x, prev, prev_points, _examples(), ids)


def _shown(result):
    """Ids of the clusters the app would show (planted ones; noise pockets are incoherent)."""
    c = result.clusters
    keep = [is_shown(r.status, r.size, r.coherence) for r in c.itertuples()]
    return sorted(c.loc[keep, "cluster_id"])


def test_cluster_ids_stay_stable_across_refreshes_with_new_data():
    ids = _ids()
    x1, _ = planted_vectors(seed=3)
    f1 = _vertical_frame(x1, "a", 0)
    r1 = _run(f1, x1, pd.DataFrame(), pd.DataFrame(columns=["conversation_id", "cluster_id"]), ids)
    first = _shown(r1)
    assert len(first) == 3
    # Second refresh: yesterday's points plus a new day around the same centres.
    x2, _ = more_vectors((60, 40, 30), 80, seed=3, day=1)
    f2 = pd.concat([f1, _vertical_frame(x2, "b", 1)], ignore_index=True)
    r2 = _run(f2, np.vstack([x1, x2]), r1.clusters, r1.points, ids)
    assert _shown(r2) == first
    # Third: the oldest points have left the window; only new days remain (no shared members).
    x3, _ = more_vectors((120, 80, 60), 150, seed=3, day=2)
    f3 = _vertical_frame(x3, "c", 2)
    r3 = _run(f3, x3, r2.clusters, r2.points, ids)
    assert _shown(r3) == first
    # first_seen is kept from the first time a cluster was seen
    shown = r3.clusters[r3.clusters["cluster_id"].isin(first)]
    assert (shown["first_seen"] == pd.Timestamp("2026-11-01")).all()


def test_a_dismissed_cluster_stays_dismissed():
    ids = _ids()
    x1, _ = planted_vectors(seed=4)
    f1 = _vertical_frame(x1, "a", 0)
    r1 = _run(f1, x1, pd.DataFrame(), pd.DataFrame(columns=["conversation_id", "cluster_id"]), ids)
    victim = r1.clusters["cluster_id"].iloc[0]
    dismissed = r1.clusters.assign(
        status=np.where(r1.clusters["cluster_id"] == victim, "dismissed", "active")
    )
    x2, _ = more_vectors((120, 80, 60), 150, seed=4, day=5)
    r2 = _run(_vertical_frame(x2, "b", 5), x2, dismissed, r1.points, ids)
    row = r2.clusters.set_index("cluster_id").loc[victim]
    assert row["status"] == "dismissed" and row["size"] > 0
    assert (r2.clusters.query("cluster_id != @victim")["status"] == "active").all()


def _cluster(**kw):
    base = {"cluster_id": "em00007", "vertical": "fintech", "account_id": None,
            "likely_type": "personalized", "terms": ["crypto", "withdrawal"]}  # fmt: skip
    return base | kw


def test_promotion_writes_a_valid_custom_topic(tmp_path):
    tax = write_taxonomy(tmp_path / "tax")
    custom = tmp_path / "custom"
    texts = [f"my crypto withdrawal {i} is pending" for i in range(30)] + ["dup"] * 3
    doc = promotion_document(_cluster(), texts, "Crypto withdrawals")
    path = write_promotion(custom, doc, lambda d: load_taxonomy(tax, custom_dir=d))
    data = yaml.safe_load(path.read_text())
    assert data["vertical"] == "fintech" and "account_id" not in data
    topic = data["topics"][0]
    assert topic["id"] == "crypto_withdrawals" and topic["automation_type"] == "personalized"
    assert len(topic["examples"]) == 20
    loaded = load_taxonomy(tax, custom_dir=custom)
    assert "crypto_withdrawals" in [t.id for t in loaded.topics_for("fintech", "any")]
    assert "crypto_withdrawals" not in [t.id for t in loaded.topics_for("ecommerce", "any")]
    assert loaded.version != load_taxonomy(tax).version


def test_promotion_to_one_account_and_refusals(tmp_path):
    tax = write_taxonomy(tmp_path / "tax")
    custom = tmp_path / "custom"
    load = lambda d: load_taxonomy(tax, custom_dir=d)  # noqa: E731
    doc = promotion_document(_cluster(), ["only one example"] * 9, "Too few", account_id="acme")
    with pytest.raises(TaxonomyError, match="at least 5"):
        write_promotion(custom, doc, load)
    assert not list(custom.glob("*.yaml"))  # the invalid file was removed
    with pytest.raises(Exception, match="not both"):
        promotion_document(_cluster(), [], "X", vertical="fintech", account_id="acme")
    with pytest.raises(Exception, match="unknown automation type"):
        promotion_document(_cluster(), [], "X", automation_type="magic")
    doc = promotion_document(
        _cluster(account_id="acme"), [f"t {i} ok" for i in range(6)], "Acme thing"
    )
    assert doc["account_id"] == "acme"


def test_novelty_flags_a_family_absorbed_by_a_neighbouring_topic():
    """A topic's own members fit its examples; an absorbed family fits them worse: flagged."""
    from cockpit.discovery.novelty import novel_mask, topic_fit

    rng = np.random.default_rng(3)
    dim = 32
    card, reward = np.eye(dim)[0], _unit(np.eye(dim)[0] + 1.2 * np.eye(dim)[1])
    examples = np.vstack([_unit(card + 0.1 * rng.normal(size=dim)) for _ in range(8)])
    members = np.vstack([_unit(card + 0.1 * rng.normal(size=dim)) for _ in range(80)])
    absorbed = np.vstack([_unit(reward + 0.1 * rng.normal(size=dim)) for _ in range(30)])
    x = np.vstack([members, absorbed])
    topics = np.array(["cards"] * len(x))
    fit = topic_fit(x, topics, examples, ["cards"] * len(examples))
    flagged = novel_mask(topics, fit, 0.9)
    assert flagged[80:].mean() >= 0.9 and flagged[:80].mean() <= 0.1
    assert not novel_mask(topics, fit, None).any()  # no ratio: the old rule only
    # too few rows for a trustworthy typical fit: nothing flagged; no examples: fit is NaN
    assert not novel_mask(topics[:10], fit[:10], 0.9).any()
    assert np.isnan(topic_fit(x[:3], np.array(["x"] * 3), examples, ["cards"] * 8)).all()


def test_known_share_counts_the_most_common_known_topic_not_other():
    assert known_share(["cards", "cards", "other", "loans"]) == 0.5
    assert known_share(["other", "other"]) == 0.0
    assert known_share([]) == 0.0


def test_a_cluster_mostly_one_known_topic_is_not_shown():
    assert is_shown("active", 50, 0.6, known=0.0, max_known_share=0.7)
    assert not is_shown("active", 50, 0.6, known=0.7, max_known_share=0.7)
    assert is_shown("active", 50, 0.6, known=0.69, max_known_share=0.7)
    assert not is_shown("dismissed", 50, 0.6, known=0.0, max_known_share=0.7)
    # shipped setting (None, chosen leave-one-dataset-out): the share hides nothing
    assert is_shown("active", 50, 0.6, known=known_share(["cards"] * 50))


def test_the_fit_sample_barely_changes_when_a_day_is_added():
    from cockpit.discovery.clustering import MAX_FIT_POINTS, fit_sample

    keys = np.array([f"c{i}" for i in range(10_000)])
    more = np.concatenate([keys, [f"d{i}" for i in range(120)]])  # one more day: +1.2%
    a = set(keys[fit_sample(len(keys), 0, keys)])
    b = set(more[fit_sample(len(more), 0, more)])
    # Only rows of the new day can displace old ones: at most ~1.2% of the sample changes
    # (expected 4000 x 120/10,120 ≈ 47 rows); a positional draw keeps only ~40% (chance).
    assert len(a & b) / MAX_FIT_POINTS >= 0.97
    assert len(a) == MAX_FIT_POINTS and len(fit_sample(100, 0, keys[:100])) == 100


def test_a_day_like_the_previous_ones_keeps_the_shown_topics(monkeypatch):
    """The drop of shown topics after one refresh: a re-clustering fitted on a sample unrelated to
    the last one (positional rng.choice), so clusters near the size floor in the sample flipped.
    Many planted families of ~13 sampled members each sit at that floor (MIN_CLUSTER_SIZE 15)."""
    from cockpit.discovery import clustering

    monkeypatch.setattr(clustering, "MAX_FIT_POINTS", 300)
    sizes = (60,) * 12
    ids = _ids()
    x1, _ = planted_vectors(sizes, 100, seed=5)
    f1 = _vertical_frame(x1, "a", 0)
    r1 = _run(f1, x1, pd.DataFrame(), pd.DataFrame(columns=["conversation_id", "cluster_id"]), ids)
    first = _shown(r1)
    assert len(first) >= 6, f"expected most of the 12 planted families shown, got {first}"
    x2, _ = more_vectors((1,) * 12, 1, seed=5, day=1)  # one day: 13 rows on 820 (1.6%)
    f2 = pd.concat([f1, _vertical_frame(x2, "b", 1)], ignore_index=True)
    r2 = _run(f2, np.vstack([x1, x2]), r1.clusters, r1.points, ids)
    second = _shown(r2)
    # Tolerance: one topic in either direction (a family exactly at the floor may move with
    # the ~4 new rows that enter the sample); the measured drop was two thirds of them.
    assert len(set(first) ^ set(second)) <= 1, (first, second)


def test_a_burst_of_near_duplicates_keeps_the_other_topics(tmp_path):
    """A day of near-identical texts (an outage, a campaign, a bot) is far denser than anything
    else in the vertical. HDBSCAN then kept the rest of the vertical as one loose cluster (the
    rest was no longer the tree's root, so it could be selected), and the id matching merged
    every old topic into it: 52 -> 17 topics shown on a 40,000-conversation demo. Here: the
    demo's own fintech texts, hashing vectors, and 400 texts of three templates."""
    from cockpit import demo
    from cockpit.discovery import clustering
    from cockpit.embedding.hashing import HashingEmbedder

    demo.generate(tmp_path, conversations=8_000, seed=7)
    conv = pd.read_parquet(tmp_path / "conversations.parquet")
    accounts = pd.read_parquet(tmp_path / "accounts.parquet")
    fintech = conv.merge(accounts[["account_id", "vertical"]], on="account_id")
    texts = fintech.loc[fintech["vertical"] == "fintech", "text"].head(1_500).tolist()
    templates = [
        "I was charged twice for the annual plan, can you refund one of them?",
        "The app crashes every time I open the payments tab on Android.",
        "I cannot log into my account since yesterday, the reset link expires immediately.",
    ]
    rng = np.random.default_rng(0)
    burst = [
        f"{templates[i]} #{k}"
        for i, k in zip(rng.integers(0, 3, 400), rng.integers(0, 10**6, 400), strict=True)
    ]
    embed = HashingEmbedder().embed
    x1, xb = embed(texts), embed(burst)
    x2 = np.vstack([x1, xb])

    # Control: the mechanism is there (without the re-fit, one loose cluster takes the rest).
    raw = clustering._hdbscan_labels(x2)
    biggest = raw == np.bincount(raw[raw >= 0]).argmax()
    assert biggest[: len(x1)].mean() > 0.8
    assert clustering.coherence(x2[biggest], clustering.unit(x2[biggest].mean(axis=0))) < (
        clustering.GRAB_BAG_COHERENCE
    )

    ids = _ids()
    f1 = _vertical_frame(x1, "a", 0)
    r1 = _run(f1, x1, pd.DataFrame(), pd.DataFrame(columns=["conversation_id", "cluster_id"]), ids)
    first = _shown(r1)
    assert len(first) >= 10, first
    f2 = pd.concat([f1, _vertical_frame(xb, "burst", 1)], ignore_index=True)
    r2 = _run(f2, x2, r1.clusters, r1.points, ids)
    second = _shown(r2)
    merged = [e for e in r2.events if e[0] == "merged"]
    # Without the re-fit none of the shown topics stays shown and all are merged; with it most
    # stay (the others: a topic grown loose by outlier reduction, and what merged into it).
    assert len(set(first) & set(second)) >= 0.8 * len(first), (first, second)
    assert len(merged) < len(first) / 2, merged
    # ...and the burst is news: its templates come back as topics of their own.
    points = r2.points.set_index("conversation_id")["cluster_id"]
    burst_topics = points.loc[f2["conversation_id"].iloc[len(x1) :]].dropna()
    assert set(burst_topics) - set(first) and burst_topics.notna().mean() > 0.9
