"""The discover step on a real store (hashing embedder, tiny taxonomy) and the `topics` CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import yaml
from click.testing import CliRunner

from cockpit import queries, store
from cockpit.tagging import taxonomy as taxonomy_module
from pipelines import discover as discover_step
from pipelines import embed as embed_step
from pipelines import tag as tag_step
from pipelines.cli import cli
from pipelines.context import StepContext
from tests.conftest import put
from tests.discovery_data import family_texts, noise_texts
from tests.test_tag_pipeline import Factory
from tests.test_taxonomy import write_taxonomy

START = datetime(2026, 11, 1, 9)


def _add(con, prefix: str, texts: list[str], accounts: list[str], day: int) -> list[str]:
    ids = [f"{prefix}{i:04d}" for i in range(len(texts))]
    rows = [
        (cid, accounts[i % len(accounts)], START + timedelta(days=day, minutes=i), text)
        for i, (cid, text) in enumerate(zip(ids, texts, strict=True))
    ]
    put(con, "conversations", ["conversation_id", "account_id", "created_at", "text"], rows)
    return ids


def _day(con, day: int, crypto: int, lounge: int, noise: int) -> dict[str, list[str]]:
    """One day of fintech conversations: two families the taxonomy lacks, plus scattered texts."""
    banks = ["bank", "bank2"]
    return {
        "crypto": _add(con, f"d{day}cr", family_texts(crypto, seed=day), banks, day),
        "lounge": _add(con, f"d{day}lo", family_texts(lounge, day, "lounge"), banks, day),
        "noise": _add(con, f"d{day}no", noise_texts(noise, seed=100 + day), banks, day),
    }


@pytest.fixture
def home(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(taxonomy_module, "DEFAULT_DIR", write_taxonomy(tmp_path / "tax"))
    with store.writing(settings, "test") as con:
        con.execute(
            "INSERT INTO accounts (account_id, name, vertical) VALUES ('bank', 'Bank', 'fintech'),"
            " ('bank2', 'Bank Two', 'fintech'), ('shop', 'Shop', 'ecommerce')"
        )
        settings.__dict__["_day0"] = _day(con, 0, crypto=80, lounge=40, noise=150)
    return settings


def refresh(settings, full=False, before=None):
    """embed → tag → discover in one writer; the discover counts."""
    with store.writing(settings, "refresh") as con:
        if before:
            before(con)
        ctx = StepContext(
            con=con, settings=settings, run_id="r", full=full, embedder_factory=Factory()
        )
        embed_step.run(ctx)
        tag_step.run(ctx)
        return discover_step.run(ctx)


def _env(settings):
    return {"COCKPIT_HOME": str(settings.home), "COCKPIT_EMBEDDER": "hashing"}


def _emerging(settings, *args):
    result = CliRunner().invoke(cli, ["topics", "emerging", "--json", *args], env=_env(settings))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["topics"]


def _family_topic(topics, family_ids):
    """The shown topic holding most of a family, with its purity and coverage."""
    family = set(family_ids)
    best = max(topics, key=lambda t: len(family & set(t["conversation_ids"])))
    shared = len(family & set(best["conversation_ids"]))
    return best, shared / len(best["conversation_ids"]), shared / len(family)


def test_families_come_back_as_emerging_topics_with_stable_ids(home):
    counts = refresh(home)
    assert counts["verticals_clustered"] == 1 and counts["clusters_shown"] == 2
    topics = _emerging(home)
    assert set(topics[0]) >= {
        "id", "name", "likely_type", "conversations", "accounts", "first_seen", "trend_pts",
        "example_conversation_ids", "conversation_ids",
    }  # fmt: skip
    crypto, purity, coverage = _family_topic(topics, home._day0["crypto"])
    assert purity >= 0.9 and coverage >= 0.8
    assert "crypto" in crypto["name"].lower() or "bitcoin" in crypto["name"].lower()
    assert crypto["accounts"] == 2 and crypto["first_seen"] == "2026-11-01"
    assert crypto["tagged_as"] == "other" and 0.5 < crypto["tagged_share"] <= 1
    assert len(crypto["example_conversation_ids"]) == 5
    assert set(crypto["example_conversation_ids"]) <= set(crypto["conversation_ids"])

    assert counts["fits_computed"] > 0  # novelty: every tagged conversation's fit, once
    # Nothing new: nothing is re-clustered, no fit recomputed.
    unchanged = refresh(home)
    assert unchanged["verticals_unchanged"] == 1 and unchanged["fits_computed"] == 0
    # A small new day is placed by centroid; a big one (or --full) re-clusters; ids stay.
    small = refresh(home, before=lambda con: _day(con, 1, crypto=8, lounge=4, noise=10))
    assert small["verticals_assigned"] == 1 and small["new_clusters"] == 0
    with store.reading(home.db_path) as con:  # only the new day's tagged rows were fitted
        (new_tagged,) = con.execute(
            "SELECT count(*) FROM tags WHERE conversation_id LIKE 'd1%' AND topic_id <> 'other'"
        ).fetchall()[0]
    assert new_tagged > 0 and small["fits_computed"] == new_tagged
    big = refresh(home, before=lambda con: _day(con, 2, crypto=60, lounge=30, noise=100))
    assert big["verticals_clustered"] == 1 and big["new_clusters"] == 0
    again = _emerging(home)
    assert {t["id"] for t in again} == {t["id"] for t in topics}
    grown = next(t for t in again if t["id"] == crypto["id"])
    assert grown["conversations"] >= crypto["conversations"] + 50
    # one account's view counts only its conversations
    mine = next(t for t in _emerging(home, "--account", "bank") if t["id"] == crypto["id"])
    assert mine["accounts"] == 1 and mine["conversations"] < grown["conversations"]


def test_a_dismissed_cluster_stays_dismissed(home):
    refresh(home)
    victim = _family_topic(_emerging(home), home._day0["lounge"])[0]["id"]
    runner = CliRunner()
    result = runner.invoke(cli, ["topics", "dismiss", victim], env=_env(home))
    assert result.exit_code == 0 and f"Dismissed {victim}" in result.output
    assert victim not in {t["id"] for t in _emerging(home)}  # hidden before the next refresh
    with store.reading(home.db_path) as con:  # the store was not written: the decision waits
        assert queries.emerging_topic(con, victim)["status"] == "active"
    assert refresh(home)["decisions_applied"] == 1
    with store.reading(home.db_path) as con:
        assert queries.emerging_topic(con, victim)["status"] == "dismissed"
    refresh(home, before=lambda con: _day(con, 3, crypto=60, lounge=60, noise=100))
    refresh(home, full=True)
    assert victim not in {t["id"] for t in _emerging(home)}
    with store.reading(home.db_path) as con:
        assert queries.emerging_topic(con, victim)["status"] == "dismissed"
    again = runner.invoke(cli, ["topics", "dismiss", victim], env=_env(home))
    assert again.exit_code == 1 and "is dismissed; only active topics" in again.output
    unknown = runner.invoke(cli, ["topics", "dismiss", "em99999"], env=_env(home))
    assert unknown.exit_code == 1 and "Error: no emerging topic 'em99999'" in unknown.output
    log = runner.invoke(cli, ["topics", "decisions", "--json"], env=_env(home))
    (entry,) = json.loads(log.output)
    assert entry["cluster_id"] == victim and entry["decision"] == "dismissed"
    assert entry["source"] == "cli" and entry["decided_by"]


def test_a_decision_recorded_during_a_refresh_is_applied_by_the_next(home):
    """Decisions never take the writer's lock: one made while a refresh runs waits for the next."""
    refresh(home)
    victim = _family_topic(_emerging(home), home._day0["lounge"])[0]["id"]

    def dismiss_meanwhile(con):
        result = CliRunner().invoke(cli, ["topics", "dismiss", victim], env=_env(home))
        assert result.exit_code == 0, result.output

    assert refresh(home, before=dismiss_meanwhile)["decisions_applied"] == 1
    assert refresh(home)["decisions_applied"] == 0  # applied once
    with store.reading(home.db_path) as con:
        assert queries.emerging_topic(con, victim)["status"] == "dismissed"


def test_promotion_writes_a_valid_yaml_and_the_next_refresh_retags(home):
    refresh(home)
    crypto = _family_topic(_emerging(home), home._day0["crypto"])[0]
    with store.reading(home.db_path) as con:
        version = store.get_meta(con, "taxonomy_version")
    result = CliRunner().invoke(
        cli,
        [
            "topics",
            "promote",
            crypto["id"],
            "--name",
            "Crypto withdrawals",
            "--type",
            "personalized",
        ],
        env=_env(home),
    )
    assert result.exit_code == 0, result.output
    path = home.custom_taxonomy_dir / f"emerging-{crypto['id']}.yaml"
    doc = yaml.safe_load(path.read_text())
    assert doc["vertical"] == "fintech" and doc["topics"][0]["id"] == "crypto_withdrawals"
    assert len(doc["topics"][0]["examples"]) >= 5
    assert crypto["id"] not in {t["id"] for t in _emerging(home)}
    twice = CliRunner().invoke(
        cli, ["topics", "promote", crypto["id"], "--name", "Again"], env=_env(home)
    )
    assert twice.exit_code == 1 and "is promoted" in twice.output  # even before the refresh
    refresh(home)
    with store.reading(home.db_path) as con:
        assert store.get_meta(con, "taxonomy_version") != version
        tagged = con.execute(
            "SELECT count(*) FROM tags WHERE topic_id = 'crypto_withdrawals' "
            "AND conversation_id IN (SELECT unnest(?::VARCHAR[]))",
            [home._day0["crypto"]],
        ).fetchall()[0][0]
        assert queries.emerging_topic(con, crypto["id"])["status"] == "promoted"
    assert tagged >= 0.8 * len(home._day0["crypto"])


def test_a_cluster_mostly_tagged_with_one_known_topic_is_not_shown(home, monkeypatch):
    from cockpit import discovery

    monkeypatch.setattr(discovery, "MAX_KNOWN_SHARE", 0.9)  # shipped: None (off), see README
    refresh(home)
    lounge = _family_topic(_emerging(home), home._day0["lounge"])[0]
    crypto = _family_topic(_emerging(home), home._day0["crypto"])[0]
    assert lounge["id"] != crypto["id"]

    def as_cards(con):  # the lounge family now reads as a low-confidence part of `cards`
        store.upsert(  # tags live in the lake (a view) in the default store: no raw UPDATE
            con,
            "tags",
            "SELECT * REPLACE ('cards' AS topic_id, 0.3 AS topic_confidence) FROM tags "
            "WHERE conversation_id IN (SELECT unnest(?::VARCHAR[]))",
            [lounge["conversation_ids"]],
        )

    with store.writing(home, "retag") as con:
        as_cards(con)
        ctx = StepContext(
            con=con, settings=home, run_id="r2", full=False, embedder_factory=Factory()
        )
        discover_step.run(ctx)
    shown = {t["id"] for t in _emerging(home)}
    assert crypto["id"] in shown and lounge["id"] not in shown
    with store.reading(home.db_path) as con:  # still stored and tracked, only hidden
        (status,) = con.execute(
            "SELECT status FROM emerging_topics WHERE cluster_id = ?", [lounge["id"]]
        ).fetchall()[0]
    assert status == "active"
