"""AppTests of the Account page: the potential explained, one labelled window per figure."""

from __future__ import annotations

import pytest

from cockpit import queries, store
from cockpit.settings import Settings
from tests.app_fixture import build_app_store, query
from tests.test_app_pages import open_page


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    return build_app_store(Settings(home=tmp_path_factory.mktemp("acct") / "home"))


@pytest.fixture
def home(built, monkeypatch):
    monkeypatch.setenv("COCKPIT_HOME", str(built.home))
    return built.home


def _pot_accounts(built) -> list[str]:
    return [
        r[0]
        for r in query(
            built, "SELECT account_id FROM potential WHERE potential IS NOT NULL ORDER BY 1"
        )
    ]


def _pct(s: str) -> float:
    return float(s.rstrip("%"))


def test_every_figure_says_its_window(home, built):
    at = open_page("account", account=_pot_accounts(built)[0])
    labels = [m.label for m in at.metric]
    assert labels and all(" d" in lab.split("·")[-1] for lab in labels), labels


def test_account_gap_is_potential_minus_todays_rate_same_window(home, built):
    for account_id in _pot_accounts(built):
        at = open_page("account", account=account_id)
        days = query(built, "SELECT window_days FROM potential WHERE account_id = ?", [account_id])
        d = days[0][0] or 90
        pot = next(m.value for m in at.metric if m.label == f"Potential · {d} d")
        today = next(m.value for m in at.metric if m.label == f"Automation · {d} d")
        gap = next(m.value for m in at.metric if m.label == f"Gap · {d} d")
        # potential is shown to whole points, today to 0.1: the gap agrees within rounding
        assert abs(_pct(pot) - _pct(today) - float(gap.split()[0])) <= 0.55, (pot, today, gap)


def test_the_method_and_the_top_contributions_are_shown(home, built):
    account_id = _pot_accounts(built)[0]
    at = open_page("account", account=account_id)
    method = query(built, "SELECT method FROM potential WHERE account_id = ?", [account_id])[0][0]
    assert any(method[:60] in m.value for m in at.markdown), "method sentence not shown"
    with store.reading(built.db_path) as con:
        report = queries.account_report(con, account_id)
    shown = next(d.value for d in at.dataframe if "contribution_pts" in d.value.columns)
    expected = report["potential"]["contributions"][: len(shown)]
    assert len(shown) == min(len(report["potential"]["contributions"]), 5)
    for row, exp in zip(shown.itertuples(), expected, strict=True):
        assert abs(row.contribution_pts - exp["contribution_pts"]) < 1e-9


def test_the_band_is_drawn_only_over_the_potential_window(home, built):
    account_id = _pot_accounts(built)[0]
    with store.reading(built.db_path) as con:
        weekly = queries.account_weekly(con, account_id)
        as_of = queries.account_window(con, account_id)[1]
    days = query(built, "SELECT window_days FROM potential WHERE account_id = ?", [account_id])
    d = days[0][0] or 90
    banded = weekly.dropna(subset=["potential"])
    assert len(banded)
    # a week carries the band exactly when it overlaps the window (it may start ≤ 6 days early)
    overlaps = weekly["week"].map(lambda w: (as_of - w.date()).days <= d - 1 + 6)
    assert (weekly["potential"].notna() == overlaps).all(), weekly[["week", "potential"]]


def test_issues_without_a_peer_benchmark_say_so_not_none(home, built):
    rows = query(built, "SELECT DISTINCT account_id FROM top_issues WHERE benchmark_rate IS NULL")
    for (account_id,) in rows[:3]:
        at = open_page("account", account=account_id)
        table = next(d.value for d in at.dataframe if "benchmark_pct" in d.value.columns)
        assert table["benchmark_pct"].notna().all()
        assert "None" not in table["benchmark_pct"].astype(str).tolist()
    at = open_page("account", account=_pot_accounts(built)[0])
    table = next(d.value for d in at.dataframe if "benchmark_pct" in d.value.columns)
    assert table["benchmark_pct"].notna().all()


def test_actions_are_shown_in_the_order_of_their_gain_thin_evidence_last(home, built):
    """The order a CSM reads is the order of the Gain column, except that actions resting on
    thin evidence come last and say so in their Confidence."""
    accounts = [r[0] for r in query(built, "SELECT DISTINCT account_id FROM actions ORDER BY 1")]
    assert accounts
    thin_seen = 0
    for account_id in accounts[:6]:
        at = open_page("account", account=account_id)
        shown = next(d.value for d in at.dataframe if "gain_pts" in d.value.columns)
        thin = shown["confidence"].str.endswith("(thin)")
        thin_seen += int(thin.sum())
        assert not (thin.astype(int).diff().fillna(0) < 0).any(), shown  # thin ones last
        for part in (shown[~thin], shown[thin]):
            assert part["gain_pts"].is_monotonic_decreasing, part[["rank", "gain_pts"]]
        stored = query(
            built,
            "SELECT count(*) FILTER (WHERE thin_evidence) FROM actions WHERE account_id = ?",
            [account_id],
        )[0][0]
        assert int(thin.sum()) == stored


def test_top_issues_show_topic_type_and_peers_before_the_volume_columns(home, built):
    at = open_page("account", account=_pot_accounts(built)[0])
    issues = next(d.value for d in at.dataframe if "benchmark_pct" in d.value.columns)
    cols = list(issues.columns)
    assert cols[:5] == ["rank", "topic", "automation_pct", "benchmark_pct", "trend_pts"], cols
    assert issues["topic"].str.contains(" · ").all()


def test_confidence_label_names_thin_evidence():
    from cockpit.formats import confidence_label

    assert confidence_label("medium") == "Medium"
    assert confidence_label("low", True) == "Low (thin)"
    assert confidence_label(None) == "Unknown"


def test_a_heatmap_cell_opens_exactly_the_conversations_it_counts(home, built):
    """Each type × topic cell's number equals what its click-through (same window) lists."""
    from cockpit.ui.navigation import conversations_state
    from tests.test_app_pages import _count

    account_id = _pot_accounts(built)[0]
    with store.reading(built.db_path) as con:
        cells = queries.account_cells(con, account_id)
        start, end = queries.account_window(con, account_id)
    assert len(cells)
    for c in cells.head(3).itertuples():
        state = conversations_state(account_id, c.automation_type, c.topic_id, start, end)
        at = open_page("conversations", **state)
        assert _count(at) == c.conversations, (c.automation_type, c.topic_id)
