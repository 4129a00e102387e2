"""The demo generator: determinism, contract validity, believable structure, hidden truth."""

from __future__ import annotations

import string
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cockpit import contract, demo
from cockpit.demo import params
from cockpit.demo import phrases as ph
from cockpit.demo.slots import luhn_valid
from cockpit.demo.tables import LATE_EXPORT_PROBLEMS
from cockpit.demo.text import pattern_count
from cockpit.errors import CockpitError

ROOT = Path(__file__).resolve().parent.parent
SMALL = dict(accounts=10, months=3, conversations=5000, seed=7)
FILES = (
    "accounts",
    "conversations",
    "messages",
    "setup",
    "demo_truth",
    "demo_truth_cells",
    "demo_conversation_truth",
)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> demo.DemoFiles:
    return demo.generate(tmp_path_factory.mktemp("demo"), **SMALL)


def read(files: demo.DemoFiles, name: str) -> pd.DataFrame:
    return pq.read_table(files.directory / f"{name}.parquet").to_pandas()


def taxonomy_topics() -> dict[str, set[str]]:
    """Topic ids per scope (shared, each vertical), from the bundled taxonomy."""
    from cockpit.tagging.taxonomy import load_taxonomy

    scopes: dict[str, set[str]] = {}
    for topic in load_taxonomy().topics:
        scopes.setdefault(topic.vertical or "shared", set()).add(topic.id)
    return scopes


def test_same_seed_gives_identical_files_and_other_seed_differs(small, tmp_path):
    again = demo.generate(tmp_path / "again", **SMALL)
    for name in FILES:
        assert read(small, name).equals(read(again, name)), name
        a = (small.directory / f"{name}.parquet").read_bytes()
        assert a == (again.directory / f"{name}.parquet").read_bytes(), name
    assert small.late_export.read_bytes() == again.late_export.read_bytes()
    other = demo.generate(tmp_path / "other", **{**SMALL, "seed": 8})
    assert not read(small, "conversations").equals(read(other, "conversations"))
    assert not read(small, "accounts").equals(read(other, "accounts"))


def test_sizes_dates_and_enums_follow_the_contract(small):
    accounts, conv = read(small, "accounts"), read(small, "conversations")
    msgs, setup = read(small, "messages"), read(small, "setup")
    assert len(accounts) == SMALL["accounts"] and accounts.account_id.is_unique
    assert len(conv) == SMALL["conversations"] == small.n_conversations
    assert conv.conversation_id.is_unique
    assert small.end == date(2026, 10, 31) and small.start == date(2026, 8, 1)
    assert conv.created_at.min().date() >= small.start
    assert conv.created_at.max().date() <= small.end
    for spec, df in ((contract.ACCOUNTS, accounts), (contract.CONVERSATIONS, conv),
                     (contract.MESSAGES, msgs), (contract.SETUP, setup)):  # fmt: skip
        # Optional columns the demo has no use for (updated_at) may be absent.
        assert list(df.columns) == [n for n in spec.names if n in df.columns]
        assert set(spec.required) <= set(df.columns)
        for col in spec.columns:
            if col.required:
                assert df[col.name].notna().all(), (spec.name, col.name)
            if col.choices:
                assert set(df[col.name].dropna()) <= set(col.choices), (spec.name, col.name)
    assert set(accounts.vertical) == set(ph.VERTICALS)
    assert set(accounts.plan) <= {"starter", "growth", "enterprise"}
    assert set(accounts.region) <= {"NA", "EMEA", "APAC", "LATAM"}
    assert accounts.arr_usd.between(20_000, 2_000_000).all()
    assert 5 <= accounts.csm.nunique() <= 6 or accounts.csm.nunique() == len(accounts)
    assert conv.csat.dropna().between(1, 5).all()
    assert (conv.handle_time_minutes.dropna() >= 0).all()
    assert conv.text.str.len().min() > 5


def test_every_reference_resolves(small):
    accounts, conv = read(small, "accounts"), read(small, "conversations")
    truth = read(small, "demo_conversation_truth")
    assert set(conv.account_id) <= set(accounts.account_id)
    assert set(read(small, "messages").conversation_id) <= set(conv.conversation_id)
    assert set(read(small, "setup").account_id) <= set(accounts.account_id)
    assert sorted(truth.conversation_id) == sorted(conv.conversation_id)


def test_topics_are_the_taxonomy_ids_and_fit_the_vertical(small):
    scopes = taxonomy_topics()
    assert set(ph.SHARED_TOPICS) == scopes["shared"]
    for vertical in ph.VERTICALS:
        assert set(ph.VERTICAL_TOPICS[vertical]) == scopes[vertical]
    vertical_of = read(small, "accounts").set_index("account_id").vertical
    for name in ("demo_truth_cells", "setup"):
        df = read(small, name)
        allowed = df.account_id.map(lambda a: scopes["shared"] | scopes[vertical_of[a]])
        assert all(t in ok for t, ok in zip(df.topic_id, allowed, strict=True)), name
    conv = read(small, "conversations").merge(read(small, "demo_conversation_truth"))
    allowed = conv.account_id.map(lambda a: scopes["shared"] | scopes[vertical_of[a]])
    assert all(t in ok for t, ok in zip(conv.topic_id, allowed, strict=True))
    assert set(conv.automation_type) == set(contract.AUTOMATION_TYPES)


def test_phrase_bank_is_rich_and_every_slot_renders():
    assert pattern_count() >= 400
    for topic, by_type in ph.PHRASES.items():
        assert set(by_type) == set(contract.AUTOMATION_TYPES), topic
        assert all(len(v) >= 3 for v in by_type.values()), topic
        assert abs(sum(params.TYPE_MIX[topic]) - 1) < 1e-9, topic
    templates = [x for t in ph.PHRASES.values() for v in t.values() for x in v]
    templates += list(ph.OPENERS) + list(ph.CLOSERS)
    templates += [x for v in ph.NON_ENGLISH.values() for x in v]
    used = {f for x in templates for _, f, _, _ in string.Formatter().parse(x) if f}
    assert used <= ph.SLOTS
    assert len(ph.OPENERS) >= 10 and len(ph.CLOSERS) >= 10


def test_texts_hold_masking_relevant_content(small):
    text = read(small, "conversations").text
    assert text.str.contains(r"[\w.]+@[\w.]+\.\w+").sum() >= 20
    assert text.str.contains(r"\+\d{1,2} [\d (]").sum() >= 10
    cards = text.str.extract(r"\b(\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4})\b")[0].dropna()
    valid = cards.map(luhn_valid)
    assert valid.sum() >= 3 and (~valid).sum() >= 3
    assert text.str.contains(r"[$€£]\d").sum() >= 50
    assert text.str.contains(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}").sum() >= 20
    assert (text == text.str.lower()).sum() >= 100  # sloppy lower-case messages
    assert text.str.contains(r"[.?!]\s+\S+.*[.?!]").mean() > 0.3  # multi-sentence


def test_outcomes_are_coherent(small):
    conv = read(small, "conversations")
    known = conv.resolved_by.notna()
    assert 0.01 < (~known).mean() < 0.04
    assert 0.85 < conv.ai_involved.mean() < 0.98
    by_channel = conv.groupby("channel").ai_involved.mean()
    assert by_channel["phone"] < by_channel["chat"]
    ai = conv.resolved_by == "ai"
    assert conv.ai_involved[ai].all() and not conv.handed_over[ai].any()
    assert conv.handle_time_minutes[conv.resolved_by != "human"].isna().all()
    assert conv.handle_time_minutes[conv.resolved_by == "human"].notna().all()
    assert 0.25 < conv.csat.notna().mean() < 0.35
    failed = conv.ai_involved & known & ~ai & (conv.resolved_by == "none")
    assert conv.csat[ai].mean() > conv.csat[failed].mean() + 0.5
    assert (conv.language == "en").mean() > 0.9


def test_truth_matches_the_data_and_deployment_drives_automation(small):
    conv = read(small, "conversations").merge(read(small, "demo_conversation_truth"))
    truth = read(small, "demo_truth").set_index("account_id")
    cells = read(small, "demo_truth_cells")
    window = conv[conv.created_at.dt.date > small.end - timedelta(days=90)]
    realised = window.groupby("account_id").resolved_by.apply(lambda s: (s == "ai").mean())
    assert np.allclose(realised.sort_index(), truth.automation_rate_end.sort_index())
    share = window.groupby(["account_id", "automation_type", "topic_id"]).size()
    share = share / share.groupby(level=0).transform("sum")
    merged = cells.set_index(["account_id", "automation_type", "topic_id"]).join(
        share.rename("observed")
    )
    assert np.allclose(merged.share, merged.observed.fillna(0))
    assert np.allclose(cells.groupby("account_id").share.sum(), 1)
    assert (cells.p_live > cells.p_base).all()
    # Realised never beats "everything live" by more than noise.
    assert (truth.automation_rate_end <= truth.achievable_automation_rate + 0.06).all()
    # The more of its volume an account has live, the higher its automation.
    live = cells.live_since.notna() & (cells.live_since <= small.end)
    live_share = (cells.share * live).groupby(cells.account_id).sum()
    corr = np.corrcoef(live_share.sort_index(), truth.automation_rate_end.sort_index())[0, 1]
    assert corr > 0.6


def test_weekdays_are_busier_than_weekends(small):
    conv = read(small, "conversations")
    per_day = conv.groupby(conv.created_at.dt.normalize()).size()
    weekend = per_day.index.day_of_week >= 5
    assert per_day[~weekend].mean() > 1.2 * per_day[weekend].mean()
    volumes = conv.account_id.value_counts()
    assert volumes.max() > 2 * volumes.median()  # heavy-tailed


def test_setup_is_known_for_about_half_and_matches_truth(small):
    setup, cells = read(small, "setup"), read(small, "demo_truth_cells")
    assert set(setup.account_id) and len(set(setup.account_id)) <= SMALL["accounts"] // 2
    enabler_type = {v: k for k, v in contract.ENABLER_FOR_TYPE.items()}
    setup["automation_type"] = setup.enabler.map(enabler_type)
    m = setup.merge(cells, on=["account_id", "automation_type", "topic_id"], suffixes=("", "_t"))
    assert len(m) == len(setup)
    assert (m.live_since_t <= small.end).all()
    dated = m.live_since.notna()
    assert (m.live_since[dated] == m.live_since_t[dated]).all()


def test_multi_turn_transcripts(small):
    conv, msgs = read(small, "conversations"), read(small, "messages")
    share = msgs.conversation_id.nunique() / len(conv)
    assert 0.05 < share < 0.15
    first = msgs.sort_values("sent_at").groupby("conversation_id").first()
    joined = first.join(conv.set_index("conversation_id"))
    assert (joined.author == "customer").all() and (joined.body == joined.text).all()
    assert (joined.sent_at == joined.created_at).all()
    assert not msgs.duplicated(["conversation_id", "sent_at", "author"]).any()
    assert {"ai", "agent"} <= set(msgs.author)


def test_late_export_holds_the_documented_bad_rows(small):
    late = pd.read_csv(small.late_export, keep_default_na=False, dtype=str)
    assert list(late.columns) == contract.CONVERSATIONS.names
    assert len(late) == len(LATE_EXPORT_PROBLEMS) == 10
    assert (~late.account_id.str.startswith("acc_0")).sum() == 3
    assert (late.csat == "9").sum() == 2 and (late.text.str.strip() == "").sum() == 2


def test_volume_spikes_are_recorded(small):
    kinds = {e.split(":")[0] for e in small.events}
    assert {"outage", "monthly billing run", "double charge"} <= kinds


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(CockpitError, match="at least the number of accounts"):
        demo.generate(tmp_path, accounts=10, conversations=5)


def test_build_demo_ingests_and_loads_truth(settings):
    from types import SimpleNamespace

    from cockpit import store

    calls = []
    ok = SimpleNamespace(status="success", error=None)
    result = demo.build_demo(settings, 6, 2, 1500, 7, refresh=lambda s: calls.append(s) or ok)
    assert calls == [settings] and result["refresh"] == "ran: success"
    assert result["ingest"]["quarantined"] >= 8
    con = store.read_only(settings.db_path)
    try:
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("accounts", "conversations", "demo_truth", "demo_conversation_truth")
        }
        quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    finally:
        con.close()
    assert counts == {
        "accounts": 6,
        "conversations": 1500,
        "demo_truth": 6,
        "demo_conversation_truth": 1500,
    }
    assert quarantined >= 8


def test_cli_demo(settings, monkeypatch):
    from pipelines.cli import cli
    from pipelines.cli import demo as cli_module

    monkeypatch.setenv("COCKPIT_HOME", str(settings.home))
    monkeypatch.setenv("COCKPIT_EMBEDDER", "hashing")
    monkeypatch.setattr(cli_module, "_demo_refresh", lambda quiet: None)
    runner = CliRunner()
    args = ["demo", "--accounts", "5", "--months", "1", "--conversations", "800", "--quiet"]
    out = runner.invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert "5 accounts, 800 conversations" in out.output
    assert "quarantined" in out.output
    again = runner.invoke(cli, [*args, "--if-missing"])
    assert again.exit_code == 0 and "already exists" in again.output
    help_text = runner.invoke(cli, ["demo", "--help"]).output.split("Options:")[0]
    assert help_text.strip().endswith("Example: cockpit demo --accounts 60 --months 12 --seed 7")


def test_cli_demo_reports_a_failed_refresh(settings, monkeypatch):
    from types import SimpleNamespace

    from pipelines.cli import cli
    from pipelines.cli import demo as cli_module

    monkeypatch.setenv("COCKPIT_HOME", str(settings.home))
    failed = SimpleNamespace(status="failed", error="step tag: boom")
    monkeypatch.setattr(cli_module, "_demo_refresh", lambda quiet: lambda s: failed)
    args = ["demo", "--accounts", "3", "--months", "1", "--conversations", "300", "--quiet"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 1
    assert "Error: the demo data is ingested, but the refresh failed: step tag: boom" in out.output
