"""Account- and vertical-level type overrides: validated on load, versioned, respected by tags."""

from __future__ import annotations

import pytest
import yaml

from cockpit.embedding import HashingEmbedder
from cockpit.errors import TaxonomyError
from cockpit.tagging.tagger import fit_tagger
from cockpit.tagging.taxonomy import load_taxonomy, write_override
from tests.conftest import put
from tests.test_taxonomy import write_custom, write_taxonomy

EMBED = HashingEmbedder().embed
TEXT = ["where is my order parcel"]  # the tiny taxonomy tags it orders / personalized


@pytest.fixture
def folders(tmp_path):
    tax = write_taxonomy(tmp_path / "tax")
    custom = write_custom(tmp_path / "custom").parent
    return tax, custom


def _type(taxonomy, vertical="ecommerce", account="shop"):
    out = fit_tagger(taxonomy, EMBED).predict(EMBED(TEXT), [vertical], [account])
    return out.topic_id[0], out.automation_type[0], out.type_confidence[0], out.topic_confidence[0]


def test_account_override_changes_the_type_for_that_account_only(folders):
    tax, custom = folders
    assert _type(load_taxonomy(tax, custom))[:2] == ("orders", "personalized")
    write_override(custom, "orders", "action", account_id="shop", taxonomy_dir=tax)
    taxonomy = load_taxonomy(tax, custom)
    topic, type_, type_conf, topic_conf = _type(taxonomy)
    assert (topic, type_) == ("orders", "action")
    assert type_conf == topic_conf  # as sure as the topic it follows from
    assert _type(taxonomy, account="other-shop")[1] == "personalized"


def test_vertical_override_and_account_beats_vertical(folders):
    tax, custom = folders
    write_override(custom, "orders", "informational", vertical="ecommerce", taxonomy_dir=tax)
    taxonomy = load_taxonomy(tax, custom)
    assert _type(taxonomy, account="anyone")[1] == "informational"
    write_override(custom, "orders", "action", account_id="shop", taxonomy_dir=tax)
    taxonomy = load_taxonomy(tax, custom)
    assert _type(taxonomy, account="shop")[1] == "action"
    assert _type(taxonomy, account="anyone")[1] == "informational"


def test_override_is_versioned_and_removable(folders):
    tax, custom = folders
    before = load_taxonomy(tax, custom).version
    path = write_override(custom, "orders", "action", account_id="shop", taxonomy_dir=tax)
    assert yaml.safe_load(path.read_text()) == {
        "account_id": "shop",
        "overrides": [{"topic": "orders", "automation_type": "action"}],
    }
    after = load_taxonomy(tax, custom).version
    assert after != before
    write_override(custom, "orders", None, account_id="shop", taxonomy_dir=tax)
    assert not path.exists()
    assert load_taxonomy(tax, custom).version == before


@pytest.mark.parametrize(
    "data, message",
    [
        ({"overrides": []}, "expected exactly one of 'account_id: <id>' or 'vertical: <vertical>'"),
        ({"vertical": "space", "overrides": []}, "unknown vertical 'space'"),
        (
            {"account_id": "shop", "overrides": [{"topic": "nope", "automation_type": "action"}]},
            "overrides[0] names topic 'nope', which is not a topic of account shop",
        ),
        (
            {
                "vertical": "fintech",
                "overrides": [{"topic": "orders", "automation_type": "action"}],
            },
            "which is not a topic of vertical fintech",
        ),
        (
            {"account_id": "shop", "overrides": [{"topic": "orders", "automation_type": "fast"}]},
            "overrides[0] has automation_type 'fast'; expected one of informational, personalized, action",
        ),
    ],
)
def test_bad_override_files_are_refused_with_the_reason(folders, data, message):
    tax, custom = folders
    (custom / "overrides-x.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(tax, custom)
    assert message in str(err.value)


def test_write_override_refuses_an_unknown_topic_and_writes_nothing(folders):
    tax, custom = folders
    with pytest.raises(TaxonomyError, match="not a topic of account shop"):
        write_override(custom, "nope", "action", account_id="shop", taxonomy_dir=tax)
    assert sorted(p.name for p in custom.iterdir()) == ["acme.yaml"]


def test_an_override_changes_the_stored_type_and_the_potential(settings, tmp_path, monkeypatch):
    """Two e-commerce accounts asking the same order questions; the peer P has the action
    enabler (a procedure for orders) live and resolves most by AI, A has nothing.

    Tagged personalized, neither account's cell has its enabler (a data connector), so A's
    potential is ~0. Once the vertical declares order questions to be actions, both accounts'
    conversations move to the action cell, where P's live procedure sets the benchmark: the stored
    type and A's potential both change. The refresh steps (embed, tag, score) do the work.
    """
    from cockpit import store
    from cockpit.tagging import taxonomy as taxonomy_module
    from pipelines import score as score_step
    from tests.test_tag_pipeline import refresh

    tax = write_taxonomy(tmp_path / "tax")
    monkeypatch.setattr(taxonomy_module, "DEFAULT_DIR", tax)
    with store.writing(settings, "test") as con:
        con.execute(
            "INSERT INTO accounts (account_id, name, vertical) VALUES "
            "('A', 'A', 'ecommerce'), ('P', 'P', 'ecommerce')"
        )
        rows = []
        for i in range(40):
            account = "A" if i % 2 else "P"
            resolved = "ai" if account == "P" and i % 10 else "human"  # P: 16 of 20 by AI
            rows.append((f"c{i}", account, "where is my order parcel", resolved))
        put(
            con,
            "conversations",
            ["conversation_id", "account_id", "created_at", "text", "ai_involved", "resolved_by"],
            [(c, a, "2026-11-01 10:00:00", t, True, r) for c, a, t, r in rows],
        )
        con.execute(
            "INSERT INTO setup (account_id, enabler, topic_id) VALUES ('P', 'procedure', 'orders')"
        )

    def tag_and_score():
        refresh(settings)
        with store.writing(settings, "score") as con:
            score_step.score(con)
        con = store.read_only(settings.db_path)
        types = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT automation_type FROM tags JOIN conversations USING "
                "(conversation_id) WHERE account_id = 'A'"
            ).fetchall()
        }
        pot = con.execute("SELECT potential FROM potential WHERE account_id = 'A'").fetchall()[0][0]
        con.close()
        return types, pot

    types, before = tag_and_score()
    assert types == {"personalized"}
    write_override(
        settings.home / "taxonomy", "orders", "action", vertical="ecommerce", taxonomy_dir=tax
    )
    types, after = tag_and_score()
    assert types == {"action"}
    assert abs(after - before) > 0.05, (before, after)


def test_cli_override_writes_and_removes(settings, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cockpit.tagging import taxonomy as taxonomy_module
    from pipelines.cli import cli

    monkeypatch.setattr(taxonomy_module, "DEFAULT_DIR", write_taxonomy(tmp_path / "tax"))
    env = {"COCKPIT_HOME": str(settings.home), "COCKPIT_EMBEDDER": "hashing"}
    run = CliRunner().invoke
    ok = run(
        cli, ["taxonomy", "override", "cards", "--type", "action", "--vertical", "fintech"], env=env
    )
    assert ok.exit_code == 0, ok.output
    assert "Override for vertical fintech: cards -> action" in ok.output
    custom = settings.home / "taxonomy"
    assert load_taxonomy(None, custom).override_for("cards", "fintech") == "action"
    bad = run(
        cli,
        [
            "taxonomy",
            "override",
            "cards",
            "--type",
            "action",
            "--account",
            "x",
            "--vertical",
            "fintech",
        ],
        env=env,
    )
    assert bad.exit_code == 1
    assert "Error: an override needs exactly one of an account id or a vertical." in bad.output
    gone = run(cli, ["taxonomy", "override", "cards", "--remove", "--vertical", "fintech"], env=env)
    assert gone.exit_code == 0, gone.output
    assert load_taxonomy(None, custom).overrides == ()
