"""Corrections store: validation, latest-wins, concurrency settings, applying to tags."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime

import pandas as pd
import pytest

from cockpit.errors import CockpitError
from cockpit.tagging.corrections import apply_corrections, load_corrections, record_correction
from cockpit.tagging.taxonomy import load_taxonomy
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
