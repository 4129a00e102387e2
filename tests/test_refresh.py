"""The refresh orchestration, the inbox and the run log, with fake steps and tiny data."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from cockpit import store
from cockpit.progress import PlainProgress, QuietProgress, make_progress
from cockpit.store import runlog
from pipelines.inbox import InboxStep, file_sha256
from pipelines.refresh import Step, default_steps, refresh

HEADER = "conversation_id,account_id,created_at,text\n"


def write_conversations(path: Path, rows: list[tuple[str, str]]) -> Path:
    """A tiny conversations CSV: (id, text) pairs, all for account a1; empty text = bad row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"{cid},a1,2026-11-0{1 + i % 9}T10:00:00,{text}\n" for i, (cid, text) in enumerate(rows)
    ]
    path.write_text(HEADER + "".join(lines))
    return path


def fake_ingest(con, paths, table=None, run_id=None, progress=None):
    """A stand-in for cockpit.ingest.ingest_paths: upserts conversations, quarantines empty text."""
    from types import SimpleNamespace

    files = []
    for p in paths:
        digest = file_sha256(Path(p))
        if con.execute("SELECT 1 FROM ingested_files WHERE file_hash = ?", [digest]).fetchone():
            files.append(SimpleNamespace(path=str(p), refused=None, skipped=True, rows_read=0,
                                         loaded=0, updated=0, quarantined=0))  # fmt: skip
            continue
        if not Path(p).name.startswith("conversations"):
            files.append(SimpleNamespace(path=str(p), refused="unknown table", skipped=False,
                                         rows_read=0, loaded=0, updated=0, quarantined=0))  # fmt: skip
            continue
        rows = con.execute(
            "SELECT conversation_id, account_id, created_at, text FROM read_csv(?, all_varchar=true)",
            [str(p)],
        ).fetchall()
        good = [r for r in rows if r[3]]
        bad = [r for r in rows if not r[3]]
        known = {r[0] for r in con.execute("SELECT conversation_id FROM conversations").fetchall()}
        for cid, acc, created, text in good:
            store.upsert(
                con,
                "conversations",
                "SELECT ? AS conversation_id, ? AS account_id, ?::TIMESTAMP AS created_at, "
                "? AS text",
                [cid, acc, created, text],
            )
        for cid, *_ in bad:
            con.execute(
                "INSERT INTO quarantine (file, table_name, row_number, column_name, reason, raw, "
                "run_id, quarantined_at) VALUES (?, 'conversations', 0, 'text', 'empty', ?, ?, now())",
                [str(p), cid, run_id],
            )
        con.execute(
            "INSERT INTO ingested_files VALUES (?, ?, 'conversations', ?, ?, 0, 0, ?, now(), ?)",
            [digest, str(p), len(rows), len(good), len(bad), run_id],
        )
        new = sum(r[0] not in known for r in good)
        files.append(SimpleNamespace(path=str(p), refused=None, skipped=False, rows_read=len(rows),
                                     loaded=new, updated=len(good) - new, quarantined=len(bad)))  # fmt: skip
    return SimpleNamespace(files=files)


def fake_embed(ctx):
    """Embeds (records) only conversations it has not seen: counts what it processed."""
    ctx.con.execute(
        "CREATE TABLE IF NOT EXISTS fake_vectors (conversation_id VARCHAR, run_id VARCHAR)"
    )
    where = (
        ""
        if ctx.full
        else "WHERE conversation_id NOT IN (SELECT conversation_id FROM fake_vectors)"
    )
    if ctx.full:
        ctx.con.execute("DELETE FROM fake_vectors")
    todo = ctx.con.execute(f"SELECT conversation_id FROM conversations {where}").fetchall()
    ctx.progress.start("embed", len(todo))
    for (cid,) in todo:
        ctx.con.execute("INSERT INTO fake_vectors VALUES (?, ?)", [cid, ctx.run_id])
        ctx.progress.advance(1)
    ctx.progress.done()
    return {"embedded": len(todo)}


def steps_for(settings, *extra: Step, inbox: Path | None = None, keep_days: int = 30):
    box = InboxStep(inbox or settings.inbox, ingest=fake_ingest, keep_days=keep_days)
    return [Step("inbox", box.run, box.archive), Step("embed", fake_embed), *extra]


def published(settings, sql: str, params=None):
    con = store.read_only(settings.db_path)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_new_files_are_loaded_and_only_new_texts_processed(settings):
    write_conversations(settings.inbox / "conversations_1.csv", [("c1", "hi"), ("c2", "yo")])
    first = refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    assert (first.status, first.exit_code) == ("success", 0)
    assert first.counts["inbox"]["files_picked_up"] == 1
    assert first.counts["inbox"]["rows_loaded"] == 2
    assert first.counts["embed"] == {"embedded": 2}

    write_conversations(settings.inbox / "conversations_2.csv", [("c3", "new"), ("c2", "yo")])
    second = refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    assert second.counts["inbox"]["rows_loaded"] == 1
    assert second.counts["embed"] == {"embedded": 1}

    third = refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    assert third.counts["inbox"]["files_picked_up"] == 0
    assert third.counts["embed"] == {"embedded": 0}
    assert published(settings, "SELECT count(*) FROM fake_vectors") == [(3,)]


def test_full_rebuild_reaches_the_steps(settings):
    write_conversations(settings.inbox / "conversations_1.csv", [("c1", "hi"), ("c2", "yo")])
    refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    full = refresh(settings, full=True, steps=steps_for(settings), progress_mode="quiet")
    assert full.counts["embed"] == {"embedded": 2}
    runs = published(settings, "SELECT command FROM runs ORDER BY started_at")
    assert runs == [("refresh",), ("refresh --full",)]


def test_redelivered_file_is_skipped_even_renamed_and_files_are_archived(settings):
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    original = write_conversations(settings.inbox / "conversations_a.csv", [("c1", "hi")])
    content = original.read_bytes()
    refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    assert not original.exists()
    assert (settings.inbox / "processed" / today / "conversations_a.csv").read_bytes() == content

    (settings.inbox / "conversations_again.csv").write_bytes(content)
    again = refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    assert again.counts["inbox"]["files_skipped"] == 1
    assert again.counts["inbox"]["files_picked_up"] == 0
    assert again.counts["embed"] == {"embedded": 0}
    assert (settings.inbox / "processed" / today / "conversations_again.csv").exists()
    assert published(settings, "SELECT count(*) FROM ingested_files") == [(1,)]


def test_unfinished_and_hidden_files_are_left_alone(settings):
    write_conversations(settings.inbox / "conversations_1.csv.part", [("c1", "hi")])
    write_conversations(settings.inbox / ".conversations_2.csv", [("c2", "hi")])
    result = refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    assert result.counts["inbox"]["files_picked_up"] == 0
    assert (settings.inbox / "conversations_1.csv.part").exists()


def test_inbox_option_overrides_the_folder(settings, tmp_path):
    other = tmp_path / "drop"
    write_conversations(other / "conversations_1.csv", [("c1", "hi")])
    result = refresh(settings, steps=steps_for(settings, inbox=other), progress_mode="quiet")
    assert result.counts["inbox"]["rows_loaded"] == 1


def test_quarantined_rows_make_the_run_partial_exit_2(settings):
    write_conversations(settings.inbox / "conversations_1.csv", [("c1", "hi"), ("c2", "")])
    result = refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    assert (result.status, result.exit_code) == ("partial", 2)
    assert result.counts["inbox"]["rows_quarantined"] == 1
    assert published(settings, "SELECT status, exit_code FROM runs") == [("partial", 2)]
    assert published(settings, "SELECT count(*) FROM conversations") == [(1,)]


def test_refused_file_is_partial_and_moved_to_refused(settings):
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    (settings.inbox).mkdir(parents=True)
    (settings.inbox / "mystery.csv").write_text("a,b\n1,2\n")
    result = refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    assert (result.status, result.exit_code) == ("partial", 2)
    assert (settings.inbox / "refused" / today / "mystery.csv").exists()


def test_a_failing_step_publishes_nothing_but_is_logged_exit_1(settings):
    write_conversations(settings.inbox / "conversations_1.csv", [("c1", "hi")])
    refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    before = published(settings, "SELECT conversation_id FROM conversations ORDER BY 1")

    def broken(ctx):
        store.delete_where(ctx.con, "conversations", "true")
        raise ValueError("model file missing")

    write_conversations(settings.inbox / "conversations_2.csv", [("c9", "new")])
    result = refresh(
        settings, steps=steps_for(settings, Step("tag", broken)), progress_mode="quiet"
    )
    assert (result.status, result.exit_code) == ("failed", 1)
    assert result.error == "step tag: ValueError: model file missing"
    assert published(settings, "SELECT conversation_id FROM conversations ORDER BY 1") == before
    assert (settings.inbox / "conversations_2.csv").exists()  # not archived: retried next time
    assert not settings.db_path.with_name("cockpit.duckdb.next").exists()

    runs = runlog.list_runs(store.read_only(settings.db_path))
    assert [(r["status"], r["exit_code"]) for r in runs] == [("failed", 1), ("success", 0)]
    assert runs[0]["error"] == "step tag: ValueError: model file missing"
    assert [(s["step"], s["status"]) for s in runs[0]["steps"]] == [
        ("inbox", "success"),
        ("embed", "success"),
        ("tag", "failed"),
    ]
    assert runs[0]["steps"][0]["counts"]["files_picked_up"] == 1

    retry = refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    assert retry.counts["inbox"]["rows_loaded"] == 1


def test_a_missing_step_module_is_an_error_not_a_silent_skip():
    from pipelines.refresh import _module_step

    with pytest.raises(ImportError, match="pipelines.no_such_step is missing"):
        _module_step("no_such_step")


def test_default_steps_are_in_the_documented_order(settings):
    assert [s.name for s in default_steps(settings.inbox)] == [
        "inbox",
        "embed",
        "tag",
        "discover",
        "score",
        "backtest",
    ]


def test_real_ingest_loads_accounts_before_conversations(settings):
    settings.inbox.mkdir(parents=True)
    write_conversations(settings.inbox / "conversations_1.csv", [("c1", "hi there")])
    (settings.inbox / "accounts_1.csv").write_text("account_id,name\na1,Acme\n")
    result = refresh(settings, steps=[default_steps(settings.inbox)[0]], progress_mode="quiet")
    assert result.status == "success", result.error
    assert result.counts["inbox"]["files_picked_up"] == 2
    assert published(settings, "SELECT count(*) FROM conversations") == [(1,)]


def test_cli_refresh_and_runs(settings, monkeypatch):
    from pipelines.cli import cli

    monkeypatch.setenv("COCKPIT_HOME", str(settings.home))
    monkeypatch.setenv("COCKPIT_EMBEDDER", "hashing")
    monkeypatch.setattr(
        "pipelines.refresh.default_steps", lambda inbox, keep_days=0: steps_for(settings)
    )
    runner = CliRunner()
    first = runner.invoke(cli, ["refresh", "--quiet"])
    assert first.exit_code == 0, first.output
    shown = runner.invoke(cli, ["runs", "--json", "--limit", "1"])
    assert shown.exit_code == 0, shown.output
    (run,) = json.loads(shown.output)
    assert run["status"] == "success" and run["exit_code"] == 0
    assert [s["step"] for s in run["steps"]] == ["inbox", "embed"]
    table = runner.invoke(cli, ["runs"])
    assert run["run_id"] in table.output and "embedded=0" in table.output


def test_runs_without_data_says_what_to_do(settings, monkeypatch):
    from pipelines.cli import cli

    monkeypatch.setenv("COCKPIT_HOME", str(settings.home))
    result = CliRunner().invoke(cli, ["runs"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: No data yet")


def test_progress_modes():
    assert isinstance(make_progress("quiet"), QuietProgress)
    assert type(make_progress("auto", stream=io.StringIO())) is PlainProgress
    out = io.StringIO()
    plain = PlainProgress(out, interval_s=0)
    plain.start("embed", 4)
    plain.advance(2)
    plain.done()
    plain.step_finished("embed", 1.5, "success", {"embedded": 4})
    text = out.getvalue()
    assert "embed: started (4 to do)" in text and "embed: 2/4 (50%)" in text
    assert "step embed: success in 1.5 s embedded=4" in text
    rich = make_progress("rich", stream=io.StringIO())
    rich.start("embed", 3)
    rich.advance(3)
    rich.done()
    rich.close()
    with pytest.raises(ValueError):
        make_progress("loud")


def test_raw_inbox_files_are_deleted_after_a_published_run_by_default(settings):
    original = write_conversations(settings.inbox / "conversations_a.csv", [("c1", "hi")])
    old = settings.inbox / "processed" / "2020-01-01"
    old.mkdir(parents=True)
    (old / "conversations_old.csv").write_text("x")
    result = refresh(
        settings, steps=steps_for(settings, keep_days=0), progress_mode="quiet", init=True
    )
    assert result.status == "success"
    assert not original.exists()
    assert not (settings.inbox / "processed").exists() or not any(
        (settings.inbox / "processed").iterdir()
    )
    assert published(settings, "SELECT count(*) FROM ingested_files") == [(1,)]


def test_kept_files_are_deleted_after_their_days(settings):
    old = settings.inbox / "processed" / "2020-01-01"
    old.mkdir(parents=True)
    (old / "conversations_old.csv").write_text("x")
    write_conversations(settings.inbox / "conversations_a.csv", [("c1", "hi")])
    refresh(settings, steps=steps_for(settings, keep_days=7), progress_mode="quiet", init=True)
    assert not old.exists()
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert (settings.inbox / "processed" / today / "conversations_a.csv").exists()


def test_refresh_refuses_to_publish_an_empty_store_when_the_store_vanished(settings):
    write_conversations(settings.inbox / "conversations_a.csv", [("c1", "hi")])
    refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    settings.db_path.unlink()
    from cockpit.errors import StoreMissingError

    with pytest.raises(StoreMissingError) as exc:
        refresh(settings, steps=steps_for(settings), progress_mode="quiet")
    assert str(exc.value).startswith(f"{settings.db_path} is missing, but ")
    assert "cockpit refresh --init" in str(exc.value)
    assert not settings.db_path.exists()
    again = refresh(settings, steps=steps_for(settings), progress_mode="quiet", init=True)
    assert again.status == "success" and settings.db_path.exists()
