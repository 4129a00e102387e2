"""Audit of corrections: who, when, from where, old → new; role checks; old files migrate."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from cockpit import store
from cockpit.access import AccessDeniedError
from cockpit.tagging import taxonomy as taxonomy_module
from cockpit.tagging.corrections import (
    AUDIT_COLUMNS,
    audit_log,
    correct,
    load_corrections,
)
from pipelines.cli import cli
from tests import test_tag_pipeline
from tests.test_tag_pipeline import _env, read_tags, refresh
from tests.test_taxonomy import write_taxonomy

# A store with two accounts and six conversations, the tiny taxonomy (shared with the tag tests).
tag_home = test_tag_pipeline.home


def _correct(settings, cid, kind, topic, **kw):
    tax = taxonomy_module.load_taxonomy(custom_dir=settings.custom_taxonomy_dir)
    with store.reading(settings.db_path) as con:
        correct(con, settings.corrections_path, tax, cid, kind, topic, **kw)


def test_a_correction_records_who_where_and_the_old_tag(tag_home):
    refresh(tag_home)
    before_type, before_topic = read_tags(tag_home)["c1"][:2]
    _correct(tag_home, "c1", "action", "billing", by="dana@example.com", source="app", role="csm")
    _correct(tag_home, "c1", "personalized", "orders", by="ops", note="parcel")  # CLI: no role
    log = audit_log(tag_home.corrections_path)
    assert list(log.columns) == AUDIT_COLUMNS
    newest, first = log.iloc[0], log.iloc[1]  # newest first
    assert (first.corrected_by, first.source, first.role) == ("dana@example.com", "app", "csm")
    assert (first.old_automation_type, first.old_topic_id) == (before_type, before_topic)
    assert before_type is not None
    assert (first.automation_type, first.topic_id) == ("action", "billing")
    # the second correction replaced the first, not the published tag
    assert (newest.source, newest.role, newest.note) == ("cli", None, "parcel")
    assert (newest.old_automation_type, newest.old_topic_id) == ("action", "billing")
    assert newest.corrected_at >= first.corrected_at


def test_a_read_only_role_is_refused_server_side(tag_home):
    refresh(tag_home)
    with pytest.raises(AccessDeniedError, match=r"your role \(sales\) may not correct"):
        _correct(
            tag_home, "c1", "action", "billing", by="rita@example.com", source="app", role="sales"
        )
    with pytest.raises(AccessDeniedError, match=r"your role \(none\)"):
        _correct(tag_home, "c1", "action", "billing", by="forged", source="app", role=None)
    assert not tag_home.corrections_path.exists() or audit_log(tag_home.corrections_path).empty


def test_an_old_corrections_file_gains_the_audit_columns(tmp_path):
    path = tmp_path / "corrections.sqlite"
    with sqlite3.connect(path) as con:  # the file as issue 12 found it
        con.execute(
            "CREATE TABLE corrections (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id "
            "TEXT NOT NULL, automation_type TEXT NOT NULL, topic_id TEXT NOT NULL, corrected_by "
            "TEXT, corrected_at TEXT NOT NULL, note TEXT)"
        )
        con.execute(
            "INSERT INTO corrections (conversation_id, automation_type, topic_id, corrected_by, "
            "corrected_at) VALUES ('c9', 'action', 'orders', 'ana', '2026-11-01T09:00:00')"
        )
    log = audit_log(path)
    assert log[["conversation_id", "corrected_by", "source", "old_topic_id"]].values.tolist() == [
        ["c9", "ana", None, None]
    ]
    audit_log(path)  # twice: the ALTERs are idempotent
    assert load_corrections(path)["conversation_id"].tolist() == ["c9"]
    with sqlite3.connect(path) as con:
        cols = [r[1] for r in con.execute("PRAGMA table_info(corrections)")]
    assert cols[-5:] == ["source", "role", "old_automation_type", "old_topic_id", "undoes"]


def test_cockpit_audit_lists_cli_corrections(tag_home):
    refresh(tag_home)
    runner = CliRunner()
    empty = runner.invoke(cli, ["audit"], env=_env(tag_home))
    assert empty.exit_code == 0 and "No corrections recorded yet." in empty.output
    ok = runner.invoke(
        cli, ["tag", "correct", "c1", "--type", "action", "--topic", "orders", "--by", "ops"],
        env=_env(tag_home),
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    table = runner.invoke(cli, ["audit"], env=_env(tag_home))
    assert table.exit_code == 0, table.output
    assert "ops (cli)  c1: " in table.output and "-> action / orders" in table.output
    out = runner.invoke(cli, ["audit", "--json", "--limit", "1"], env=_env(tag_home))
    rows = json.loads(out.output)
    assert len(rows) == 1 and set(rows[0]) == set(AUDIT_COLUMNS)
    assert (rows[0]["source"], rows[0]["corrected_by"], rows[0]["topic_id"]) == (
        "cli",
        "ops",
        "orders",
    )
    other = runner.invoke(cli, ["audit", "--json", "--conversation", "c2"], env=_env(tag_home))
    assert json.loads(other.output) == []


def test_type_overrides_are_audited_and_refused_for_read_only_roles(
    tag_home, tmp_path, monkeypatch
):
    from cockpit.tagging.overrides import override_type

    monkeypatch.setattr(taxonomy_module, "DEFAULT_DIR", write_taxonomy(tmp_path / "tax"))
    runner = CliRunner()
    none_yet = runner.invoke(cli, ["audit", "--overrides"], env=_env(tag_home))
    assert none_yet.exit_code == 0 and "No type overrides recorded yet." in none_yet.output
    args = ["taxonomy", "override", "cards", "--vertical", "fintech"]
    assert runner.invoke(cli, [*args, "--type", "action"], env=_env(tag_home)).exit_code == 0
    assert runner.invoke(cli, [*args, "--type", "personalized"], env=_env(tag_home)).exit_code == 0
    assert runner.invoke(cli, [*args, "--remove"], env=_env(tag_home)).exit_code == 0
    with pytest.raises(AccessDeniedError, match=r"your role \(sales\) may not override"):
        override_type(
            tag_home.custom_taxonomy_dir, tag_home.corrections_path, "cards", "action",
            vertical="fintech", by="rita@example.com", source="app", role="sales",
        )  # fmt: skip
    out = runner.invoke(cli, ["audit", "--overrides", "--json"], env=_env(tag_home))
    rows = json.loads(out.output)
    changes = [(r["source"], r["old_automation_type"], r["automation_type"]) for r in rows]
    assert changes == [
        ("cli", "personalized", None),
        ("cli", "action", "personalized"),
        ("cli", None, "action"),
    ]
    assert {r["vertical"] for r in rows} == {"fintech"} and rows[0]["changed_by"]
    table = runner.invoke(cli, ["audit", "--overrides"], env=_env(tag_home))
    assert "vertical fintech cards: personalized -> removed" in table.output


@pytest.mark.parametrize("path", ["cli", "app"])
def test_both_correction_paths_check_the_topic_against_the_account(tag_home, path):
    """The CLI and the Conversations page take the one path (`corrections.correct`): a topic of
    another vertical is refused, the account's own custom topic is accepted."""
    from tests.test_taxonomy import write_custom

    write_custom(tag_home.custom_taxonomy_dir, account_id="shop")

    def attempt(topic: str):
        if path == "cli":
            result = CliRunner().invoke(
                cli,
                ["tag", "correct", "c1", "--type", "action", "--topic", topic, "--by", "ops"],
                env=_env(tag_home),
            )
            return result.exit_code, result.output
        from cockpit import ui
        from cockpit.access import Identity
        from cockpit.errors import CockpitError

        dana = Identity(email="dana@example.com", name="Dana", role="csm")
        try:
            ui.correct_tag(tag_home, "c1", "action", topic, dana)
        except CockpitError as exc:
            return 1, f"Error: {exc}"
        return 0, ""

    code, out = attempt("cards")  # a fintech topic; c1 belongs to the e-commerce shop
    assert code == 1 and "unknown topic id 'cards' for account shop" in out
    assert load_corrections(tag_home.corrections_path).empty
    code, out = attempt("loyalty")  # the shop's own custom topic
    assert code == 0, out
    assert load_corrections(tag_home.corrections_path)["topic_id"].tolist() == ["loyalty"]
