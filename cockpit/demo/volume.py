"""How many demo conversations happen where and when: daily volume per account, and spikes.

Relative volume per (account, day) combines weekly seasonality by vertical, holiday peaks,
growth and onboarding ramps; on top come a few events (outages, a monthly billing run, a double
charge) that add volume to one topic. `draw_daily_counts` turns that into conversation counts.
"""

from __future__ import annotations

import calendar
from datetime import timedelta

import numpy as np

import cockpit.demo.phrases as ph
from cockpit.demo.world import TOPICS, World


def _day_factors(world: World) -> np.ndarray:
    """(A, D) relative volume: weekly seasonality, growth, onboarding, holidays, noise."""
    days = np.arange(world.n_days)
    dates = [world.start + timedelta(days=int(d)) for d in days]
    weekday = np.array([d.weekday() for d in dates])
    month = np.array([d.month for d in dates])
    week_profile = {
        "default": [1.08, 1.05, 1.0, 1.0, 0.93, 0.55, 0.48],
        "gaming": [0.95, 0.92, 0.93, 0.95, 1.0, 0.9, 0.88],
        "healthcare": [1.15, 1.05, 1.0, 1.0, 0.9, 0.35, 0.3],
    }
    f = np.empty((len(world.ids), world.n_days))
    for a in range(len(world.ids)):
        vname = ph.VERTICALS[world.vertical[a]]
        wp = np.array(week_profile.get(vname, week_profile["default"]))[weekday]
        seasonal = np.ones(world.n_days)
        if vname == "ecommerce":
            for d, dt in enumerate(dates):
                if dt.month == 11:
                    # Black Friday: the fourth Friday of November, busy into Cyber Monday.
                    fridays = [
                        w for w in calendar.Calendar().itermonthdates(dt.year, 11)
                        if w.month == 11 and w.weekday() == 4
                    ]  # fmt: skip
                    if 0 <= (dt - fridays[3]).days <= 4:
                        seasonal[d] = 1.8
            seasonal[month == 12] *= 1.25
        elif vname == "gaming":
            seasonal[month == 12] *= 1.3
        elif vname == "healthcare":
            seasonal[month == 1] *= 1.15
        growth = 1 + world.growth[a] * days / world.n_days
        ramp = np.clip((days - world.onboard_day[a]) / 21, 0, 1)
        ramp[days < world.onboard_day[a]] = 0
        f[a] = world.weight[a] * wp * seasonal * np.maximum(growth, 0.3) * ramp
    return f


def _spikes(
    world: World, lam: np.ndarray, rng: np.random.Generator
) -> tuple[list[tuple[int, int, int, float]], list[str]]:
    """Extra volume on one topic: outages (`bugs`, `connectivity`) and billing runs."""
    extra: list[tuple[int, int, int, float]] = []  # (day, account, topic index, expected)
    events: list[str] = []
    d_n, a_n = world.n_days, len(world.ids)
    live = [a for a in range(a_n) if world.onboard_day[a] == 0] or list(range(a_n))

    def add(a: int, d0: int, topic: str, profile: list[float], label: str) -> None:
        ti = TOPICS.index(topic)
        for k, m in enumerate(profile):
            if 0 <= d0 + k < d_n:
                extra.append((d0 + k, a, ti, m * lam[a, d0 + k]))
        day = world.start + timedelta(days=max(0, min(d0, d_n - 1)))
        events.append(f"{label}: {world.names[a]} ({world.ids[a]}) from {day.isoformat()}")

    outage = int(rng.choice(live))
    add(outage, d_n - int(rng.integers(25, 55)), "bugs", [2.5, 1.6, 0.8, 0.4, 0.2], "outage")
    gaming = [a for a in live if ph.VERTICALS[world.vertical[a]] == "gaming"]
    if gaming:
        a = int(rng.choice(gaming))
        add(a, int(rng.integers(0, max(1, d_n - 100))), "connectivity", [2.0, 1.2, 0.5], "outage")
    subs = [a for a in live if ph.VERTICALS[world.vertical[a]] in ("saas", "fintech")] or live
    run = int(rng.choice(subs))
    for d in range(d_n):
        if (world.start + timedelta(days=d)).day in (1, 2):
            extra.append((d, run, TOPICS.index("billing"), 0.4 * lam[run, d]))
    events.append(f"monthly billing run: {world.names[run]} ({world.ids[run]})")
    double = int(rng.choice([a for a in live if a != run] or live))
    add(double, d_n - int(rng.integers(8, 30)), "billing", [1.5, 0.8, 0.3], "double charge")
    return extra, events


def draw_daily_counts(
    world: World, conversations: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Cells (day, account, forced topic or -1) sorted by day, and their conversation counts."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    lam = _day_factors(world) * rng.gamma(40, 1 / 40, (len(world.ids), world.n_days))
    extra, events = _spikes(world, lam, rng)
    a_n, d_n = lam.shape
    day = np.tile(np.arange(d_n), a_n)
    acc = np.repeat(np.arange(a_n), d_n)
    topic = np.full(a_n * d_n, -1)
    weight = lam.ravel()
    if extra:
        e = np.array(extra)
        day = np.concatenate([day, e[:, 0].astype(int)])
        acc = np.concatenate([acc, e[:, 1].astype(int)])
        topic = np.concatenate([topic, e[:, 2].astype(int)])
        weight = np.concatenate([weight, e[:, 3]])
    order = np.lexsort((topic, acc, day))
    day, acc, topic, weight = day[order], acc[order], topic[order], weight[order]
    counts = rng.multinomial(conversations, weight / weight.sum())
    return day, acc, topic, counts, events
