"""Corrections store: validation, latest-wins, concurrency settings, applying to tags."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime

import pandas as pd
import pytest

from cockpit import store
from cockpit.errors import CockpitError
from cockpit.tagging.corrections import apply_corrections, load_corrections, record_correction
from cockpit.tagging.taxonomy import load_taxonomy
from tests.test_tag_pipeline import home  # noqa: F401  (fixture: a tiny tagged store)
from tests.test_taxonomy import write_taxonomy


@pytest.fixture
def taxonomy(tmp_path):
    return load_taxonomy(write_taxonomy(tmp_path / "tax"))


def test_record_and_load_latest_per_conversation(tmp_path, taxonomy):
    path = tmp_path / "home" / "corrections.sqlite"
    record_correction(path, "c1", "action", "orders", by="ana", taxonomy=taxonomy,
                      at=datetime(2026, 11, 1, 9, 0))  # fmt: skip
    record_correction(
        path, "c2", "informational", "other", by="ben", note="spam", taxonomy=taxonomy
    )
    record_correction(path, "c1", "personalized", "orders", by="ana", taxonomy=taxonomy)
    latest = load_corrections(path)
    assert latest[["conversation_id", "automation_type", "topic_id"]].values.tolist() == [
        ["c2", "informational", "other"],
        ["c1", "personalized", "orders"],
    ]
    assert len(load_corrections(path, latest=False)) == 3
    first = load_corrections(path, latest=False).iloc[0]
    assert (first.corrected_by, first.corrected_at) == ("ana", "2026-11-01T09:00:00")
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_missing_file_loads_empty(tmp_path):
    frame = load_corrections(tmp_path / "none.sqlite")
    assert len(frame) == 0 and "topic_id" in frame.columns


def test_unknown_ids_are_refused_with_the_valid_ones(tmp_path, taxonomy):
    path = tmp_path / "c.sqlite"
    with pytest.raises(CockpitError) as exc:
        record_correction(path, "c1", "personal", "orders", taxonomy=taxonomy)
    assert str(exc.value) == (
        "unknown automation type 'personal'; valid types: informational, personalized, action."
    )
    with pytest.raises(CockpitError) as exc:
        record_correction(path, "c1", "action", "order", taxonomy=taxonomy)
    assert (
        str(exc.value)
        == "unknown topic id 'order'; valid topic ids: billing, orders, cards, other."
    )
    assert not path.exists() or len(load_corrections(path)) == 0


def test_concurrent_writers_all_land(tmp_path, taxonomy):
    path = tmp_path / "c.sqlite"
    record_correction(path, "c0", "action", "orders", taxonomy=taxonomy)

    def write(i):
        record_correction(path, f"c{i}", "action", "billing", taxonomy=taxonomy)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(load_corrections(path)) == 9


def test_apply_corrections_overrides_with_full_confidence():
    tags = pd.DataFrame(
        {"conversation_id": ["a", "b"], "automation_type": ["informational"] * 2,
         "type_confidence": [0.6, 0.7], "topic_id": ["billing", "orders"], "topic_confidence": [0.5, 0.9]}
    )  # fmt: skip
    corr = pd.DataFrame(
        {
            "conversation_id": ["b", "zz"],
            "automation_type": ["action"] * 2,
            "topic_id": ["other"] * 2,
        }
    )
    out = apply_corrections(tags, corr)
    assert out.corrected.tolist() == [False, True]
    assert out.iloc[1][["automation_type", "topic_id", "type_confidence", "topic_confidence"]].tolist() == [
        "action", "other", 1.0, 1.0,
    ]  # fmt: skip
    assert out.iloc[0].topic_id == "billing"


def test_undo_after_a_refresh_brings_the_model_tag_back_and_keeps_both_events(home):  # noqa: F811
    """correct → refresh → undo → refresh: the model's tag is back, never restored from the
    store's applied_corrections, and the audit (also `cockpit audit`) lists both events."""
    from click.testing import CliRunner

    from cockpit.tagging.corrections import audit_log, correct, undo_latest
    from cockpit.tagging.taxonomy import load_taxonomy
    from pipelines.cli import cli
    from tests.test_tag_pipeline import _env, read_tags, refresh

    refresh(home)
    model_tag = read_tags(home)["c3"]
    assert model_tag[:2] != ("action", "billing") and model_tag[2] is False
    with store.reading(home.db_path) as con:
        correct(con, home.corrections_path, load_taxonomy(), "c3", "action", "billing", by="ana")
    refresh(home)
    assert read_tags(home)["c3"] == ("action", "billing", True, 1.0)

    assert undo_latest(home.corrections_path, "c3", by="ben", source="app", role="csm")
    assert not undo_latest(home.corrections_path, "c3")  # nothing left to undo
    for _ in range(2):  # a second refresh must not restore it from applied_corrections
        refresh(home)
        assert read_tags(home)["c3"] == model_tag
    with store.reading(home.db_path) as con:
        assert con.execute("SELECT count(*) FROM applied_corrections").fetchone() == (0,)
    assert len(load_corrections(home.corrections_path)) == 0

    log = audit_log(home.corrections_path)
    assert len(log) == 2
    undo, first = log.iloc[0], log.iloc[1]
    assert (first.corrected_by, first.automation_type, first.topic_id) == (
        "ana",
        "action",
        "billing",
    )
    assert pd.isna(first.undoes)
    assert (undo.corrected_by, undo.source, int(undo.undoes)) == ("ben", "app", int(first.id))
    assert (undo.automation_type, undo.topic_id) == tuple(model_tag[:2])
    out = CliRunner().invoke(cli, ["audit"], env=_env(home))
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    assert len(lines) == 2 and f"[undo of #{int(first.id)}]" in lines[0]
    assert "-> action / billing" in lines[1]


def test_undo_falls_back_to_the_earlier_correction(tmp_path, taxonomy):
    from cockpit.tagging.corrections import undo_latest

    path = tmp_path / "c.sqlite"
    record_correction(
        path, "c1", "action", "orders", taxonomy=taxonomy, old=("informational", "cards")
    )
    record_correction(
        path, "c1", "personalized", "billing", taxonomy=taxonomy, old=("action", "orders")
    )
    assert undo_latest(path, "c1")
    assert load_corrections(path)[["automation_type", "topic_id"]].values.tolist() == [
        ["action", "orders"]
    ]
    assert undo_latest(path, "c1") and len(load_corrections(path)) == 0
    assert not undo_latest(path, "c1")
    assert len(load_corrections(path, latest=False)) == 0
