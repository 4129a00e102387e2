"""How numbers read, everywhere: the app's pages, the brief and the CLI format through here.

Rates are fractions in [0, 1] (`pct`); differences of rates are percentage points (`pts`);
a missing value (None or NaN) always reads as an em dash.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime

DASH = "—"


def missing(x) -> bool:
    """True for None, NaN and pandas' NA."""
    if x is None:
        return True
    try:
        return bool(x != x) or (isinstance(x, float) and math.isnan(x))  # NaN != NaN
    except (TypeError, ValueError):  # pd.NA refuses bool()
        return True


def blank(x) -> bool:
    """True for a missing value (`missing`) or a string of only whitespace."""
    return missing(x) or (isinstance(x, str) and not x.strip())


def pct(x, digits: int = 0) -> str:
    """0.423 → '42%'."""
    return DASH if missing(x) else f"{x * 100:.{digits}f}%"


def pts(x, digits: int = 1) -> str:
    """3.25 → '+3.2 pts' (percentage points, always signed)."""
    return DASH if missing(x) else f"{x:+.{digits}f} pts"


def number(x, digits: int = 0) -> str:
    """1234.5 → '1,234' (or '1,234.50' with digits=2)."""
    return DASH if missing(x) else f"{x:,.{digits}f}"


def signed(x, digits: int = 2) -> str:
    """0.25 → '+0.25'."""
    return DASH if missing(x) else f"{x:+.{digits}f}"


def signed_pct(x) -> str:
    """12.3 (already a percentage) → '+12%'."""
    return DASH if missing(x) else f"{x:+.0f}%"


def compact(n) -> str:
    """12345 → '12.3k', 2_400_000 → '2.4M'."""
    if missing(n):
        return DASH
    n = float(n)
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.1f}{suffix}"
    return f"{n:.0f}"


def usd(n) -> str:
    """240000 → '$240k', 1_250_000 → '$1.2M'."""
    return DASH if missing(n) else "$" + compact(n).replace(".0k", "k").replace(".0M", "M")


def hours(h) -> str:
    """37.4 → '37 h'; a rounded '0 h' would read as nothing, so 0 < h < 0.5 → '<1 h'."""
    if missing(h):
        return DASH
    return "<1 h" if 0 < h < 0.5 else f"{h:,.0f} h"


def ordinal(n: int) -> str:
    """4 → '4th', 22 → '22nd', 71 → '71st', 111 → '111th'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def percentile(p, missing_text: str = "no peer rank") -> str:
    """69 → '69th percentile' (accepts 0–1 fractions too)."""
    if missing(p):
        return missing_text
    p = p * 100 if p <= 1 else p
    return f"{ordinal(int(round(p)))} percentile"


def rank(p) -> str:
    """A percentile as a short ordinal: 0.69 or 69 → '69th'."""
    if missing(p):
        return DASH
    p = p * 100 if p <= 1 else p
    return ordinal(int(round(p)))


def day(d) -> str:
    """A date as '25 Nov 2026' (strings are cut to their date part)."""
    if missing(d):
        return DASH
    if isinstance(d, (date, datetime)):
        return f"{d:%d %b %Y}"
    return str(d)[:10]


def day_range(start, end) -> str:
    """Two dates as '3 Nov – 30 Nov 2026' (the year once when both share it)."""
    if missing(start) or missing(end):
        return DASH
    dated = isinstance(start, (date, datetime)) and isinstance(end, (date, datetime))
    if dated and start.year == end.year:
        return f"{start:%d %b} – {end:%d %b %Y}"
    return f"{day(start)} – {day(end)}"


def datetime_column_format(start, end) -> str:
    """A table's date-time format for rows between `start` and `end`: with the year when the
    range spans two years or is unknown (a '3 Nov' alone would be ambiguous), else day and month."""
    same_year = not (missing(start) or missing(end)) and start.year == end.year
    return "D MMM HH:mm" if same_year else "D MMM YYYY HH:mm"


def confidence_label(confidence, thin_evidence=False) -> str:
    """An action's confidence as shown: "Medium", or "Low (thin)" when it rests on too
    few outcomes to rank among the others (`cockpit.scoring.actions` ranks those last)."""
    label = str(confidence or "unknown").capitalize()
    return f"{label} (thin)" if bool(thin_evidence) else label


def plural(n, word: str, many: str | None = None) -> str:
    """1, 'conversation' → '1 conversation'; 3 → '3 conversations' (thousands separated)."""
    return f"{number(n)} {word if n == 1 else (many or word + 's')}"


def age(ts: datetime | None, now: datetime | None = None) -> str:
    """How long ago `ts` (naive UTC) was: '3 h ago', '2 days ago'."""
    if ts is None:
        return "never"
    now = now or datetime.now(UTC).replace(tzinfo=None)
    secs = max(0.0, (now - ts).total_seconds())
    if secs < 3600:
        return f"{secs / 60:.0f} min ago"
    if secs < 48 * 3600:
        return f"{secs / 3600:.0f} h ago"
    return f"{secs / 86400:.0f} days ago"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]()!|])")


def md_text(value, *, streamlit: bool = False) -> str:
    """Text from the data made inert inside Markdown: one line, every Markdown mark escaped.

    A conversation text or account name can then never add a link, an image, a heading or a
    table row to a page or a brief; HTML is neutralised by `‹ ›` (Markdown has no escape for it).
    `streamlit` also escapes `$` and `~` (Streamlit renders LaTeX and strikethrough).
    """
    s = "" if value is None else str(value)
    s = " ".join(s.split())  # no newline: no new block (heading, list, table row)
    s = s.replace("<", "‹").replace(">", "›")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return s.replace("$", "\\$").replace("~", "\\~") if streamlit else s


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A value safe to write into a CSV cell: a text starting like a formula gets a `'` first."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_safe_frame(df):
    """A copy of a DataFrame whose text columns are passed through `csv_cell`."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("str", "string"):
            out[col] = out[col].map(csv_cell)
    return out


def csv_cell_sql(expr: str) -> str:
    """SQL for `csv_cell` over a VARCHAR expression (for DuckDB COPY exports)."""
    return (
        f"CASE WHEN left({expr}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) "
        f"THEN '''' || {expr} ELSE {expr} END"
    )
