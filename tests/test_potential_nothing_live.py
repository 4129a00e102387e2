"""An account with no setup rows, nothing deployed and a high quality (issue #15, ev028's class).

README "Potential" records ev028 of the evaluation book: no setup, nothing deployed, account
quality +0.8 logits, 23.6 pts too low. Mechanism reproduced here at the mixture level: a strong
account's not-working cells resolve about as well as an average account's working cells when the
working / not-working gap is small (here 1.2 logits). With no setup, the mixture's only evidence
is the cells' own outcomes, so most of them are taken as "working" (p_work > 0.5) with an account
effect δ near 0 (it is not identified: "strong, nothing live" and "average, everything live" fit
the same outcomes), and a working cell's target is its own rate: the lift all but vanishes. The
demo book has no account of this class (its 30 no-setup accounts have 21–100% of cells live at
the end, none with nothing live), so no setting chosen on it can see the case.

The book is generated with a known answer: 16 accounts, four cells of one type, working levels
`WORKING_LOGIT`, a not-live cell `GAP` logits lower, peers' quality ~ N(0, 0.5); a00 has nothing
live and no setup. Its true lift per cell is sigmoid(level + quality) − its own rate. Strict xfail
until a fix is chosen leave-one-book-out (the estimator's default is unchanged).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cockpit.scoring.mixture import fit_mixture

WORKING_LOGIT = np.array([0.0, 0.5, 1.0, -0.5])  # four cells' working levels (50/62/73/38%)
GAP = 1.2  # logits between a working and a not-working cell: a small enabler effect
N = 25  # known outcomes per cell (ev028 had ~90 in all)
SEEDS = range(10)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _book(seed: int, quality: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(16):
        q = quality if a == 0 else rng.normal(0, 0.5)
        for j, level in enumerate(WORKING_LOGIT):
            if a == 0:
                live, state = False, "unknown"
            else:
                live = rng.random() < 0.75
                state = ("live" if live else "not_live") if a < 8 else "unknown"
            logit = level + (0.0 if live else -GAP) + q
            rows.append(
                {
                    "account_id": f"a{a:02d}",
                    "vertical": "saas",
                    "automation_type": "informational",
                    "topic_id": f"t{j}",
                    "k": int(rng.binomial(N, _sigmoid(logit))),
                    "n": N,
                    "setup_state": state,
                }
            )
    return pd.DataFrame(rows)


def _lifts(quality: float) -> tuple[float, float]:
    """Mean over seeds of a00's estimated and true lift (rate units, mean over its cells), with
    the potential's target p_work · own + (1 − p_work) · p_full (own_prior left out)."""
    est, true = [], []
    for seed in SEEDS:
        fit = fit_mixture(_book(seed, quality))
        a00 = fit[fit["account_id"] == "a00"].sort_values("topic_id")
        own = (a00["k"] / a00["n"]).to_numpy()
        pw = a00["p_work"].to_numpy()
        est.append(float((pw * own + (1 - pw) * a00["p_full"].to_numpy() - own).mean()))
        true.append(float((_sigmoid(WORKING_LOGIT + quality) - own).mean()))
    return float(np.mean(est)), float(np.mean(true))


def test_average_account_with_nothing_live_is_lifted():
    # Control: at the book's average quality the mixture recovers the lift (within 5 pts).
    est, true = _lifts(0.0)
    assert true > 0.2
    assert abs(est - true) < 0.05, (est, true)


@pytest.mark.xfail(strict=True, reason="issue #15: ev028's class, a strong account, nothing live")
def test_strong_account_with_nothing_live_is_lifted():
    # Expected: the lift within 5 pts of the true one. Found today: about 9 pts against 28.
    est, true = _lifts(0.8)
    assert abs(est - true) < 0.05, (est, true)
