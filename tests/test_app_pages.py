"""AppTests: every page renders on the fixture store and on an empty store, and does its job."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cockpit import queries, store
from cockpit.scoring import priority as priority_module
from cockpit.settings import Settings
from tests.app_fixture import TINY, build_app_store, query

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = ["portfolio", "account", "topics", "conversations", "brief", "data_health"]
NO_DATA = "No data yet — run `cockpit demo` or `cockpit ingest` first, then reload this page."


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    # The 6-account fixture's ARR is small: at the default MIN_SCORE it flags nobody (the rule
    # working, see test_look_first_is_rare_and_shows_the_parts_that_fired); the pages' flag
    # display is tested with the threshold off, the cap still on.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(priority_module, "MIN_SCORE", 0.0)
        return build_app_store(Settings(home=tmp_path_factory.mktemp("app") / "home"))


@pytest.fixture
def home(built, monkeypatch) -> Path:
    monkeypatch.setenv("COCKPIT_HOME", str(built.home))
    return built.home


@pytest.fixture(scope="module")
def first(built) -> tuple[str, str]:
    """(id, name) of the first account."""
    return query(built, "SELECT account_id, name FROM accounts ORDER BY account_id LIMIT 1")[0]


def open_page(page: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page != "portfolio":
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_every_page_has_an_apptest():
    files = {p.stem for p in (ROOT / "app_pages").glob("*.py")}
    assert files == set(PAGES), f"pages without an AppTest here: {sorted(files - set(PAGES))}"


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_fixture_store(home, first, page):
    at = open_page(page, account=first[0])
    headings = [t.value for t in at.title] + [
        m.value for m in at.markdown if m.value.startswith("# ")
    ]
    assert headings, "every page shows a heading"


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_guidance_on_an_empty_store(tmp_path, monkeypatch, page):
    monkeypatch.setenv("COCKPIT_HOME", str(tmp_path / "empty"))
    at = open_page(page)
    assert [i.value for i in at.info] == [NO_DATA]


def test_page_shows_guidance_when_derived_tables_are_missing(tmp_path, monkeypatch):
    home = tmp_path / "raw"
    build_app_store(Settings(home=home), derived=False, size=TINY)
    monkeypatch.setenv("COCKPIT_HOME", str(home))
    at = open_page("portfolio")
    assert "cockpit refresh" in at.info[0].value


def test_portfolio_csm_filter_narrows_rows(home, built):
    at = open_page("portfolio")
    assert len(at.dataframe[0].value) == query(built, "SELECT count(*) FROM accounts")[0][0]
    csm = query(built, "SELECT csm FROM accounts ORDER BY account_id LIMIT 1")[0][0]
    names = {n for (n,) in query(built, "SELECT name FROM accounts WHERE csm = ?", [csm])}
    at = open_page("portfolio", csm=csm)
    assert set(at.dataframe[0].value["name"]) == names


def test_portfolio_flags_come_from_the_pipeline_not_the_filter(home, built):
    flagged = dict(
        query(
            built,
            "SELECT a.name, array_to_string(p.reasons, '; ') FROM priority p "
            "JOIN accounts a USING (account_id) WHERE p.look_first",
        )
    )
    assert flagged, "the small demo flags at least one account"
    at = open_page("portfolio")
    table = at.dataframe[0].value.set_index("name")
    shown = {n: f[2:] for n, f in table["flag"].items() if f}
    assert shown == flagged
    assert metric(at, "Look first") == str(len(flagged))
    name = next(iter(flagged))
    at.text_input(key="pf_q").set_value(name).run()  # searching does not change the flag
    assert at.dataframe[0].value.set_index("name").at[name, "flag"][2:] == flagged[name]


def _priority_inputs(built):
    with store.reading(built.db_path) as con:
        book = con.execute("SELECT account_id, csm, arr_usd, renewal_date FROM accounts").df()
        acc = con.execute("SELECT * FROM account_metrics").df()
        pot = con.execute("SELECT account_id, gap_pts FROM potential").df()
        as_of = store.get_meta(con, "as_of")
    return book, acc, pot, dt.date.fromisoformat(as_of)


_PART_PREFIX = {
    "renewal_part": "renewal in ",
    "csat_part": "AI CSAT ",
    "falling_part": "automation falling ",
    "gain_part": "expected gain ",
}


def _reasons_match_parts(row) -> bool:
    """The reasons shown are exactly the parts with a weight > 0, in the parts' order."""
    fired = [part for part in _PART_PREFIX if row[part] > 0]
    named = [p for r in row["reasons"] for p, pre in _PART_PREFIX.items() if r.startswith(pre)]
    return named == fired and len(named) == len(row["reasons"])


def test_look_first_is_rare_and_shows_the_parts_that_fired(built):
    """At the default rule (score threshold + per-book cap), on the demo-built fixture: each
    book flags at most the cap, every flag reaches MIN_SCORE, and its reasons are exactly the
    parts that fired. A book of ten ordinary accounts (one part at full weight on $100k ARR)
    flags nobody."""
    look = priority_module.priority(*_priority_inputs(built))
    flagged = look[look["look_first"]]
    assert (flagged.groupby("csm").size() <= priority_module.MAX_FLAGGED_PER_BOOK).all()
    assert (flagged["score"] >= priority_module.MIN_SCORE).all()
    assert (look.loc[look["score"] < priority_module.MIN_SCORE, "look_first"] == False).all()  # noqa: E712
    assert look.apply(_reasons_match_parts, axis=1).all()

    ten = pd.DataFrame(
        {"account_id": [f"a{i}" for i in range(10)], "csm": "ana", "arr_usd": 100_000.0,
         "renewal_date": pd.NaT}
    )  # fmt: skip
    metrics_ = pd.DataFrame({"account_id": ten["account_id"]})
    gaps = pd.DataFrame({"account_id": ten["account_id"], "gap_pts": 30.0})  # full gain part
    quiet = priority_module.priority(ten, metrics_, gaps, dt.date(2026, 11, 1))
    assert quiet["reasons"].map(len).eq(1).all() and not quiet["look_first"].any()
    big = gaps.assign(gap_pts=[30.0] * 2 + [5.0] * 8)
    arr = ten.assign(arr_usd=[300_000.0, 200_000.0] + [100_000.0] * 8)
    two = priority_module.priority(arr, metrics_, big, dt.date(2026, 11, 1))
    assert sorted(two.loc[two["look_first"], "account_id"]) == ["a0", "a1"]


def test_portfolio_gap_is_potential_minus_the_rate_shown(home):
    at = open_page("portfolio")
    t = at.dataframe[0].value.dropna(subset=["gap_pts", "potential_pct", "automation_pct"])
    assert len(t)
    diff = (t["potential_pct"] - t["automation_pct"] - t["gap_pts"]).abs()
    assert diff.max() < 0.05, t[["name", "automation_pct", "potential_pct", "gap_pts"]]


def test_portfolio_search_narrows_rows(home, built):
    vertical = query(built, "SELECT vertical FROM accounts ORDER BY account_id LIMIT 1")[0][0]
    names = {n for (n,) in query(built, "SELECT name FROM accounts WHERE vertical = ?", [vertical])}
    at = open_page("portfolio")
    at.text_input(key="pf_q").set_value(vertical).run()
    assert set(at.dataframe[0].value["name"]) == names
    assert at.query_params["pf_q"] in (vertical, [vertical])  # the search is in the URL


def test_a_shared_search_link_opens_filtered(home, first):
    at = open_page("portfolio", pf_q=first[1])
    assert list(at.dataframe[0].value["name"]) == [first[1]]


def test_picking_an_account_changes_the_kpis(home, built):
    # AppTest drops the entrypoint's sidebar widgets from its tree after switch_page, so the
    # account is picked through the URL (?account=...), which the sidebar reads.
    def kpis(account_id: str) -> tuple[str, str]:
        at = open_page("account", account=account_id)
        return at.title[0].value, metric(at, "Automation · 28 d")

    (a, an), (b, bn) = query(built, "SELECT account_id, name FROM accounts ORDER BY 1 LIMIT 2")
    first, second = kpis(a), kpis(b)
    assert first[0] == an and second[0] == bn
    assert first[1] != second[1]


def test_sidebar_account_picker_lists_the_csm_book_disambiguated(home, built):
    from cockpit.brief import vertical_label

    csm = query(built, "SELECT csm FROM accounts ORDER BY account_id LIMIT 1")[0][0]
    rows = query(
        built, "SELECT account_id, name, vertical FROM accounts WHERE csm = ? ORDER BY name", [csm]
    )
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["csm"] = csm
    at.run()
    labels = [f"{n} · {i} · {vertical_label(v)}" for i, n, v in rows]
    assert at.selectbox(key="account").options[1:] == labels


def test_a_bad_account_id_in_the_url_says_so(home):
    at = open_page("portfolio", account="no_such_account")
    assert any("no_such_account" in w.value.replace("\\", "") for w in at.warning), [
        w.value for w in at.warning
    ]


def test_account_page_asks_for_an_account_when_none_is_picked(home):
    at = open_page("account")
    assert "Pick an account" in at.info[0].value


def test_account_page_charts_use_the_type_colours(home, first):
    at = open_page("account", account=first[0])
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert any("#F58518" in s and "personalized" in s for s in specs)


def test_topics_vertical_filter(home, built):
    at = open_page("topics")
    all_rows = at.dataframe[0].value["conversations"].sum()
    vertical = query(built, "SELECT vertical FROM accounts ORDER BY account_id LIMIT 1")[0][0]
    at.selectbox(key="tp_vertical").select(vertical).run()
    assert 0 < at.dataframe[0].value["conversations"].sum() < all_rows


def test_topics_window_ends_on_the_last_day_with_data(home, built):
    """The caption's range never runs past the data: it ends on the last conversation's day and
    says when that cuts the last week short."""
    from datetime import timedelta

    from cockpit.formats import day_range

    with store.reading(built.db_path) as con:
        start, end, partial = queries.topic_window(con)
    newest = query(built, "SELECT max(created_at)::DATE FROM conversations")[0][0]
    last_week = query(built, "SELECT max(week)::DATE FROM topic_weekly")[0][0]
    assert end == min(newest, last_week + timedelta(days=6))
    assert start == last_week - timedelta(weeks=3)
    assert partial == (end < last_week + timedelta(days=6))
    caption = next(c.value for c in open_page("topics").caption if "Tables cover" in c.value)
    assert day_range(start, end) in caption
    assert ("the last week is partial" in caption) == partial


def test_portfolio_arr_is_whole_dollars(home):
    import json

    at = open_page("portfolio")
    table = at.dataframe[0]
    config = json.loads(table.proto.columns)
    assert config["arr_usd"]["type_config"]["format"] == "$%,d", config["arr_usd"]
    assert pd.api.types.is_integer_dtype(table.value["arr_usd"]), table.value["arr_usd"].dtype


def test_topics_follow_the_csm_book(home, built):
    at = open_page("topics")
    everyone = at.dataframe[0].value["conversations"].sum()
    csm, account = query(built, "SELECT csm, account_id FROM accounts ORDER BY 2 LIMIT 1")[0]
    at = open_page("topics", csm=csm)
    mine = at.dataframe[0].value["conversations"].sum()
    start, end = query(built, "SELECT max(week)::DATE - 21, max(week)::DATE + 6 FROM topic_weekly")[
        0
    ]
    expected = query(
        built,
        "SELECT count(*) FROM conversations c JOIN accounts a USING (account_id) "
        "WHERE a.csm = ? AND created_at::DATE BETWEEN ? AND ?",
        [csm, start, end],
    )[0][0]
    assert 0 < mine == expected < everyone


def _count(at: AppTest) -> int:
    return int(
        next(m.value for m in at.markdown if "conversations** match" in m.value)
        .split("**")[1]
        .split()[0]
        .replace(",", "")
    )


def test_conversation_filters_narrow_the_list(home, built):
    total = query(built, "SELECT count(*) FROM conversations JOIN tags USING (conversation_id)")
    at = open_page("conversations")
    assert _count(at) == total[0][0]
    assert len(at.dataframe[0].value) == 50  # one page
    at.selectbox(key="conv_type").select("action").run()
    n_type = _count(at)
    assert 0 < n_type < total[0][0]
    word = "order"
    at.text_input(key="conv_q").set_value(word).run()
    assert 0 < _count(at) <= n_type
    assert all(word in t.lower() for t in at.dataframe[0].value["text"])


def test_conversations_follow_the_sidebar_account(home, built, first):
    n = query(built, "SELECT count(*) FROM conversations WHERE account_id = ?", [first[0]])[0][0]
    at = open_page("conversations", account=first[0])
    assert _count(at) == n
    assert f"Showing {first[1]}" in at.caption[0].value
    assert "account" not in at.dataframe[0].value.columns  # one account: no per-row name


def test_a_click_through_lists_exactly_the_issue_count(home, built, first):
    """The top issue's conversation count equals what its drill-down lists (window in the URL)."""
    from cockpit.ui.navigation import conversations_state

    typ, topic, n = query(
        built,
        "SELECT automation_type, topic_id, conversations FROM top_issues "
        "WHERE account_id = ? ORDER BY rank LIMIT 1",
        [first[0]],
    )[0]
    as_of, days = query(
        built, "SELECT as_of, window_days FROM account_metrics WHERE account_id = ?", [first[0]]
    )[0]
    from datetime import timedelta

    state = conversations_state(first[0], typ, topic, as_of - timedelta(days=days - 1), as_of)
    at = open_page(
        "conversations",
        account=first[0],
        conv_type=typ,
        conv_topic=topic,
        conv_from=state["conv_from"],
        conv_to=state["conv_to"],
    )
    assert _count(at) == n


def test_a_conversation_opens_with_its_whole_transcript(home, built, first):
    cid, n_msgs = query(
        built,
        "SELECT conversation_id, count(*) FROM messages m JOIN conversations c "
        "USING (conversation_id) WHERE c.account_id = ? GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
        [first[0]],
    )[0]
    at = open_page("conversations", account=first[0], conv_id=cid)
    assert f"Conversation {cid}" in [h.value.replace("\\", "") for h in at.subheader]
    assert len(at.get("chat_message")) == n_msgs
    assert any("Counted in:" in m.value for m in at.markdown)
    assert {m.label for m in at.metric} >= {"Outcome", "Handle time", "CSAT"}


def test_a_correction_starts_at_the_current_tags_is_pending_and_can_be_undone(
    home, built, first, monkeypatch, tmp_path
):
    from cockpit.tagging.corrections import load_corrections

    cid, typ, topic = query(
        built,
        "SELECT conversation_id, automation_type, topic_id FROM tags JOIN conversations "
        "USING (conversation_id) WHERE account_id = ? ORDER BY 1 LIMIT 1",
        [first[0]],
    )[0]
    at = open_page("conversations", account=first[0], conv_id=cid)
    assert at.selectbox(key="fix_type").value == typ
    assert at.selectbox(key="fix_topic").value == topic
    vertical = query(built, "SELECT vertical FROM accounts WHERE account_id = ?", [first[0]])[0][0]
    from cockpit.tagging.taxonomy import load_taxonomy

    valid = {t.id for t in load_taxonomy().topics_for(vertical, first[0])} | {"other"}
    assert set(at.selectbox(key="fix_topic").options) <= {
        t.name for t in load_taxonomy().topics if t.id in valid
    } | {"Other / unsure"}
    new_type = "action" if typ != "action" else "informational"
    at.selectbox(key="fix_type").select(new_type)
    at.button(key="fix_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    stored = load_corrections(home / "corrections.sqlite")
    assert (stored["conversation_id"] == cid).any()
    # After a reload (a new session), the correction is listed as pending and shown on its row.
    again = open_page("conversations", account=first[0], conv_id=cid)
    assert cid in list(again.dataframe[-1].value["conversation_id"])  # the pending list
    assert again.selectbox(key="fix_type").value == new_type  # picker starts at the pending tag
    again.selectbox(key="fix_undo_id").select(cid)
    again.button(key="fix_undo").click().run()
    assert not (load_corrections(home / "corrections.sqlite")["conversation_id"] == cid).any()


def test_brief_contains_the_account_name(home, first):
    at = open_page("brief", account=first[0])
    text = "\n".join(m.value for m in at.markdown)
    assert f"# Pre-call brief — {first[1]}" in text
    assert {b.label for b in at.get("download_button")} >= {
        "Download Markdown",
        "Download HTML (print to PDF)",
    }


def test_data_health_shows_the_quarantine_count(home, built):
    at = open_page("data_health")
    assert metric(at, "Quarantined rows") == str(
        query(built, "SELECT count(*) FROM quarantine")[0][0]
    )
    version = query(built, "SELECT value FROM meta WHERE key = 'taxonomy_version'")[0][0]
    assert version.startswith(metric(at, "Taxonomy"))  # the page shows the release, not the hash
    # A 3-month demo realises no account at the backtest's cutoff: the track record says the
    # evidence is thin instead of a bare MAE (and the chart does not crash on it).
    from cockpit import queries, store

    with store.reading(built.db_path) as con:
        record = queries.backtest_track_record(queries.backtest_latest(con)[0])
    if record.thin:
        assert any("Evidence is thin" in i.value for i in at.info)
        assert not any(m.label == "MAE (achieved)" for m in at.metric)
    else:
        assert metric(at, "MAE (achieved)").endswith(" pts")


def test_data_health_shows_what_waits_in_quarantine(home, built):
    at = open_page("data_health")
    waiting = next(d.value for d in at.dataframe if "missing_id" in d.value.columns)
    expected = query(
        built,
        "SELECT table_name, json_extract_string(raw, '$.account_id'), "
        "count(DISTINCT (file, row_number)) FROM quarantine WHERE waiting_for = 'accounts' "
        "GROUP BY ALL ORDER BY 3 DESC, 2",
    )
    assert expected, "the demo's ingest must leave rows waiting for a missing account"
    assert waiting[["table_name", "missing_id", "rows"]].values.tolist() == [
        list(r) for r in expected
    ]


def test_pages_hold_no_sql_and_bind_no_query_params():
    for path in [ROOT / "app.py", *(ROOT / "app_pages").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "select " not in text.lower(), path
        # A widget bound to the URL makes every page switch from its page raise "Cannot clear
        # query parameters": pages seed and write the URL with ui.url_value/url_write instead.
        assert 'bind="query-params"' not in text, path


def test_brief_is_call_ready(built, first):
    """Plurals, no zero-value sentence, talking points, risks, the ask, money; quotes render."""
    from cockpit import brief, queries, store

    with store.reading(built.db_path) as con:
        report = queries.brief_report(con, first[0])
    text = brief.to_markdown(report, cost_per_conversation=6)
    for heading in ("## Talking points", "## Risks", "## The ask"):
        assert heading in text
    assert " 1 conversations" not in text and "≈ 0 more" not in text
    assert not any(f"{n}th" in text for n in (1, 2, 3, 21, 71))
    page = brief.to_html(report, cost_per_conversation=6)
    assert "&gt; “" not in page  # a quote is a blockquote, not a literal ">"
    if "“" in text:
        assert "<blockquote>" in page


EVIL = "**bold** [click](javascript:alert(1)) ![x](http://host/p.png) # H"
# What a Markdown renderer would turn into bold, a link, an image (unescaped forms).
EVIL_MARKS = ["**bold**", "[click](", "![x]("]


@pytest.fixture(scope="module")
def evil(tmp_path_factory) -> tuple[Settings, str, str]:
    """A tiny workspace whose first account's name and one conversation's texts are Markdown."""
    settings = build_app_store(Settings(home=tmp_path_factory.mktemp("evil") / "home"), size=TINY)
    account, conv = query(
        settings,
        "SELECT account_id, min(conversation_id) FROM conversations GROUP BY 1 ORDER BY 1 LIMIT 1",
    )[0]
    with store.writing(settings, "test") as con:
        con.execute("UPDATE accounts SET name = ? WHERE account_id = ?", [f"Acme {EVIL}", account])
        for table, column in (("conversations", "text"), ("messages", "body")):
            store.upsert(
                con,
                table,
                f"SELECT * REPLACE (? AS {column}) FROM {table} WHERE conversation_id = ?",
                [EVIL, conv],
            )
    return settings, account, conv


def _markdown_values(at: AppTest) -> list[str]:
    out = [e.value for e in at.markdown] + [e.value for e in at.caption]
    out += (
        [e.value for e in at.title] + [e.value for e in at.subheader] + [e.value for e in at.header]
    )
    out += (
        [e.value for e in at.info] + [e.value for e in at.warning] + [e.value for e in at.success]
    )
    return [str(v) for v in out]


@pytest.mark.parametrize("page", PAGES)
def test_data_is_rendered_as_text_never_as_markdown(evil, monkeypatch, page):
    settings, account, conv = evil
    monkeypatch.setenv("COCKPIT_HOME", str(settings.home))
    extra = {"conv_id": conv} if page == "conversations" else {}
    at = open_page(page, account=account, **extra)
    values = _markdown_values(at)
    bad = [v for v in values if any(mark in v for mark in EVIL_MARKS)]
    bad += [v for v in values if any(line.lstrip().startswith("# H") for line in v.splitlines())]
    assert not bad, bad
    if page in ("account", "conversations", "brief"):  # the name is shown, escaped
        assert any("Acme" in v for v in values), values
    if page == "conversations":  # the planted text is shown (as text), not dropped
        assert any(EVIL in t.value for t in at.text), [t.value for t in at.text]


# What a blank cell of st.dataframe reads as, or a value's text when it was never formatted.
NULL_TEXTS = {"None", "none", "nan", "NaN", "<NA>", "NaT", "null"}


def _null_cells(frame: pd.DataFrame) -> list[tuple[str, int, object]]:
    """(column, row, value) of every cell that would read None / nan in the grid.

    A missing value (None, NaN, NaT, pd.NA) renders as "None" in st.dataframe; a text cell can
    carry the word itself. List cells (sparklines) only count when a point is missing text.
    """
    bad = []
    for col in frame.columns:
        for i, v in enumerate(frame[col].tolist()):
            if isinstance(v, (list, tuple)) or hasattr(v, "tolist"):
                continue  # a sparkline: an empty or short line, never a word
            if (
                v is None
                or (not isinstance(v, str) and pd.isna(v))
                or isinstance(v, str)
                and (v.strip() in NULL_TEXTS or "None" in v.split())
            ):
                bad.append((col, i, v))
    return bad


def test_portfolio_and_account_tables_never_show_none_or_nan(home, built):
    """On the demo fixture: no cell of a Portfolio or Account table reads None / nan (Peers
    included), for every account."""
    at = open_page("portfolio")
    frames = [d.value for d in at.dataframe]
    assert frames, "the Portfolio shows no table"
    for frame in frames:
        assert not _null_cells(frame), ("portfolio", _null_cells(frame)[:5])
    for (account_id,) in query(built, "SELECT account_id FROM accounts ORDER BY 1"):
        at = open_page("account", account=account_id)
        frames = [d.value for d in at.dataframe]
        assert any("benchmark_pct" in f.columns for f in frames), account_id  # the Peers column
        for frame in frames:
            assert not _null_cells(frame), (account_id, _null_cells(frame)[:5])
