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
