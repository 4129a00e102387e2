"""Look first: which accounts of each CSM's book to open first, and which named parts say so.

Computed once per refresh in the score step (never relative to what a page filters), from five
named parts, each shown with the account when it fires:

- **ARR at stake**: the account's ARR; it scales the score, it never fires alone;
- **renewal**: days to renewal ≤ `RENEWAL_SOON_DAYS` (weight grows as the date nears);
- **AI CSAT**: AI-resolved conversations rated ≥ `CSAT_GAP_MIN` points below human-resolved ones,
  each side with at least `MIN_CSAT_RATINGS` ratings;
- **automation falling**: the window's automation rate fell by more than `NOISE_Z` standard
  errors of the difference of two proportions, with at least `MIN_TREND_VOLUME` known outcomes
  in each window (so a drop on 7 conversations never fires);
- **expected gain**: the gap to the account's potential (potential − today's rate) of at least
  `GAIN_MIN_PTS`.

score = ARR (in $100k) × (sum of the fired parts' weights, each in [0, 1]). An account is
flagged when its score reaches `MIN_SCORE` (a threshold, so a quiet book flags nobody), and at
most the `MAX_FLAGGED_PER_BOOK` highest such scores in each CSM's book are (the cap only bites
on a book in trouble). These thresholds are product policy (what a CSM agreed is worth a look), not fitted to
any data set: there is no labelled "should have looked" outcome to cross-validate against.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

# Policy: a renewal inside one quarter is when a CSM prepares the renewal conversation.
RENEWAL_SOON_DAYS = 90
# On a 1–5 scale, half a point is the smallest CSAT difference support leads act on.
CSAT_GAP_MIN = 0.5
# Fewer ratings than this and a CSAT mean moves by more than half a point on a few replies.
MIN_CSAT_RATINGS = 20
# Two standard errors: a fall this large happens by chance about once in 40 windows.
NOISE_Z = 2.0
# Below 100 known outcomes per window the standard error of a rate exceeds 5 pts.
MIN_TREND_VOLUME = 100
# A 10-pt gap is about one enabler on a common cell: worth a conversation.
GAIN_MIN_PTS = 10.0
# "A handful per book": more flags than this and the flag stops meaning "first".
MAX_FLAGGED_PER_BOOK = 3
# The score of a $100k account (about the median ARR of a mid-market book) with one and a half
# parts fully fired, or a $300k one with one half-fired part. One part at full weight on a
# median account is ordinary (a 30-pt gap or a renewal next week is common in a book of ten), so
# it does not make the account "first"; a large account needs less, a small one more. Policy,
# chosen so a book of ten flags 0-2 on the default demo (5 of 60 accounts), not fitted.
MIN_SCORE = 1.5
ARR_UNIT_USD = 100_000.0

COLUMNS = [
    "account_id", "csm", "score", "book_rank", "look_first", "reasons", "arr_usd",
    "days_to_renewal", "renewal_part", "csat_ai", "csat_human", "csat_part",
    "automation_change_pts", "automation_change_noise_pts", "falling_part", "gap_pts",
    "gain_part",
]  # fmt: skip


def change_noise_pts(rate: float, n_now: float, n_prev: float) -> float:
    """Standard error (pts) of the difference of two rates near `rate` on n_now and n_prev."""
    if not (n_now > 0 and n_prev > 0) or not math.isfinite(rate):
        return math.nan
    p = min(max(rate, 0.0), 1.0)
    return 100 * math.sqrt(max(p * (1 - p), 1e-4) * (1 / n_now + 1 / n_prev))


def _num(v) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def _parts(r, as_of: dt.date) -> dict:
    out: dict = {"reasons": []}
    renewal = r.get("renewal_date")
    days = (pd.Timestamp(renewal).date() - as_of).days if pd.notna(renewal) else None
    out["days_to_renewal"] = days
    out["renewal_part"] = 0.0
    if days is not None and 0 <= days <= RENEWAL_SOON_DAYS:
        out["renewal_part"] = 1 - days / (RENEWAL_SOON_DAYS + 1)
        out["reasons"].append(f"renewal in {days} day{'s' if days != 1 else ''}")

    ai, human = _num(r.get("csat_ai")), _num(r.get("csat_human"))
    ai_n, human_n = _num(r.get("csat_ai_n")), _num(r.get("csat_human_n"))
    out["csat_ai"], out["csat_human"], out["csat_part"] = ai, human, 0.0
    if (
        ai_n >= MIN_CSAT_RATINGS
        and human_n >= MIN_CSAT_RATINGS
        and math.isfinite(ai)
        and math.isfinite(human)
        and human - ai >= CSAT_GAP_MIN
    ):
        out["csat_part"] = min(1.0, (human - ai) / 2)
        out["reasons"].append(f"AI CSAT {ai:.1f} vs {human:.1f} for humans")

    change = _num(r.get("automation_rate_change_pts"))
    n_now = _num(r.get("known_outcome"))
    growth = _num(r.get("conversations_change_pct"))
    # The previous window's known outcomes, from its volume (the share of known outcomes is stable).
    n_prev = n_now / (1 + growth / 100) if math.isfinite(growth) and growth > -100 else math.nan
    noise = change_noise_pts(_num(r.get("automation_rate_prev")), n_now, n_prev)
    out["automation_change_pts"], out["automation_change_noise_pts"] = change, noise
    out["falling_part"] = 0.0
    if (
        math.isfinite(change)
        and math.isfinite(noise)
        and min(n_now, n_prev) >= MIN_TREND_VOLUME
        and change < -NOISE_Z * noise
    ):
        out["falling_part"] = min(1.0, -change / 10)
        out["reasons"].append(f"automation falling {change:.1f} pts (noise ±{noise:.1f})")

    gap = _num(r.get("gap_pts"))
    out["gap_pts"], out["gain_part"] = gap, 0.0
    if math.isfinite(gap) and gap >= GAIN_MIN_PTS:
        out["gain_part"] = min(1.0, gap / 30)
        out["reasons"].append(f"expected gain {gap:.0f} pts to potential")
    return out


def priority(
    accounts: pd.DataFrame,
    account_metrics: pd.DataFrame,
    potential: pd.DataFrame,
    as_of: dt.date,
    max_per_book: int = MAX_FLAGGED_PER_BOOK,
    min_score: float | None = None,
) -> pd.DataFrame:
    """One row per account: its score, its rank in its CSM's book, the parts and the flag.

    `accounts` needs account_id, csm, arr_usd, renewal_date; `account_metrics` the score step's
    table; `potential` account_id and gap_pts. `min_score` defaults to `MIN_SCORE`.
    """
    min_score = MIN_SCORE if min_score is None else min_score
    base = accounts[["account_id", "csm", "arr_usd", "renewal_date"]].merge(
        account_metrics, on="account_id", how="left"
    )
    base = base.merge(potential[["account_id", "gap_pts"]], on="account_id", how="left")
    rows = []
    for r in base.to_dict("records"):
        parts = _parts(r, as_of)
        arr = _num(r.get("arr_usd"))
        arr = arr if math.isfinite(arr) and arr > 0 else 0.0
        fired = parts["renewal_part"] + parts["csat_part"] + parts["falling_part"]
        fired += parts["gain_part"]
        rows.append(
            {
                "account_id": r["account_id"],
                "csm": r.get("csm"),
                "arr_usd": arr,
                "score": round(arr / ARR_UNIT_USD * fired, 4),
                **parts,
            }
        )
    out = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("book_rank", "look_first")])
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    out["csm"] = out["csm"].astype(object).where(out["csm"].notna(), None)
    book = out["csm"].fillna("")
    out["book_rank"] = (
        out.assign(_book=book)
        .groupby("_book")["score"]
        .rank(method="first", ascending=False)
        .astype("int64")
    )
    has_reason = out["reasons"].map(len) > 0
    out["look_first"] = (
        has_reason
        & (out["book_rank"] <= max_per_book)
        & (out["score"] > 0)
        & (out["score"] >= min_score)
    )
    out["days_to_renewal"] = out["days_to_renewal"].astype("Int64")
    for c in ("csat_ai", "csat_human", "automation_change_pts", "automation_change_noise_pts"):
        out[c] = out[c].astype("float64").replace({np.inf: np.nan})
    return out[COLUMNS].sort_values(["csm", "book_rank"], na_position="last").reset_index(drop=True)
