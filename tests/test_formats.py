"""Formats the pages and the brief share."""

from __future__ import annotations

from datetime import date, datetime

from cockpit import formats


def test_table_dates_carry_the_year_when_the_range_spans_one():
    assert formats.datetime_column_format(date(2026, 3, 1), date(2026, 10, 31)) == "D MMM HH:mm"
    spanning = formats.datetime_column_format(datetime(2025, 11, 1), datetime(2026, 10, 31))
    assert spanning == "D MMM YYYY HH:mm"
    assert "YYYY" in formats.datetime_column_format(None, date(2026, 1, 1))  # unknown: say it


def test_day_range_names_the_year_once_or_both():
    assert formats.day_range(date(2026, 11, 3), date(2026, 11, 30)) == "03 Nov – 30 Nov 2026"
    assert formats.day_range(date(2025, 12, 29), date(2026, 1, 4)) == "29 Dec 2025 – 04 Jan 2026"
