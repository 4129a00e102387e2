"""The demo's world: accounts, their hidden setup and the truth parameters, drawn once per seed.

`build_world` fixes everything about the accounts before a single conversation exists: name,
vertical, region, plan, ARR, CSM and renewal; each account's topic/type mix and channel mix; the
per-cell resolution probabilities p_live / p_base; the day each enabler goes live (`live_day`,
`NEVER` = not deployed); the AI involvement π(a, channel); and whether the setup is known. The
`cockpit.demo` module docstring states how these parameters define the hidden truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

import cockpit.demo.params as params
import cockpit.demo.phrases as ph
from cockpit import contract
from cockpit.demo.params import KNOWN_SETUP_SHARE

CHANNELS = ("chat", "email", "phone", "social")
TYPES = contract.AUTOMATION_TYPES
TOPICS = ph.SHARED_TOPICS + tuple(t for v in ph.VERTICALS for t in ph.VERTICAL_TOPICS[v])
CELLS = tuple((ty, t) for t in TOPICS for ty in TYPES)  # global cell index = topic * 3 + type
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_UTC_OFFSET_H = (-6, 1, 8, -4)
LANGS = ("en", "es", "pt", "de", "fr")
NEVER = 10**6
# resolved_by codes used while generating; RB_UNKNOWN becomes NULL in the contract files.
RB_AI, RB_HUMAN, RB_NONE, RB_UNKNOWN = 0, 1, 2, 3
RESOLVED_BY = np.array(["ai", "human", "none", ""], dtype=object)


@dataclass
class World:
    """Accounts and their hidden setup, drawn once per seed."""

    start: date
    n_days: int
    ids: np.ndarray
    names: list[str]
    vertical: np.ndarray  # index into ph.VERTICALS
    region: np.ndarray
    plan: list[str]
    arr: np.ndarray
    csm: list[str]
    renewal: list[date]
    mix_cum: np.ndarray  # (A, cells) cumulative cell probabilities
    mix: np.ndarray
    live_day: np.ndarray  # (A, cells) day index the enabler goes live; huge = never
    p_live: np.ndarray
    p_base: np.ndarray
    channel_cum: np.ndarray  # (A, 4)
    involvement: np.ndarray  # (A, 4) π(a, channel)
    known_setup: np.ndarray  # bool (A,)
    weight: np.ndarray
    onboard_day: np.ndarray
    growth: np.ndarray


def _period_start(end_date: date, months: int) -> date:
    nxt = end_date + timedelta(days=1)
    m = nxt.month - 1 - months
    y = nxt.year + m // 12
    return date(y, m % 12 + 1, min(nxt.day, 28))


def _company_names(rng: np.random.Generator, vertical: np.ndarray) -> list[str]:
    names: list[str] = []
    used: dict[int, int] = {}
    orders = {
        v: rng.permutation(len(ph.COMPANY_PREFIXES[name]) * len(ph.COMPANY_SUFFIXES[name]))
        for v, name in enumerate(ph.VERTICALS)
    }
    for v in vertical:
        vname = ph.VERTICALS[v]
        pre, suf = ph.COMPANY_PREFIXES[vname], ph.COMPANY_SUFFIXES[vname]
        k = used.get(v, 0)
        used[v] = k + 1
        combo = orders[v][k % len(orders[v])]
        # Walk prefixes first so the same prefix repeats only after all are used.
        name = f"{pre[combo % len(pre)]} {suf[(combo // len(pre) + k) % len(suf)]}"
        if k >= len(orders[v]):
            name += f" {k // len(orders[v]) + 1}"
        names.append(name)
    return names


def build_world(accounts: int, months: int, seed: int, end_date: date) -> World:
    """Draw the accounts and their hidden setup for `months` months ending on `end_date`."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    start = _period_start(end_date, months)
    n_days = (end_date - start).days + 1
    a_n = accounts
    vertical = rng.permutation(np.arange(a_n) % len(ph.VERTICALS))
    region = rng.choice(len(REGIONS), size=a_n, p=[0.45, 0.30, 0.15, 0.10])
    arr = np.clip(rng.lognormal(np.log(120_000), 0.95, a_n), 20_000, 2_000_000)
    arr = np.round(arr / 500) * 500
    plan_noise = rng.normal(0, 0.25, a_n)
    log_arr = np.log10(arr) + plan_noise
    plan = ["starter" if x < 4.75 else "growth" if x < 5.45 else "enterprise" for x in log_arr]
    csm_order = rng.permutation(a_n)
    csm = [""] * a_n
    for k, a in enumerate(csm_order):
        csm[a] = ph.CSMS[k % len(ph.CSMS)]
    renewal = [end_date + timedelta(days=int(d)) for d in rng.integers(7, 366, a_n)]

    # Topic/type mix: vertical topics dominate; per-account Dirichlet noise.
    n_cells = len(CELLS)
    mix = np.zeros((a_n, n_cells))
    for a in range(a_n):
        vname = ph.VERTICALS[vertical[a]]
        topics = ph.SHARED_TOPICS + ph.VERTICAL_TOPICS[vname]
        base = np.array([params.TOPIC_WEIGHT[t] for t in topics], dtype=float)
        tshare = rng.dirichlet(base / base.sum() * 40)
        for t, s in zip(topics, tshare, strict=True):
            ti = TOPICS.index(t)
            tmix = rng.dirichlet(np.array(params.TYPE_MIX[t]) * 60 + 0.5)
            mix[a, ti * 3 : ti * 3 + 3] = s * tmix
    mix_cum = np.cumsum(mix, axis=1)
    mix_cum[:, -1] = 1.0

    # Cell quality: per (vertical, cell) base plus account noise (sd 3 points).
    base_live = np.zeros((len(ph.VERTICALS), n_cells))
    base_base = np.zeros_like(base_live)
    for ci, (ty, _t) in enumerate(CELLS):
        lo, hi = params.P_LIVE_RANGE[ty]
        base_live[:, ci] = rng.uniform(lo, hi, len(ph.VERTICALS))
        lo, hi = params.P_BASE_RANGE[ty]
        base_base[:, ci] = rng.uniform(lo, hi, len(ph.VERTICALS))
    p_live = np.clip(base_live[vertical] + rng.normal(0, 0.03, (a_n, n_cells)), 0.05, 0.97)
    p_base = np.clip(base_base[vertical] + rng.normal(0, 0.015, (a_n, n_cells)), 0.005, 0.4)
    p_base = np.minimum(p_base, p_live - 0.05)

    # Deployment: account maturity m decides how much is live at start / during / never.
    maturity = rng.uniform(0.1, 1.0, a_n)
    u = rng.random((a_n, n_cells))
    p_start = (0.05 + 0.40 * maturity)[:, None]
    p_during = (0.20 + 0.40 * maturity)[:, None]
    live_day = np.full((a_n, n_cells), NEVER, dtype=np.int64)
    at_start = u < p_start
    during = (~at_start) & (u < p_start + p_during)
    live_day[at_start] = -rng.integers(20, 540, int(at_start.sum()))
    live_day[during] = rng.integers(0, n_days, int(during.sum()))

    # Channels and AI involvement (lower on phone).
    ch_base = np.array([0.56, 0.22, 0.12, 0.10])
    ch_vert = {"healthcare": [0.40, 0.20, 0.32, 0.08], "gaming": [0.55, 0.15, 0.03, 0.27]}
    channel = np.zeros((a_n, 4))
    for a in range(a_n):
        b = np.array(ch_vert.get(ph.VERTICALS[vertical[a]], ch_base))
        channel[a] = rng.dirichlet(b * 40)
    channel_cum = np.cumsum(channel, axis=1)
    channel_cum[:, -1] = 1.0
    inv = rng.uniform(0.90, 0.985, a_n)
    involvement = np.stack(
        [inv, inv - 0.01, inv * rng.uniform(0.75, 0.88, a_n), inv - 0.02], axis=1
    )
    known = np.zeros(a_n, dtype=bool)
    known[rng.permutation(a_n)[: int(round(a_n * KNOWN_SETUP_SHARE))]] = True

    weight = (arr / 1e5) ** 0.6 * rng.lognormal(0, 0.8, a_n)
    onboard = np.where(
        rng.random(a_n) < 0.15, rng.integers(int(n_days * 0.1), int(n_days * 0.6) + 1, a_n), 0
    )
    growth = rng.normal(0.15, 0.15, a_n)
    ids = np.array([f"acc_{i + 1:04d}" for i in range(a_n)], dtype=object)
    return World(
        start=start,
        n_days=n_days,
        ids=ids,
        names=_company_names(rng, vertical),
        vertical=vertical,
        region=region,
        plan=plan,
        arr=arr,
        csm=csm,
        renewal=renewal,
        mix_cum=mix_cum,
        mix=mix,
        live_day=live_day,
        p_live=p_live,
        p_base=p_base,
        channel_cum=channel_cum,
        involvement=involvement,
        known_setup=known,
        weight=weight,
        onboard_day=onboard,
        growth=growth,
    )


def live_since(world: World, a: int, ci: int) -> date | None:
    """The day account `a`'s enabler for cell `ci` goes live; None when it is never deployed."""
    d = int(world.live_day[a, ci])
    return None if d >= NEVER else world.start + timedelta(days=d)
