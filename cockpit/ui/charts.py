"""Chart conventions every page shares: one colour and one label per automation type."""

from __future__ import annotations

import altair as alt

from cockpit.contract import AUTOMATION_TYPES

# One colour per automation type, used by every chart (Tableau-10, colour-blind friendly).
TYPE_COLORS = {"informational": "#4C78A8", "personalized": "#F58518", "action": "#54A24B"}
TYPE_LABELS = {"informational": "Informational", "personalized": "Personalized", "action": "Action"}
# Vega expression that shows a type id as its label on axes and legends (charts keep the ids, so
# selections and colours stay keyed on them).
TYPE_LABEL_EXPR = "upper(substring(datum.label, 0, 1)) + substring(datum.label, 1)"


def type_label(t: str | None) -> str:
    return TYPE_LABELS.get(t or "", t or "—")


def type_color(
    field: str = "automation_type", title: str = "Type", legend: bool = True
) -> alt.Color:
    """The Altair colour encoding every chart uses for automation types."""
    return alt.Color(
        f"{field}:N",
        title=title,
        scale=alt.Scale(
            domain=list(AUTOMATION_TYPES), range=[TYPE_COLORS[t] for t in AUTOMATION_TYPES]
        ),
        legend=alt.Legend(orient="bottom", labelExpr=TYPE_LABEL_EXPR) if legend else None,
    )


ZOOM_STEP = 0.1  # zoom rate axes to whole 10-pt steps: readable ticks, room around the points


def zoom_domain(values) -> list[float]:
    """A [lo, hi] rate-axis domain around `values` (fractions), to the nearest 10 pts.

    Missing values are ignored; with none left (an empty book, a backtest where no account was
    realised yet) the whole 0–100 % range is returned, never NaN.
    """
    import math

    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return [0.0, 1.0]
    lo = max(0.0, math.floor(min(finite) / ZOOM_STEP) * ZOOM_STEP)
    hi = min(1.0, math.ceil(max(finite) / ZOOM_STEP) * ZOOM_STEP)
    if hi <= lo:  # every point on one 10-pt boundary
        lo, hi = max(0.0, lo - ZOOM_STEP), min(1.0, hi + ZOOM_STEP)
    return [round(lo, 4), round(hi, 4)]


# Charts never shrink below this: at 1024 px a "stretch" chart in a narrow column otherwise drew
# labels without bars (#16).
MIN_CHART_HEIGHT = 260


def trend_vs_potential(weekly, height: int = 300) -> alt.LayerChart:
    """Weekly automation (blue line) under the potential band (green), the band only on the weeks
    that carry one (`account_weekly` sets it over the potential's own window)."""
    base = alt.Chart(weekly).encode(x=alt.X("week:T", title=None, axis=alt.Axis(format="%b %Y")))
    y = alt.Y(
        "automation_rate:Q",
        title="Automation rate (weekly)",
        axis=alt.Axis(format="%"),
        scale=alt.Scale(domain=[0, 1]),
    )
    band_rows = base.transform_filter("isValid(datum.potential)")
    band = band_rows.mark_area(opacity=0.18, color="#54A24B").encode(
        y=alt.Y("potential_low:Q", scale=alt.Scale(domain=[0, 1])),
        y2="potential_high:Q",
        tooltip=[
            alt.Tooltip("potential_low:Q", title="Potential low", format=".0%"),
            alt.Tooltip("potential_high:Q", title="Potential high", format=".0%"),
        ],
    )
    pot = band_rows.mark_line(color="#54A24B", strokeDash=[5, 4]).encode(y="potential:Q")
    line = base.mark_line(point=True, color="#4C78A8", strokeWidth=2.5).encode(
        y=y,
        tooltip=[
            alt.Tooltip("week:T", title="Week of", format="%d %b %Y"),
            alt.Tooltip("automation_rate:Q", title="Automation", format=".1%"),
            alt.Tooltip("conversations:Q", title="Conversations", format=","),
        ],
    )
    return (line + band + pot).properties(height=max(height, MIN_CHART_HEIGHT))


# The x scale of the type mix runs to this multiple of the longest bar: the free ~58% past it
# holds the "29% automated" label (about 90 px at 11 px) in the narrowest column (1024 px,
# ~180 px of plot); 1.7 left a label 9 px past the edge there (browser test).
MIX_LABEL_ROOM = 2.4


def type_mix_bars(mix, height: int = 300, days: int = 28) -> alt.LayerChart:
    """Conversations per automation type, each bar labelled with its automation rate (`label`).

    The label sits just past the bar's end in dark text, so a short bar never cuts it; the x
    scale leaves `MIX_LABEL_ROOM` of the width free past the longest bar for it.
    """
    top = float(mix["conversations"].max()) if len(mix) else 0.0
    bars = (
        alt.Chart(mix)
        .mark_bar()
        .encode(
            y=alt.Y(
                "automation_type:N",
                title=None,
                sort=list(TYPE_COLORS),
                axis=alt.Axis(labelExpr=TYPE_LABEL_EXPR),
            ),
            x=alt.X(
                "conversations:Q",
                title=f"Conversations, last {days} d",
                scale=alt.Scale(domain=[0, max(1.0, top) * MIX_LABEL_ROOM], nice=False),
                axis=alt.Axis(tickCount=3, titleLimit=0),
            ),
            color=type_color(legend=False),
            tooltip=[
                alt.Tooltip("automation_type:N", title="Type"),
                alt.Tooltip("conversations:Q", title="Conversations", format=","),
                alt.Tooltip("share:Q", title="Share", format=".0%"),
                alt.Tooltip("automation_rate:Q", title="Automation", format=".0%"),
            ],
        )
    )
    text = bars.mark_text(align="left", dx=4, fontSize=11, color="#31333F").encode(
        text="label:N", color=alt.value("#31333F")
    )
    return (bars + text).properties(height=max(height, MIN_CHART_HEIGHT))


def type_topic_heatmap(cells, topic_order: list[str], pick) -> alt.LayerChart:
    """Type × topic cells: colour = automation rate, number = `label`; `pick` selects a cell."""
    heat = alt.Chart(cells).encode(
        x=alt.X(
            "automation_type:N",
            title=None,
            sort=list(TYPE_COLORS),
            axis=alt.Axis(labelAngle=0, orient="top", labelExpr=TYPE_LABEL_EXPR, labelFontSize=12),
        ),
        y=alt.Y(
            "topic:N", title=None, sort=topic_order, axis=alt.Axis(labelLimit=260, labelFontSize=12)
        ),
    )
    rect = (
        heat.mark_rect(stroke="white", strokeWidth=2, cursor="pointer")
        .encode(
            color=alt.Color(
                "automation_rate:Q",
                title="Automation",
                scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1]),
                legend=alt.Legend(format="%", orient="bottom"),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            tooltip=[
                alt.Tooltip("topic:N", title="Topic"),
                alt.Tooltip("automation_type:N", title="Type"),
                alt.Tooltip("conversations:Q", title="Conversations", format=","),
                alt.Tooltip("automation_rate:Q", title="Automation", format=".0%"),
                alt.Tooltip("trend_pts:Q", title="Trend (pts)", format="+.1f"),
            ],
        )
        .add_params(pick)
    )
    # White numbers on the dark ends of the colour scale, dark ones in the light middle.
    labels = heat.mark_text(fontSize=12, cursor="pointer").encode(
        text="label:N",
        color=alt.condition(
            "datum.automation_rate < 0.2 || datum.automation_rate > 0.8",
            alt.value("white"),
            alt.value("#1f2933"),
        ),
    )
    return (rect + labels).properties(height=alt.Step(28))
