"""Pre-call brief: one printable page per account for Sales, as Markdown or standalone HTML.

Pure functions over the report dict built by `queries.brief_report(con, account_id)`:
`to_markdown(report)` and `to_html(report)`. No PDF renderer is bundled (none of the pinned
dependencies renders PDF); the HTML carries print CSS, so "Print → Save as PDF" in a browser gives
a one-page PDF.
"""

from __future__ import annotations

import html

import markdown as md
import nh3
import pandas as pd

from cockpit import formats as f

TYPE_LABELS = {"informational": "informational", "personalized": "personalized", "action": "action"}
KIND_LABELS = {
    "help_content": "Add help content",
    "data_connector": "Connect data",
    "procedure": "Automate the procedure",
    "approval_step": "Add an approval step",
    "quality": "Improve answer quality",
}

VERTICAL_LABELS = {"ecommerce": "E-commerce", "saas": "SaaS", "fintech": "Fintech"}


def vertical_label(v: str | None) -> str:
    """'saas' → 'SaaS', 'gaming' → 'Gaming' (display name of a vertical id)."""
    if f.blank(v):
        return "—"
    return VERTICAL_LABELS.get(v, str(v).replace("_", " ").title())


CSS = """
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: #1f2933; max-width: 820px; margin: 24px auto; padding: 0 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 18px 0 6px;
     border-bottom: 2px solid #4C78A8; padding-bottom: 2px; }
p, li { margin: 4px 0; } table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e4e7eb; }
blockquote { margin: 4px 0 4px 12px; color: #52606d; font-style: italic; }
em { color: #52606d; }
@media print { body { margin: 0; max-width: none; font-size: 12px; } h2 { break-after: avoid; }
               @page { size: A4; margin: 14mm; } }
"""


# A cell's trend is listed under "what changed" only when larger than this many standard errors
# of a rate on its volume (two: a move that size happens by chance about once in 40 briefs).
CHANGE_NOISE_Z = 2.0
MIN_CHANGE_VOLUME = 30  # below this a cell's rate moves by >15 pts on noise alone


def _above_noise(c: dict) -> bool:
    """A change worth a sentence: a spike, or a trend beyond `CHANGE_NOISE_Z` standard errors."""
    if c.get("spike"):
        return True
    n, p, trend = c.get("conversations"), c.get("automation_rate"), c.get("trend_pts")
    if f.missing(n) or f.missing(p) or f.missing(trend) or n < MIN_CHANGE_VOLUME:
        return False
    se_pts = 100 * (max(p * (1 - p), 1e-4) / n) ** 0.5
    return abs(trend) > CHANGE_NOISE_Z * se_pts


def talking_points(report: dict, cost: float | None = None) -> tuple[list[str], list[str], str]:
    """(three talking points, risks, the ask) in plain words, from the report's figures."""
    a = report["account"]
    points, risks = [], []
    gain = _monthly_gain(a)
    if gain is not None and gain >= 1:
        money = f" (≈ {f.usd(gain * cost)} a month)" if cost else ""
        points.append(
            f"Reaching its potential of {f.pct(a.get('potential'))} means ≈ "
            f"{f.plural(round(gain), 'more conversation')} resolved by the AI each month{money}."
        )
    actions = report.get("actions") or []
    if actions:
        x = actions[0]
        kind = KIND_LABELS.get(x.get("kind"), str(x.get("kind")).replace("_", " "))
        points.append(
            f"First step: {kind.lower()} for {x.get('topic') or x.get('topic_id')} "
            f"({f.pts(x.get('gain_pts'))})."
        )
    issues = report.get("issues") or []
    if issues:
        i = issues[0]
        points.append(
            f"Biggest issue: {i.get('topic')} — {f.plural(i.get('conversations') or 0, 'conversation')}, "
            f"{f.pct(i.get('automation_rate'))} automated{_vs_peers(i)}."
        )
    renewal, as_of = a.get("renewal_date"), report.get("as_of")
    if not f.blank(renewal) and not f.blank(as_of):
        days = (pd.Timestamp(renewal).normalize() - pd.Timestamp(as_of).normalize()).days
        if 0 <= days <= 90:
            risks.append(f"Renewal in {f.plural(days, 'day')} ({f.day(renewal)}).")
    ai, human = a.get("csat_ai"), a.get("csat_human")
    if not f.missing(ai) and not f.missing(human) and human - ai >= 0.5:
        risks.append(f"AI CSAT {ai:.1f} vs {human:.1f} for human agents.")
    change = a.get("automation_rate_change_pts")
    if not f.missing(change) and change <= -3:
        risks.append(f"Automation fell {f.pts(change)} against the previous window.")
    ask = (
        f"Agree to {KIND_LABELS.get(actions[0].get('kind'), 'the first action').lower()} for "
        f"{actions[0].get('topic') or actions[0].get('topic_id')} before the next review."
        if actions
        else "Agree on which topic the AI should take on next."
    )
    return points[:3], risks, ask


def to_markdown(
    report: dict, *, html_safe: bool = False, cost_per_conversation: float | None = None
) -> str:
    """The brief as Markdown. Free text from the data (names, examples) is escaped: it can add
    no link, image, heading or table row. `html_safe` targets Python-Markdown (for `to_html`);
    without it the text is CommonMark-safe (Streamlit, GitHub, editors).

    `cost_per_conversation` (USD per human-handled conversation, `Settings`) adds money to hours.
    """

    def t(s) -> str:  # free text from the data
        return f.md_text(s, streamlit=not html_safe)

    a = report["account"]
    name = t(a.get("name") or a.get("account_id"))
    lines = [f"# Pre-call brief — {name}", ""]

    def given(key: str) -> bool:  # a NULL reads as None, NaN, NaT or NA depending on its dtype
        return not f.blank(a.get(key))

    who = [
        vertical_label(a.get("vertical")) if given("vertical") else None,
        f"{t(a.get('plan')).title()} plan" if given("plan") else None,
        f"ARR {f.usd(a.get('arr_usd'))}" if given("arr_usd") else None,
        f"CSM {t(a.get('csm'))}" if given("csm") else None,
        t(a.get("region")) if given("region") else None,
        f"renews {f.day(a.get('renewal_date'))}" if given("renewal_date") else None,
    ]
    lines += [
        "*" + " · ".join(w for w in who if w) + f" · data as of {f.day(report.get('as_of'))}*",
        "",
    ]

    window = a.get("window_days") or 28
    lines += [
        "## Headline numbers",
        "",
        f"| Last {window} days | Now | vs previous {window} days | Peer percentile |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| Automation rate | {f.pct(a.get('automation_rate'), 1)} | {f.pts(a.get('automation_rate_change_pts'))} | {f.rank(a.get('automation_percentile'))} |",
        f"| AI involvement | {f.pct(a.get('involvement_rate'), 1)} | {f.pts(a.get('involvement_rate_change_pts'))} | {f.rank(a.get('involvement_percentile'))} |",
        f"| AI resolution | {f.pct(a.get('ai_resolution_rate'), 1)} | {f.pts(a.get('ai_resolution_rate_change_pts'))} | {f.rank(a.get('ai_resolution_percentile'))} |",
        f"| CSAT AI / human | {f.number(a.get('csat_ai'), 2)} / {f.number(a.get('csat_human'), 2)} | {f.signed(a.get('csat_ai_change'))} (AI) | {f.rank(a.get('csat_ai_percentile'))} |",
        f"| Conversations | {f.number(a.get('conversations'))} | {f.signed_pct(a.get('conversations_change_pct'))} | |",
        "",
    ]  # fmt: skip

    lines += ["## Potential", ""]
    if f.missing(a.get("potential")):
        lines += ["Potential not computed yet (run `cockpit refresh`).", ""]
    else:
        # Potential, today's rate and gap over one window (the potential's), so they add up.
        today = a.get("potential_rate_today", a.get("automation_rate"))
        days = a.get("potential_window_days")
        over = f" over the last {int(days)} days" if not f.missing(days) else ""
        gain = _monthly_gain(a)
        more = (
            f", ≈ {f.plural(round(gain), 'more conversation')} resolved by the AI per month"
            + (f" (≈ {f.usd(gain * cost_per_conversation)})" if cost_per_conversation else "")
            if gain is not None and gain >= 1
            else ""
        )
        lines += [
            f"Could reach **{f.pct(a.get('potential'))}** automation "
            f"(likely range {f.pct(a.get('potential_low'))}–{f.pct(a.get('potential_high'))}) "
            f"against {f.pct(today)}{over}: a gap of **{f.pts(a.get('gap_pts'))}**{more}.",
            "",
        ]
        if a.get("potential_method"):
            lines += [f"*How:* {t(a['potential_method'])}", ""]
        contrib = report.get("contributions") or []
        if contrib:
            lines += [
                f"Where the gap is (last {int(days) if not f.missing(days) else 90} days):",
                "",
            ]
            for c in contrib:
                step = KIND_LABELS.get(c.get("enabler"), "")
                lines.append(
                    f"- {t(c.get('topic') or c.get('topic_id'))} "
                    f"({TYPE_LABELS.get(c.get('automation_type'), c.get('automation_type'))}): "
                    f"{f.pct(c.get('current_rate'))} today vs {f.pct(c.get('target_rate'))} where "
                    f"peers have it, adds **{f.pts(c.get('contribution_pts'))}**"
                    + (f" ({step.lower()})" if step else "")
                )
            lines.append("")
        if report.get("track_record"):
            lines += [f"Track record: {report['track_record']}", ""]
    points, risks, ask = talking_points(report, cost_per_conversation)
    if points:
        lines += ["## Talking points", "", *[f"{n}. {t(p)}" for n, p in enumerate(points, 1)], ""]
    lines += ["## Risks", "", *([f"- {t(r)}" for r in risks] or ["- None flagged."]), ""]
    lines += ["## The ask", "", t(ask), ""]

    lines += ["## Top issues", ""]
    for i in report.get("issues", []) or []:
        lines.append(
            f"{i['rank']}. **{t(i.get('topic'))}** ({TYPE_LABELS.get(i.get('automation_type'), i.get('automation_type'))}) — "
            f"{f.plural(i.get('conversations') or 0, 'conversation')}, {f.pct(i.get('automation_rate'))} automated"
            f"{_vs_peers(i)}"
            + (f", {_approx(f.hours(i.get('hours_per_month')))} of human time / month" if not f.missing(i.get("hours_per_month")) else "")
            + (" · **volume spike**" if i.get("spike") else "")
        )  # fmt: skip
        if i.get("example"):  # a blank line first: Markdown then nests the quote in the item
            lines += ["", f"    > “{t(i['example'])}”", ""]
    if not report.get("issues"):
        lines.append("No issue stands out.")
    lines.append("")

    lines += ["## Next best actions", ""]
    for x in report.get("actions", []) or []:
        kind = KIND_LABELS.get(x.get("kind"), str(x.get("kind")).replace("_", " "))
        conf = (
            ""
            if f.missing(x.get("confidence")) or isinstance(x.get("confidence"), str)
            else f", confidence {f.pct(x.get('confidence'))}"
        )
        lines.append(
            f"{x['rank']}. **{kind}: {t(x.get('topic') or x.get('topic_id'))}** "
            f"({TYPE_LABELS.get(x.get('automation_type'), x.get('automation_type'))}) — "
            f"**{f.pts(x.get('gain_pts'))}**, +{f.number(x.get('extra_ai_resolved_per_month'))} AI-resolved "
            f"and {f.hours(x.get('hours_saved_per_month'))} saved per month{conf}."
        )  # fmt: skip
        if x.get("rationale"):
            lines.append(f"    *Why:* {t(x['rationale'])}")
    if not report.get("actions"):
        lines.append("No action suggested: every topic is at or above its peers.")
    lines.append("")

    lines += ["## What changed recently", ""]
    changes = [
        f"- Automation {f.pts(a.get('automation_rate_change_pts'))} and volume "
        f"{f.signed_pct(a.get('conversations_change_pct'))} vs the previous {window} days."
    ]
    for c in [c for c in report.get("changes", []) or [] if _above_noise(c)]:
        what = "volume spike last week" if c.get("spike") else f"trend {f.pts(c.get('trend_pts'))}"
        changes.append(
            f"- {t(c.get('topic'))} ({TYPE_LABELS.get(c.get('automation_type'), c.get('automation_type'))}): {what}; "
            f"{f.pct(c.get('automation_rate'))} automated on {f.plural(c.get('conversations') or 0, 'conversation')}."
        )
    lines += changes
    lines.append("")
    return "\n".join(lines)


def _vs_peers(issue: dict) -> str:
    """' vs 69% for peers', or nothing for 'other' (mixed topics have no peer benchmark)."""
    b = issue.get("benchmark_rate")
    return "" if f.missing(b) else f" vs {f.pct(b)} for peers"


def _approx(text: str) -> str:
    """'≈ 3 h', but '<1 h' as it is (never '≈ <1 h')."""
    return text if text.startswith("<") else f"≈ {text}"


def _monthly_gain(a: dict) -> float | None:
    """Gap (pts) × the window's known-outcome volume scaled to 30 days."""
    gap, known, days = a.get("gap_pts"), a.get("known_outcome"), a.get("window_days") or 28
    if f.missing(gap) or f.missing(known):
        return None
    return max(0.0, gap) / 100 * known * 30 / days


# What the brief's HTML may contain: text structure only. No <img> (a remote image would be
# fetched on open), no <a> (a link from the data could be javascript:), no attributes.
ALLOWED_TAGS = {"h1", "h2", "h3", "p", "ul", "ol", "li", "strong", "em", "blockquote", "table",
                "thead", "tbody", "tr", "th", "td", "code", "br", "hr"}  # fmt: skip
# The page loads nothing: no script, no remote style, font, image or frame; inline CSS only.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def to_html(report: dict, *, cost_per_conversation: float | None = None) -> str:
    """The brief as a standalone, printable HTML page (inline CSS, no external assets).

    The Markdown escapes the data; the HTML it renders to is then sanitised by `nh3` (ammonia)
    to the tags above, and a Content-Security-Policy forbids loading anything.
    """
    body = md.markdown(
        to_markdown(report, html_safe=True, cost_per_conversation=cost_per_conversation),
        extensions=["tables"],
    )
    body = nh3.clean(body, tags=ALLOWED_TAGS, attributes={}, url_schemes=set())
    title = html.escape(str(report["account"].get("name") or report["account"].get("account_id")))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>Pre-call brief — {title}</title><style>{CSS}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )
