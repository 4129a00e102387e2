"""The pre-call brief: Markdown and HTML from the report dict, and the `cockpit brief` command."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from cockpit import brief, queries, store
from cockpit import formats as f
from pipelines.cli import cli
from tests.app_fixture import build_app_store, query


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from cockpit.settings import Settings

    return build_app_store(Settings(home=tmp_path_factory.mktemp("brief") / "home"))


@pytest.fixture(scope="module")
def first(built) -> tuple[str, str]:
    return query(built, "SELECT account_id, name FROM accounts ORDER BY account_id LIMIT 1")[0]


@pytest.fixture(scope="module")
def report(built, first):
    con = store.read_only(built.db_path)
    try:
        return queries.brief_report(con, first[0])
    finally:
        con.close()


def test_markdown_has_every_section(report, first):
    text = brief.to_markdown(report)
    assert text.startswith(f"# Pre-call brief — {first[1]}")
    for heading in (
        "Headline numbers",
        "Potential",
        "Top issues",
        "Next best actions",
        "What changed recently",
    ):
        assert f"## {heading}" in text
    a = report["account"]
    low, high = f.pct(a["potential_low"]), f.pct(a["potential_high"])
    assert f"(likely range {low}–{high})" in text  # the potential's range
    # today's rate is the potential's own (same 90-day window), so the gap adds up
    assert f"against {f.pct(a['potential_rate_today'])} over the last 90 days" in text
    assert a["gap_pts"] == pytest.approx(
        100 * (a["potential"] - a["potential_rate_today"]), abs=0.01
    )
    assert f"Track record: {report['track_record']}" in text
    if "thin" in report["track_record"].lower():  # a 3-month demo realises no account yet
        assert "Track record: Evidence is thin" in text
    assert "“" in text  # an example per issue, quoted
    assert "\n1. " in text and "\n3. " in text  # numbered issues, actions and talking points
    if any(i.get("spike") for i in report["issues"]):
        assert "volume spike" in text


def test_examples_from_the_data_are_markdown_escaped(report):
    """An example with Markdown marks shows them as text (no link, emphasis or heading)."""
    evil = {**report, "issues": [{**report["issues"][0], "example": "where is [ORDER_ID] *now*"}]}
    text = brief.to_markdown(evil)
    assert "“where is \\[ORDER\\_ID\\] \\*now\\*" in text


def test_html_is_standalone_and_escapes_text(report):
    evil = {**report, "account": {**report["account"], "name": "<script>x</script>"}}
    page = brief.to_html(evil)
    assert page.startswith("<!doctype html>") and "@media print" in page
    assert "<script>x" not in page and "&lt;script&gt;" in page
    assert "<table>" in page


def test_cli_writes_html(built, first, tmp_path, monkeypatch):
    monkeypatch.setenv("COCKPIT_HOME", str(built.home))
    out = tmp_path / "brief.html"
    result = CliRunner().invoke(cli, ["brief", first[0], "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert first[1] in out.read_text(encoding="utf-8")


def test_cli_unknown_account(built, monkeypatch):
    monkeypatch.setenv("COCKPIT_HOME", str(built.home))
    result = CliRunner().invoke(cli, ["brief", "nope"])
    assert result.exit_code == 1
    assert "Error: no account 'nope'; run 'cockpit accounts' to list them" in result.output


def _evil(report):
    bad = "[click](javascript:alert(1)) ![x](http://host/p.png) <img src=http://h/i.png>\n# Injected\n| a | b |"
    issues = [{**i, "example": bad} for i in report["issues"]]
    account = {**report["account"], "name": "Evil [x](javascript:alert(1))", "csm": bad}
    return {**report, "issues": issues, "account": account}


def test_markdown_from_data_adds_no_link_image_heading_or_row(report):
    text = brief.to_markdown(_evil(report))
    assert "](javascript:" not in text and "![x](" not in text
    assert "\n# Injected" not in text and "\n| a | b |" not in text
    assert "<img" not in text


def test_html_has_no_script_link_or_remote_image_and_a_csp(report):
    page = brief.to_html(_evil(report))
    low = page.lower()
    tags = re.findall(r"<[^>]*>", low)
    assert not [t for t in tags if re.search(r"\b(src|href)=|^<(a|img|script)\b", t)]
    assert "<h1>injected" not in low
    assert '<meta http-equiv="content-security-policy" content="default-src \'none\'' in low
    assert "img-src 'none'" in page


def test_the_potential_is_explained_in_markdown_and_html(built, report, first):
    """The method sentence and the top contributions, as `cockpit account ID --json` has them."""
    con = store.read_only(built.db_path)
    try:
        full = queries.account_report(con, first[0])["potential"]
    finally:
        con.close()
    text, page = brief.to_markdown(report), brief.to_html(report)
    words = re.sub(r"[\\()]", "", full["method"])[:50]
    assert words in re.sub(r"[\\()]", "", text)
    assert words in re.sub(r"[()]", "", page)
    top = full["contributions"][: len(report["contributions"])]
    assert report["contributions"] and len(top) == len(report["contributions"])
    for c in top:
        assert f"adds **{f.pts(c['contribution_pts'])}**" in text
        assert f"<strong>{f.pts(c['contribution_pts'])}</strong>" in page


def test_no_approximate_less_than(report):
    assert "≈ <" not in brief.to_markdown(report)


@pytest.mark.parametrize("field", ["vertical", "plan", "arr_usd", "csm", "region", "renewal_date"])
@pytest.mark.parametrize("null", [None, float("nan"), "NaN-from-duckdb", "NaT", "NA", ""])
def test_a_missing_account_field_is_left_out_of_the_header(report, field, null):
    """An optional account field left empty reads as None, NaN, NaT or pd.NA depending on its
    dtype: the header leaves it out instead of printing 'nan', 'Nan plan' or crashing."""
    import numpy as np
    import pandas as pd

    value = {
        "NaN-from-duckdb": np.float64("nan"),
        "NaT": pd.NaT,
        "NA": pd.NA,
    }.get(null, null)
    account = {**report["account"], field: value}
    header = brief.to_markdown({**report, "account": account}).splitlines()[2]
    assert header.startswith("*") and "data as of" in header
    assert not re.search(r"\b(nan|Nan|None|NaT)\b|<NA>|‹NA›", header), header
    shown = {"plan": " plan", "arr_usd": "ARR ", "csm": "CSM ", "renewal_date": "renews "}
    if field in shown:
        assert shown[field] not in header
    full = brief.to_markdown(report).splitlines()[2]
    assert header.count(" · ") == full.count(" · ") - 1  # exactly that one part went
