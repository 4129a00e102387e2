"""The Parquet store (`COCKPIT_STORE=parquet`, cockpit.store.lake): a night writes its new data,
not the history; killed runs publish nothing; readers see one complete state; old workspaces
convert on the first run."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from cockpit import store
from cockpit.store import connection as store_connection
from cockpit.store import lake, migrations
from pipelines.refresh import Step, refresh
from tests.app_fixture import TINY, build_app_store
from tests.conftest import ROOT
from tests.test_publish import kill9, spawn


@pytest.fixture
def lake_settings(settings):
    return dataclasses.replace(settings, store_format="parquet")


def grow_step(n: int, prefix: str, update: list[str] | None = None):
    """A step writing `n` conversations (and their tags) through the store's write API, plus a
    newer version of the `update` ids; records the expected count in `meta` (the small file)."""

    def step(ctx):
        con = ctx.con
        start = con.execute("SELECT count(*) FROM conversations").fetchall()[0][0]
        rows = f"""SELECT '{prefix}' || i AS conversation_id, 'a' || (i % 7) AS account_id,
            TIMESTAMP '2026-11-01' + INTERVAL (i) MINUTE AS created_at,
            'text ' || i || ' of {prefix}' AS text, 'chat' AS channel, 'md5' AS row_hash
            FROM range({n}) t(i)"""
        store.upsert(con, "conversations", rows)
        store.upsert(
            con,
            "tags",
            f"SELECT conversation_id, 'faq' AS automation_type, 0.9 AS type_confidence, "
            f"'t1' AS topic_id, 0.8 AS topic_confidence, false AS corrected FROM ({rows})",
        )
        for cid in update or []:
            store.upsert(
                con,
                "conversations",
                f"SELECT conversation_id, account_id, created_at, 'updated by {prefix}' AS text "
                f"FROM conversations WHERE conversation_id = '{cid}'",
            )
        total = con.execute("SELECT count(*) FROM conversations").fetchall()[0][0]
        store.set_meta(con, "expected_conversations", str(total))
        return {"added": total - start}

    return step


def lake_files(settings) -> set[Path]:
    return set((settings.home / lake.LAKE_DIR).rglob("*.parquet"))


def base_tables(settings) -> set[str]:
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{settings.db_path}' AS c (READ_ONLY)")
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    con.close()
    return names


def test_parquet_store_upserts_latest_wins_and_rewrites_only_touched_files(lake_settings):
    s = lake_settings
    assert refresh(s, steps=[Step("grow", grow_step(300, "a"))]).status == "success"
    assert refresh(s, steps=[Step("grow", grow_step(300, "b"))]).status == "success"
    assert not {"conversations", "messages", "tags", "embed_texts"} & base_tables(s)
    before = {p: p.stat().st_mtime_ns for p in lake_files(s)}
    with store.reading(s.db_path) as con:
        m = lake.manifest(con)
    a_file, b_file = m["tables"]["conversations"][-2:]

    # a newer version of one 'b' conversation: the 'a' file is kept as it is
    assert refresh(s, steps=[Step("grow", grow_step(10, "c", update=["b5"]))]).status == "success"
    with store.reading(s.db_path) as con:
        rows = con.execute("SELECT text FROM conversations WHERE conversation_id = 'b5'").fetchall()
        n, distinct = con.execute(
            "SELECT count(*), count(DISTINCT conversation_id) FROM conversations"
        ).fetchall()[0]
        expected = int(store.get_meta(con, "expected_conversations"))
        m2 = lake.manifest(con)
    assert rows == [("updated by c",)]
    assert n == distinct == expected == 610
    assert a_file in m2["tables"]["conversations"]  # untouched history stays the same file
    assert b_file not in m2["tables"]["conversations"]  # rewritten without b5
    assert (s.home / lake.LAKE_DIR / a_file).stat().st_mtime_ns == before[
        s.home / lake.LAKE_DIR / a_file
    ]
    assert store_connection.last_publish.files_rewritten == 1


def night_after(settings, history: int) -> lake.PublishStats:
    """What a 400-conversation night writes after `history` conversations."""
    assert refresh(settings, steps=[Step("history", grow_step(history, "h"))]).status == "success"
    assert refresh(settings, steps=[Step("day", grow_step(400, "d"))]).status == "success"
    return store_connection.last_publish


def test_one_day_refresh_writes_the_new_data_not_the_history(lake_settings):
    s = lake_settings
    small = night_after(s, 20_000)
    large = night_after(dataclasses.replace(s, home=s.home.parent / "large"), 80_000)
    # new segment bytes against the whole store (segments + the small file)
    assert 0 < large.segment_bytes < 0.05 * large.store_bytes
    lake_bytes = [st.store_bytes - st.db_bytes for st in (small, large)]
    assert lake_bytes[1] > 3 * lake_bytes[0]  # four times the history in Parquet
    # what the night writes does not grow with the history: the same new segments, and the
    # small file's copy within a few DuckDB blocks (256 KiB each; free blocks get reused)
    assert abs(large.segment_bytes - small.segment_bytes) < 0.1 * small.segment_bytes
    assert abs(large.db_bytes - small.db_bytes) <= 4 * 262_144
    # the single-file store copies everything it holds on the same night
    one = dataclasses.replace(s, home=s.home.parent / "single", store_format="duckdb")
    single = night_after(one, 80_000)
    assert single.written_bytes == single.store_bytes == one.db_path.stat().st_size
    assert single.written_bytes > large.written_bytes


def test_workspace_made_by_the_current_version_converts_and_refreshes(settings):
    """A demo workspace built in the single-file format (the previous default) opens, converts
    on its first run under the default setting, and refreshes."""
    s = build_app_store(dataclasses.replace(settings, store_format="duckdb"), size=TINY)
    checks = {
        t: f"SELECT count(*), count(DISTINCT {k}), sum(hash({k})) FROM {t}"
        for t, k in [
            ("conversations", "conversation_id"),
            ("messages", "conversation_id || sent_at::VARCHAR || author"),
            ("tags", "conversation_id || topic_id || automation_type"),
            ("embed_texts", "conversation_id || text_hash"),
            ("emerging_points", "conversation_id || vertical || coalesce(cluster_id, '')"),
        ]
    }
    checks["account_metrics"] = "SELECT count(*), sum(conversations) FROM account_metrics"
    with store.reading(s.db_path) as con:
        before = {t: con.execute(sql).fetchall() for t, sql in checks.items()}
    single_size = s.db_path.stat().st_size
    assert "conversations" in base_tables(s)

    result = refresh(settings, progress_mode="quiet")  # the default setting
    assert result.status == "success", result.error
    assert not set(migrations.LAKE_TABLES) & base_tables(s)
    assert s.db_path.stat().st_size < single_size
    with store.reading(s.db_path) as con:
        after = {t: con.execute(sql).fetchall() for t, sql in checks.items()}
    assert after == before

    # a new conversation through the real inbox, ingest, embed, tag and score steps
    with store.reading(s.db_path) as con:
        account, last = con.execute(
            "SELECT account_id, max(created_at) FROM conversations GROUP BY 1 ORDER BY 1 LIMIT 1"
        ).fetchall()[0]
    s.inbox.mkdir(parents=True, exist_ok=True)
    (s.inbox / "conversations_new.csv").write_text(
        "conversation_id,account_id,created_at,text\n"
        f"new-1,{account},{last.isoformat()},I was charged twice so please refund one\n"
    )
    # even with the opt-out set, a converted workspace stays in Parquet
    result = refresh(s, progress_mode="quiet")
    assert result.status == "success", result.error
    with store.reading(s.db_path) as con:
        assert con.execute(
            "SELECT count(*) FROM conversations c JOIN tags t USING (conversation_id) "
            "JOIN embed_texts e USING (conversation_id) WHERE conversation_id = 'new-1'"
        ).fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM conversations").fetchall()[0][0] == (
            before["conversations"][0][0] + 1
        )


def test_emerging_points_move_to_one_file_per_vertical_and_a_vertical_rewrites_its_own(
    settings, monkeypatch
):
    """A Parquet workspace converted before `emerging_points` joined the lake moves the table on
    its next write; each file holds one vertical, so replacing a vertical (what the discover
    step does when it re-clusters) rewrites that vertical's files only."""
    s = dataclasses.replace(settings, store_format="duckdb")
    points = [
        (f"p{i:02d}", ("bank", "shop", "travel")[i % 3], f"em{i % 4}", i / 10) for i in range(30)
    ]
    with store.writing(s, "test") as con:
        con.executemany("INSERT INTO emerging_points VALUES (?, ?, ?, ?)", points)
    with monkeypatch.context() as mp:  # the lake as the previous version made it
        mp.delitem(migrations.LAKE_TABLES, "emerging_points")
        with store.writing(dataclasses.replace(s, store_format="parquet"), "test"):
            pass
    assert "emerging_points" in base_tables(s) and "conversations" not in base_tables(s)

    with store.writing(s, "test"):  # the next writer moves it, whatever the setting
        pass
    assert "emerging_points" not in base_tables(s)
    with store.reading(s.db_path) as con:
        stored = con.execute("SELECT * FROM emerging_points ORDER BY conversation_id").fetchall()
        files = lake.manifest(con)["tables"]["emerging_points"]
        vertical_of = {}
        for f in files:
            path = str(s.home / lake.LAKE_DIR / f)
            (vertical_of[f],) = con.execute(
                "SELECT DISTINCT vertical FROM read_parquet(?)", [path]
            ).fetchall()
    assert stored == points
    assert sorted(v for (v,) in vertical_of.values()) == ["bank", "shop", "travel"]

    with store.writing(s, "test") as con:
        store.delete_where(con, "emerging_points", "vertical = ?", ["shop"])
        store.upsert(
            con,
            "emerging_points",
            "SELECT 'q' || i AS conversation_id, ? AS vertical, 'em9' AS cluster_id, "
            "0.5 AS similarity FROM range(5) t(i)",
            ["shop"],
        )
    with store.reading(s.db_path) as con:
        now = lake.manifest(con)["tables"]["emerging_points"]
        counts = con.execute(
            "SELECT vertical, count(*) FROM emerging_points GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert counts == [("bank", 10), ("shop", 5), ("travel", 10)]
    assert {vertical_of[f][0] for f in set(files) & set(now)} == {"bank", "travel"}
    assert store_connection.last_publish.files_rewritten == 1


KILLED = r"""
import os, sys, time
from pathlib import Path
from cockpit.settings import Settings
from pipelines.refresh import Step, refresh
from tests.test_store_parquet import grow_step

home, mode, marker, point = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
settings = Settings(home=Path(home), embedder="hashing", store_format="parquet")

def pause():
    marker.write_text(str(os.getpid()))
    time.sleep(120)

real_replace = os.replace
def slow_replace(src, dst):
    if Path(dst) == settings.db_path:
        pause()
    real_replace(src, dst)
os.replace = slow_replace

def grow_then_maybe_pause(ctx):
    out = grow_step(50, "k", update=["a1"])(ctx)
    if point == "step":
        pause()
    return out

refresh(settings, steps=[Step("grow", grow_then_maybe_pause)], progress_mode="quiet")
"""


def conversation_state(settings):
    with store.reading(settings.db_path) as con:
        return con.execute(
            "SELECT count(*), max(text) FILTER (WHERE conversation_id = 'a1') FROM conversations"
        ).fetchall()[0]


@pytest.mark.parametrize("point", ["step", "replace"])
def test_killed_parquet_refresh_leaves_previous_state_and_next_run_collects_its_files(
    lake_settings, point, monkeypatch
):
    s = lake_settings
    assert refresh(s, steps=[Step("grow", grow_step(200, "a"))]).status == "success"
    state = conversation_state(s)
    version = store.published_version(s.db_path)
    published_files = lake_files(s)

    import tests.test_publish as tp

    monkeypatch.setattr(tp, "WORKER", KILLED)
    proc = spawn(s, "refresh", point)
    assert conversation_state(s) == state  # readable while the writer works
    kill9(proc)
    if point == "replace":
        assert lake_files(s) - published_files  # its segments were written, not published
    assert store.published_version(s.db_path) == version
    assert conversation_state(s) == state == (200, "text 1 of a")

    assert refresh(s, steps=[Step("grow", grow_step(50, "k", update=["a1"]))]).status == "success"
    assert conversation_state(s) == (250, "updated by k")
    with store.reading(s.db_path) as con:
        m = lake.manifest(con)
    root = s.home / lake.LAKE_DIR
    listed = {root / f for fs in m["tables"].values() for f in fs} | {
        root / f for f in m["previous"]
    }
    assert lake_files(s) <= listed  # the killed run's files are gone


READER = r"""
import json, sys
from pathlib import Path
from cockpit import store

db, stop = Path(sys.argv[1]), Path(sys.argv[2])
first = store.read_only(db)
first_n = first.execute("SELECT count(*) FROM conversations").fetchall()[0][0]
cached, cached_key = None, None
reads, seen, bad = 0, set(), []

def check(con, where):
    n, distinct, tagged = con.execute(
        "SELECT count(*), count(DISTINCT conversation_id), "
        "(SELECT count(*) FROM tags) FROM conversations").fetchall()[0]
    expected = int(store.get_meta(con, "expected_conversations"))
    if not (n == distinct == tagged == expected):
        bad.append([where, n, distinct, tagged, expected])
    seen.add(n)

while not stop.exists():
    con = store.read_only(db)
    check(con, "fresh")
    con.close()
    key = store.published_version(db)
    if key != cached_key:
        cached, cached_key = store.read_only(db), key
    check(cached, "cached")
    reads += 1
print(json.dumps({"reads": reads, "seen": sorted(seen), "bad": bad}))
"""


def test_readers_see_one_complete_state_while_parquet_refreshes_publish(lake_settings, tmp_path):
    s = lake_settings
    assert refresh(s, steps=[Step("grow", grow_step(100, "r0"))]).status == "success"
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(s.db_path), str(stop)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(1.0)
        for i in range(1, 6):
            step = grow_step(100, f"r{i}", update=[f"r{i - 1}3"])
            assert refresh(s, steps=[Step("grow", step)]).status == "success"
            time.sleep(0.3)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err.decode()
    stats = json.loads(out)
    assert stats["bad"] == []
    assert len(stats["seen"]) >= 2  # it saw more than one published state


def test_reader_opened_before_a_publish_keeps_reading_its_generation(lake_settings):
    s = lake_settings
    refresh(s, steps=[Step("grow", grow_step(100, "o"))])
    old = store.read_only(s.db_path)
    refresh(s, steps=[Step("grow", grow_step(100, "p", update=["o1"]))])
    assert old.execute("SELECT count(*) FROM conversations").fetchall() == [(100,)]
    assert old.execute(
        "SELECT text FROM conversations WHERE conversation_id = 'o1'"
    ).fetchall() == [("text 1 of o",)]
    old.close()
    with store.reading(s.db_path) as con:
        assert con.execute(
            "SELECT count(*), max(text) FILTER (WHERE conversation_id = 'o1') FROM conversations"
        ).fetchall() == [(200, "updated by p")]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """A TINY demo built in the single-file format, then converted by a Parquet refresh."""
    from cockpit.settings import Settings

    home = tmp_path_factory.mktemp("lake") / "home"
    s = build_app_store(Settings(home=home, store_format="duckdb"), size=TINY)
    parquet = dataclasses.replace(s, store_format="parquet")
    assert refresh(parquet, progress_mode="quiet").status == "success"
    assert not {"conversations", "messages", "tags"} & base_tables(s)
    return s


@pytest.mark.parametrize(
    "page", ["portfolio", "account", "topics", "conversations", "brief", "data_health"]
)
def test_app_pages_render_on_a_parquet_store(converted, monkeypatch, page):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("COCKPIT_HOME", str(converted.home))
    with store.reading(converted.db_path) as con:
        account = con.execute("SELECT min(account_id) FROM conversations").fetchall()[0][0]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["account"] = account
    at.run()
    if page != "portfolio":
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [i.value for i in at.info if "needs tables" in i.value]


def test_app_cursor_sees_the_lake_tables_and_a_new_state_without_a_restart(converted):
    from cockpit.ui import data

    before = data.cursor(converted).execute("SELECT count(*) FROM conversations").fetchall()
    step = grow_step(3, "ui")
    assert refresh(converted, steps=[Step("grow", step)]).status == "success"
    after = data.cursor(converted).execute("SELECT count(*) FROM conversations").fetchall()
    assert after[0][0] == before[0][0] + 3


def test_the_store_setting_is_validated():
    from cockpit.errors import SettingsError
    from cockpit.settings import Settings

    assert Settings.from_env({}).store_format == "parquet"
    assert Settings.from_env({"COCKPIT_STORE": "duckdb"}).store_format == "duckdb"
    with pytest.raises(SettingsError, match="COCKPIT_STORE must be one of parquet, duckdb"):
        Settings.from_env({"COCKPIT_STORE": "ducklake"})
