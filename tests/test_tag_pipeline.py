"""Embed + tag steps on a real DuckDB store with the hashing fake; CLI commands of the area."""

from __future__ import annotations

import csv
import dataclasses
import json

import pytest
from click.testing import CliRunner

from cockpit import store
from cockpit.embedding import HashingEmbedder
from cockpit.errors import MissingVectorsError
from cockpit.tagging import tagger as tagger_module
from cockpit.tagging import taxonomy as taxonomy_module
from cockpit.tagging.corrections import record_correction
from pipelines import embed as embed_step
from pipelines import tag as tag_step
from pipelines.cli import cli
from pipelines.context import StepContext
from tests.conftest import put
from tests.test_taxonomy import write_custom, write_taxonomy

CONVERSATIONS = [
    ("c1", "shop", "where is my parcel"),
    ("c2", "shop", "please cancel my order"),
    ("c3", "shop", "what is the weather today"),
    ("c4", "bank", "why was my bank card declined"),
    ("c5", "bank", "show my invoice please"),
    ("c6", "shop", "hi"),  # transcript below decides what is embedded
]
MESSAGES = [
    ("c6", "2026-11-01 10:00:00", "customer", "hi"),
    ("c6", "2026-11-01 10:00:05", "ai", "Hello! How can I help?"),
    ("c6", "2026-11-01 10:00:30", "customer", "track my order parcel please"),
]


@pytest.fixture
def home(settings, tmp_path, monkeypatch):
    """A store with two accounts and six conversations; the tiny taxonomy as project taxonomy."""
    monkeypatch.setattr(taxonomy_module, "DEFAULT_DIR", write_taxonomy(tmp_path / "tax"))
    with store.writing(settings, "test") as con:
        con.execute(
            "INSERT INTO accounts (account_id, name, vertical) VALUES "
            "('shop', 'Shop', 'ecommerce'), ('bank', 'Bank', 'fintech')"
        )
        for cid, acc, text in CONVERSATIONS:
            add_conversation(con, cid, acc, text)
        put(con, "messages", ["conversation_id", "sent_at", "author", "body"], MESSAGES)
    return settings


def add_conversation(con, cid, account, text):
    put(
        con,
        "conversations",
        ["conversation_id", "account_id", "created_at", "text"],
        [(cid, account, "2026-11-01 10:00:00", text)],
    )


class Factory:
    """Embedder factory that counts how often the model would be loaded."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return HashingEmbedder()


def refresh(settings, full=False, factory=None, before=None):
    """Run embed then tag in one writer transaction; return (embed counts, tag counts)."""
    factory = factory or Factory()
    with store.writing(settings, "refresh") as con:
        if before:
            before(con)
        ctx = StepContext(
            con=con, settings=settings, run_id="r", full=full, embedder_factory=factory
        )
        return embed_step.run(ctx), tag_step.run(ctx)


def read_tags(settings):
    con = store.read_only(settings.db_path)
    rows = con.execute(
        "SELECT conversation_id, automation_type, topic_id, corrected, topic_confidence FROM tags ORDER BY 1"
    ).fetchall()
    con.close()
    return {r[0]: r[1:] for r in rows}


def test_first_run_tags_everything_sensibly(home):
    emb, tag = refresh(home)
    assert emb["texts_embedded"] == 6
    assert tag == {
        "tags_written": 6,
        "tags_changed": 0,
        "corrections_applied": 0,
    }
    tags = read_tags(home)
    assert tags["c1"][:2] == ("personalized", "orders")
    assert tags["c2"][:2] == ("action", "orders")
    assert tags["c3"][1] == "other"
    assert tags["c4"][1] == "cards"
    assert tags["c6"][1] == "orders"  # from the customer turns, not the "hi" opening
    con = store.read_only(home.db_path)
    assert store.get_meta(con, "model_id") == "hashing-v1"
    assert store.get_meta(con, "taxonomy_version").startswith("2026.11.1+")
    topics = con.execute("SELECT topic_id, vertical FROM taxonomy_topics ORDER BY 1").fetchall()
    assert topics == [
        ("billing", None),
        ("cards", "fintech"),
        ("orders", "ecommerce"),
        ("other", None),
    ]
    stored_ids = {r[0] for r in con.execute("SELECT DISTINCT topic_id FROM tags").fetchall()}
    assert stored_ids <= {t[0] for t in topics}
    con.close()


def test_second_run_embeds_and_tags_nothing(home):
    refresh(home)
    before = read_tags(home)
    factory = Factory()
    emb, tag = refresh(home, factory=factory)
    assert emb["texts_embedded"] == 0 and tag["tags_written"] == 0
    assert factory.calls == 0  # the model is never loaded when nothing is new
    assert read_tags(home) == before


def test_full_rerun_is_idempotent(home):
    refresh(home)
    before = read_tags(home)
    emb, tag = refresh(home, full=True)
    assert emb["texts_embedded"] == 0
    assert tag["tags_written"] == 6 and tag["tags_changed"] == 0
    assert read_tags(home) == before


def test_only_new_or_changed_conversations_are_retagged(home):
    refresh(home)

    def change(con):
        add_conversation(con, "c7", "shop", "cancel my order now")
        add_conversation(con, "c2", "shop", "where is my order parcel today")

    emb, tag = refresh(home, before=change)
    assert emb["texts_embedded"] == 2 and emb["texts_changed"] == 2
    assert tag["tags_written"] == 2 and tag["tags_changed"] == 1
    assert read_tags(home)["c2"][:2] == ("personalized", "orders")


def test_corrections_win_and_only_touch_their_conversation(home):
    refresh(home)
    record_correction(home.corrections_path, "c3", "action", "billing", by="t",
                      taxonomy=taxonomy_module.load_taxonomy())  # fmt: skip
    emb, tag = refresh(home)
    assert tag["tags_written"] == 1 and tag["corrections_applied"] == 1 and tag["tags_changed"] == 1
    assert read_tags(home)["c3"] == ("action", "billing", True, 1.0)
    _, again = refresh(home)
    assert again["tags_written"] == 0


def test_a_lost_corrections_file_is_rebuilt_from_the_store(home, caplog):
    refresh(home)
    record_correction(home.corrections_path, "c3", "action", "billing", by="t",
                      taxonomy=taxonomy_module.load_taxonomy())  # fmt: skip
    refresh(home)
    with store.reading(home.db_path) as con:
        kept = con.execute("SELECT conversation_id, topic_id FROM applied_corrections").fetchall()
    assert kept == [("c3", "billing")]
    home.corrections_path.unlink()  # the file is lost
    with caplog.at_level("WARNING"):
        _, tag = refresh(home)
    assert "lacked 1 correction(s) kept in the published store; restored them" in caplog.text
    assert read_tags(home)["c3"] == ("action", "billing", True, 1.0)  # not undone
    assert tag["tags_changed"] == 0
    assert home.corrections_path.exists()


def test_taxonomy_change_retags_everything(home, tmp_path):
    refresh(home)
    write_custom(home.home / "taxonomy", account_id="shop")
    _, tag = refresh(home)
    assert tag["tags_written"] == 6
    con = store.read_only(home.db_path)
    assert con.execute(
        "SELECT account_id FROM taxonomy_topics WHERE topic_id = 'loyalty'"
    ).fetchone() == ("shop",)
    con.close()


def test_model_id_change_retags_everything(home):
    refresh(home)
    _, tag = refresh(home, before=lambda con: store.set_meta(con, "model_id", "old-model"))
    assert tag["tags_written"] == 6


class _Named(HashingEmbedder):
    """The hashing fake under another model id (stands in for a real model in the cache key)."""

    def __init__(self, model_id: str):
        super().__init__()
        self.model_id = model_id


def test_switching_from_fp32_to_the_int8_default_reembeds_and_retags(home):
    """A workspace embedded with the former default (fp32) is re-embedded under the int8 id
    on its next refresh: the cache key and the tags' model id follow the embedder."""
    from cockpit.embedding import embedder_model_id

    fp32 = dataclasses.replace(home, embedder="sentence-transformers")
    int8 = dataclasses.replace(home, embedder="onnx-int8")
    emb, _ = refresh(fp32, factory=lambda: _Named(embedder_model_id(fp32)))
    assert emb["texts_embedded"] == 6
    emb, tag = refresh(int8, factory=lambda: _Named(embedder_model_id(int8)))
    assert emb["texts_embedded"] == 6 and tag["tags_written"] == 6
    con = store.read_only(home.db_path)
    assert store.get_meta(con, "model_id").endswith("+onnx-int8")
    assert con.execute("SELECT DISTINCT model_id FROM tags").fetchall() == [
        (embedder_model_id(int8),)
    ]
    con.close()


def test_deleted_conversations_lose_their_tags(home):
    refresh(home)
    _, tag = refresh(
        home,
        before=lambda con: store.delete_where(con, "conversations", "conversation_id = 'c5'"),
    )
    assert "c5" not in read_tags(home) and tag["tags_written"] == 0


# --- CLI ------------------------------------------------------------------------------------


def _env(settings):
    return {"COCKPIT_HOME": str(settings.home), "COCKPIT_EMBEDDER": "hashing"}


def test_cli_correct_validates_against_the_account(home):
    refresh(home)
    runner = CliRunner()
    ok = runner.invoke(
        cli,
        ["tag", "correct", "c1", "--type", "action", "--topic", "orders", "--note", "x"],
        env=_env(home),
    )
    assert ok.exit_code == 0, ok.output
    assert "Recorded: c1 -> action / orders" in ok.output
    bad = runner.invoke(
        cli, ["tag", "correct", "c1", "--type", "action", "--topic", "cards"], env=_env(home)
    )
    assert bad.exit_code == 1
    assert (
        "Error: unknown topic id 'cards' for account shop (ecommerce); valid topic ids: billing, orders, other."
        in bad.output
    )
    missing = runner.invoke(
        cli, ["tag", "correct", "nope", "--type", "action", "--topic", "orders"], env=_env(home)
    )
    assert missing.exit_code == 1 and "no conversation 'nope'" in missing.output


def test_cli_export_tags(home, tmp_path):
    refresh(home)
    out = tmp_path / "out" / "tags.csv"
    result = CliRunner().invoke(cli, ["export", "tags", "--out", str(out)], env=_env(home))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 6
    assert list(rows[0]) == [
        "conversation_id", "account_id", "automation_type", "type_confidence", "topic_id",
        "topic_confidence", "taxonomy_version", "corrected",
    ]  # fmt: skip
    assert rows[0]["conversation_id"] == "c1" and rows[0]["account_id"] == "shop"


def test_cli_export_without_data(settings):
    result = CliRunner().invoke(cli, ["export", "tags", "--out", "x.csv"], env=_env(settings))
    assert result.exit_code == 1 and "Error: No data yet" in result.output


def test_cli_help_ends_with_examples():
    runner = CliRunner()
    for args in (["tag", "correct"], ["taxonomy", "eval"], ["export", "tags"]):
        text = runner.invoke(cli, [*args, "--help"]).output.split("Options:")[0]
        assert text.strip().splitlines()[-1].strip().startswith("Example: cockpit "), args


LABELLED = [
    ("i want a refund for my order", "refund"), ("give me my money back", "refund"),
    ("refund the jacket please", "refund"), ("can i get a refund", "refund"),
    ("how do i reset my password", "password"), ("forgot my password", "password"),
    ("password reset link not working", "password"), ("change my password", "password"),
    ("what is the weather", "oos"), ("tell me a joke", "oos"),
]  # fmt: skip


def test_cli_eval_few_shot_json(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(taxonomy_module, "DEFAULT_DIR", write_taxonomy(tmp_path / "tax"))
    path = tmp_path / "labelled.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["body", "intent"])
        w.writerows(LABELLED)
    args = [
        "taxonomy",
        "eval",
        str(path),
        "--text-col",
        "body",
        "--label-col",
        "intent",
        "--few-shot",
        "2",
    ]
    result = CliRunner().invoke(cli, [*args, "--json"], env=_env(settings))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mode"] == "few-shot K=2" and data["n_test"] == 4 and data["n_examples"] == 6
    assert {r["label"] for r in data["per_label"]} <= {"refund", "password", "other"}
    text = CliRunner().invoke(cli, args, env=_env(settings)).output
    assert "accuracy" in text and "macro-F1" in text and "coverage" in text
    bad = CliRunner().invoke(
        cli, ["taxonomy", "eval", str(path), "--label-col", "intent"], env=_env(settings)
    )
    assert bad.exit_code == 1
    assert (
        "missing column(s) text; found body, intent. Pass --text-col and --label-col." in bad.output
    )


def test_nothing_to_tag_fits_nothing_and_new_data_reuses_the_cached_fit(home, monkeypatch):
    refresh(home)
    assert list((home.home / "models").glob("tagger-*.pkl"))  # the first run cached its fit

    def no_fit(*args, **kwargs):
        raise AssertionError("the tagger was refitted")

    monkeypatch.setattr(tagger_module, "fit_tagger", no_fit)
    assert refresh(home)[1]["tags_written"] == 0
    _, tag = refresh(home, before=lambda con: add_conversation(con, "c9", "shop", "refund me"))
    assert tag["tags_written"] == 1


def test_a_release_that_changes_the_tagger_code_refits_and_retags_everything(home, monkeypatch):
    # A re-tuned constant in tagger.py must not be hidden by the fit cached by the old code.
    from cockpit.tagging import cache

    refresh(home)
    fits = []
    real_fit = tagger_module.fit_tagger
    monkeypatch.setattr(
        tagger_module, "fit_tagger", lambda *a, **k: fits.append(1) or real_fit(*a, **k)
    )
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "another-release")
    monkeypatch.setattr(tag_step, "code_fingerprint", lambda: "another-release")
    _, tag = refresh(home)
    assert fits == [1]  # the old pickle was not reused
    assert tag["tags_written"] == 6  # every conversation re-tagged by the new code
    assert refresh(home)[1]["tags_written"] == 0  # and only once
    assert len(list((home.home / "models").glob("tagger-*.pkl"))) == 2


def test_tag_step_needs_the_embed_step_and_says_so(home):
    with store.writing(home, "refresh") as con:
        ctx = StepContext(con=con, settings=home, run_id="r", embedder_factory=Factory())
        with pytest.raises(MissingVectorsError, match="Run `cockpit refresh`"):
            tag_step.run(ctx)


def test_missing_vectors_are_an_error_not_a_silent_skip(home):
    refresh(home)
    with store.writing(home, "refresh") as con:
        add_conversation(con, "c9", "shop", "refund me")
        ctx = StepContext(con=con, settings=home, run_id="r", embedder_factory=Factory())
        with pytest.raises(
            MissingVectorsError, match="1 conversation\\(s\\) to tag have no cached vector"
        ):
            tag_step.run(ctx)


def test_embed_step_embeds_the_first_content_turn_of_a_transcript(home):
    """Greetings and identifying turns are skipped by the step itself (the rule the bench
    measures), and the stored hash is that text's."""
    from cockpit.embedding import text_hash

    turns = ["good morning", "name priya and ac no [NUMBER]", "i need to cancel my order", "ok"]
    with store.writing(home, "test") as con:
        add_conversation(con, "c7", "shop", "good morning")
        put(
            con,
            "messages",
            ["conversation_id", "sent_at", "author", "body"],
            [("c7", f"2026-11-01 10:00:0{i}", "customer", t) for i, t in enumerate(turns)],
        )
    refresh(home)
    con = store.read_only(home.db_path)
    try:
        assert embed_step.texts_for(con, ["c7"]).text.tolist() == ["i need to cancel my order"]
        stored = con.execute(
            "SELECT text_hash FROM embed_texts WHERE conversation_id = 'c7'"
        ).fetchone()[0]
    finally:
        con.close()
    assert stored == text_hash("i need to cancel my order")
    assert read_tags(home)["c7"][:2] == ("action", "orders")
