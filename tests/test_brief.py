"""The pre-call brief: Markdown and HTML from the report dict, and the `cockpit brief` command."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cockpit import brief, queries, store
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
    assert "(likely " in text  # the potential's range
    assert "“" in text  # an example per issue, quoted
    assert "\n1. " in text and "\n3. " in text  # numbered issues, actions and talking points


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
