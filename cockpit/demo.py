"""Deterministic demo workspace: believable accounts, conversations and a hidden truth.

`generate(out_dir, ...)` writes contract-shaped Parquet files (accounts, conversations, messages,
setup), a CSV of deliberately bad rows (`conversations_late_export.csv`), and three hidden-truth
files (`demo_truth`, `demo_truth_cells`, `demo_conversation_truth`). Same arguments → identical
files: every random draw comes from `numpy.random.SeedSequence([seed, stream, ...])` and the
calendar is fixed by `end_date` (never the wall clock). Conversations are generated in day-aligned
chunks of about `CHUNK_SIZE` rows and written as Parquet row groups, so memory stays bounded.

How outcomes arise. Each account has, for every cell (automation_type, topic_id) of its vertical,
an enabler (`contract.ENABLER_FOR_TYPE[type]`) that goes live on `live_since` (before the period,
during it, or never). A conversation in cell c of account a on day d:
- is involved with the AI with probability π(a, channel) (lower on phone);
- has an unknown outcome (resolved_by NULL) with probability q = UNKNOWN_OUTCOME_RATE;
- otherwise, if involved, is resolved by the AI with probability p_live(a, c) when the enabler
  is live on d, else p_base(a, c); failures are mostly handed over to a human.

Truth formula. With W_a the account's conversations in the last `TRUTH_WINDOW_DAYS` days
(created_at date in [end_date − 89, end_date]):

    achievable_automation_rate(a) = (1/|W_a|) Σ_{i ∈ W_a} (1 − q) · π(a, channel_i) · p_live(a, c_i)
                                  = Σ_c share_a(c) · (1 − q) · mean_{i ∈ W_a, c_i = c} π(a, channel_i) · p_live(a, c)

i.e. the expected share of all conversations (unknown outcomes included in the denominator)
resolved by the AI if every enabler were live, in the account's last-90-day mix.
`automation_rate_end(a)` = |{i ∈ W_a : resolved_by = 'ai'}| / |W_a| (realised).
`demo_truth_cells.share` = the cell's share of W_a; `live_since` NULL = never deployed.

`build_demo(settings, ...)` generates into `settings.home / "demo"`, ingests the contract files,
loads the truth tables and runs the refresh when `pipelines.refresh` is available.
"""

from __future__ import annotations

import calendar
import csv
import logging
import re
import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cockpit import contract
from cockpit import demo_phrases as ph

log = logging.getLogger(__name__)

CHUNK_SIZE = 100_000
TRUTH_WINDOW_DAYS = 90
UNKNOWN_OUTCOME_RATE = 0.02
CSAT_RATE = 0.30
MULTI_TURN_RATE = 0.10
TYPO_RATE = 0.06
LOWERCASE_RATE = 0.08
LUHN_VALID_SHARE = 0.6
KNOWN_SETUP_SHARE = 0.5
CHANNELS = ("chat", "email", "phone", "social")
TYPES = contract.AUTOMATION_TYPES
TOPICS = ph.SHARED_TOPICS + tuple(t for v in ph.VERTICALS for t in ph.VERTICAL_TOPICS[v])
CELLS = tuple((ty, t) for t in TOPICS for ty in TYPES)  # global cell index = topic * 3 + type
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_UTC_OFFSET_H = (-6, 1, 8, -4)
LANGS = ("en", "es", "pt", "de", "fr")
# Deliberately bad rows in conversations_late_export.csv (what each one should trip).
LATE_EXPORT_PROBLEMS = (
    "unknown account",
    "unknown account",
    "unknown account",
    "bad date",
    "bad date",
    "csat 9",
    "csat 9",
    "empty text",
    "empty text",
    "invalid resolved_by",
)

S = np.dtypes.StringDType()
_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class DemoFiles:
    """Where `generate` wrote each file, and what it holds."""

    directory: Path
    accounts: Path
    conversations: Path
    messages: Path
    setup: Path
    late_export: Path
    truth: Path
    truth_cells: Path
    conversation_truth: Path
    n_accounts: int
    n_conversations: int
    n_messages: int
    n_setup: int
    start: date
    end: date
    events: tuple[str, ...] = field(default=())

    @property
    def contract_paths(self) -> list[Path]:
        """The files `cockpit ingest` understands, parents first."""
        return [self.accounts, self.conversations, self.messages, self.setup, self.late_export]


# ------------------------------------------------------------------------------- the world


@dataclass
class _World:
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


NEVER = 10**6


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


def _build_world(accounts: int, months: int, seed: int, end_date: date) -> _World:
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
        base = np.array([ph.TOPIC_WEIGHT[t] for t in topics], dtype=float)
        tshare = rng.dirichlet(base / base.sum() * 40)
        for t, s in zip(topics, tshare, strict=True):
            ti = TOPICS.index(t)
            tmix = rng.dirichlet(np.array(ph.TYPE_MIX[t]) * 60 + 0.5)
            mix[a, ti * 3 : ti * 3 + 3] = s * tmix
    mix_cum = np.cumsum(mix, axis=1)
    mix_cum[:, -1] = 1.0

    # Cell quality: per (vertical, cell) base plus account noise (sd 3 points).
    base_live = np.zeros((len(ph.VERTICALS), n_cells))
    base_base = np.zeros_like(base_live)
    for ci, (ty, _t) in enumerate(CELLS):
        lo, hi = ph.P_LIVE_RANGE[ty]
        base_live[:, ci] = rng.uniform(lo, hi, len(ph.VERTICALS))
        lo, hi = ph.P_BASE_RANGE[ty]
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
    return _World(
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


# ------------------------------------------------------------------------------- volume


def _day_factors(world: _World) -> np.ndarray:
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
    world: _World, lam: np.ndarray, rng: np.random.Generator
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


def _daily_counts(world: _World, conversations: int, seed: int):
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


# ------------------------------------------------------------------------------- text


def _parse(template: str) -> list[tuple[str, str | None]]:
    return [(lit, f) for lit, f, _spec, _conv in _FORMATTER.parse(template)]


def _ascii(s: str) -> str:
    return s.lower().replace("ü", "ue").replace("ö", "oe").replace("ä", "ae").replace("'", "")


def _fill_pattern(pattern: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Vectorised: '#' → random digit, 'A' → random capital letter."""
    raw = np.frombuffer(pattern.encode("ascii"), dtype=np.uint8)
    m = np.tile(raw, (n, 1))
    digits = raw == ord("#")
    letters = raw == ord("A")
    m[:, digits] = rng.integers(48, 58, (n, int(digits.sum())), dtype=np.uint8)
    m[:, letters] = rng.integers(65, 91, (n, int(letters.sum())), dtype=np.uint8)
    return np.ascontiguousarray(m).view(f"S{len(raw)}").ravel().astype(S)


def luhn_valid(number: str) -> bool:
    """True when the digits of `number` pass the Luhn check (spaces and dashes ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return len(digits) >= 12 and total % 10 == 0


def _cards(n: int, rng: np.random.Generator) -> np.ndarray:
    """16-digit card-like numbers, LUHN_VALID_SHARE of them Luhn-valid, in mixed formats."""
    d = rng.integers(0, 10, (n, 16))
    visa = rng.random(n) < 0.6
    d[:, 0] = np.where(visa, 4, 5)
    d[~visa, 1] = rng.integers(1, 6, int((~visa).sum()))
    payload = d[:, :15].copy()
    payload[:, ::2] *= 2
    payload[payload > 9] -= 9
    check = (10 - payload.sum(axis=1) % 10) % 10
    valid = rng.random(n) < LUHN_VALID_SHARE
    d[:, 15] = np.where(valid, check, (check + rng.integers(1, 10, n)) % 10)
    style = rng.integers(0, 3, n)  # spaced, plain, dashed
    m = np.full((n, 19), ord(" "), dtype=np.uint8)
    pos = np.array([0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13, 15, 16, 17, 18])
    m[:, pos] = d + 48
    m[style == 2, 4::5] = ord("-")
    out = np.ascontiguousarray(m).view("S19").ravel().astype(S)
    plain = np.ascontiguousarray((d + 48).astype(np.uint8)).view("S16").ravel().astype(S)
    return np.where(style == 1, plain, out)


def _date_tables(start: date, n_days: int, back: int) -> tuple[np.ndarray, int]:
    """(formats, days) table of how customers write dates, indexed by day + back."""
    fmts = []
    days = [start + timedelta(days=k - back) for k in range(n_days + back)]
    fmts.append([f"{d:%B} {d.day}" for d in days])
    fmts.append([f"{d.day} {d:%B}" for d in days])
    fmts.append([f"{d:%m/%d}" for d in days])
    fmts.append([f"{d:%d.%m.%Y}" for d in days])
    fmts.append([d.isoformat() for d in days])
    fmts.append([f"{d:%a} {d:%b} {d.day}" for d in days])
    fmts.append([f"the {d.day}{_ordinal(d.day)}" for d in days])
    return np.array(fmts, dtype=S), back


def _ordinal(n: int) -> str:
    if 11 <= n % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


class _Slots:
    """Renders slot values for the rows of one chunk (person slots are consistent per row)."""

    def __init__(self, rng, vertical, day, dates: tuple[np.ndarray, int]):
        self.rng, self.vertical, self.day = rng, vertical, day
        self.dates, self.back = dates
        n = len(day)
        self._first = rng.integers(0, len(ph.FIRST_NAMES), n)
        self._last = rng.integers(0, len(ph.LAST_NAMES), n)
        self._person: dict[str, np.ndarray] = {}

    def person(self, kind: str) -> np.ndarray:
        if kind not in self._person:
            rng, n = self.rng, len(self.day)
            if kind == "name":
                val = np.array(ph.FIRST_NAMES, dtype=S)[self._first]
            elif kind == "last":
                val = np.array(ph.LAST_NAMES, dtype=S)[self._last]
            elif kind == "email":
                first = np.array([_ascii(x) for x in ph.FIRST_NAMES], dtype=S)[self._first]
                last = np.array([_ascii(x) for x in ph.LAST_NAMES], dtype=S)[self._last]
                sep = np.array([".", "_", "", "."], dtype=S)[rng.integers(0, 4, n)]
                num = np.where(
                    rng.random(n) < 0.4, rng.integers(1, 99, n).astype(S), np.array("", dtype=S)
                )
                dom = np.array(ph.EMAIL_DOMAINS, dtype=S)[rng.integers(0, len(ph.EMAIL_DOMAINS), n)]
                val = first + sep + last + num + "@" + dom
            else:  # phone
                val = self.pattern("phone", np.arange(n))
            self._person[kind] = val
        return self._person[kind]

    def pattern(self, kind: str, rows: np.ndarray) -> np.ndarray:
        pats = ph.PATTERNS[kind]
        which = self.rng.integers(0, len(pats), len(rows))
        out = np.full(len(rows), "", dtype=S)
        for k, p in enumerate(pats):
            sel = which == k
            if sel.any():
                out[sel] = _fill_pattern(p, int(sel.sum()), self.rng)
        return out

    def values(self, kind: str, rows: np.ndarray) -> np.ndarray:
        rng, n = self.rng, len(rows)
        if kind in ("name", "last", "email", "phone"):
            return self.person(kind)[rows]
        if kind in ph.CHOICES:
            arr = np.array(ph.CHOICES[kind], dtype=S)
            return arr[rng.integers(0, len(arr), n)]
        if kind in ph.VERTICAL_CHOICES:
            table = ph.VERTICAL_CHOICES[kind]
            flat = np.array([x for v in ph.VERTICALS for x in table[v]], dtype=S)
            counts = np.array([len(table[v]) for v in ph.VERTICALS])
            offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
            v = self.vertical[rows]
            return flat[offsets[v] + (rng.random(n) * counts[v]).astype(int)]
        if kind in ph.PATTERNS:
            return self.pattern(kind, rows)
        if kind == "amount":
            cents = np.clip(np.round(rng.lognormal(np.log(45), 0.9, n) * 100), 100, 900_000)
            cents = cents.astype(np.int64)
            cents[rng.random(n) < 0.3] //= 100
            cents[cents < 100] *= 100
            sym = np.array(["$", "$", "€", "£"], dtype=S)[rng.integers(0, 4, n)]
            whole = (cents // 100).astype(S)
            frac = np.strings.zfill((cents % 100).astype(S), 2)
            return np.where(cents % 100 == 0, sym + whole, sym + whole + "." + frac)
        if kind == "date":
            back = rng.integers(0, 21, n)
            idx = self.day[rows] - back + self.back
            fmt = rng.integers(0, self.dates.shape[0], n)
            out = self.dates[fmt, idx]
            out = np.where(back == 1, np.array("yesterday", dtype=S), out)
            return out
        if kind == "dob":
            days = rng.integers(-10_950, 12_800, n)  # 1940 … 2005
            iso = np.datetime_as_string(np.datetime64("1970-01-01") + days, unit="D").astype(S)
            return iso
        if kind == "card":
            return _cards(n, rng)
        if kind == "days":
            return rng.integers(2, 15, n).astype(S)
        if kind == "level":
            return rng.integers(3, 120, n).astype(S)
        raise KeyError(f"unknown slot {{{kind}}}")


def _render(parsed: list, idx: np.ndarray, slots: _Slots) -> np.ndarray:
    """Fill template `idx[i]` for every row, one vectorised pass per template."""
    out = np.full(len(idx), "", dtype=S)
    order = np.argsort(idx, kind="stable")
    uniq, first = np.unique(idx[order], return_index=True)
    bounds = list(first) + [len(idx)]
    for k, t in enumerate(uniq):
        rows = order[bounds[k] : bounds[k + 1]]
        val = np.full(len(rows), "", dtype=S)
        cache: dict[str, np.ndarray] = {}
        for lit, fld in parsed[t]:
            if lit:
                val = val + lit
            if fld:
                if fld not in cache:
                    cache[fld] = slots.values(fld, rows)
                val = val + cache[fld]
        out[rows] = val
    return out


_STRIP = re.compile(r"[,!?;:—]+|\.(?=\s|$)|'")


def _lowercase_sloppy(s: str) -> str:
    return re.sub(r"\s+", " ", _STRIP.sub("", s.lower())).strip()


def _typo(s: str, r1: float, r2: float) -> str:
    """Swap two adjacent letters (or drop one) in a plain word chosen by r1."""
    words = s.split(" ")
    cand = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not cand:
        return s
    i = cand[int(r1 * len(cand))]
    w = words[i]
    j = 1 + int(r2 * (len(w) - 2))
    words[i] = w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :] if r2 < 0.6 else w[:j] + w[j + 1 :]
    return " ".join(words)


@dataclass(frozen=True)
class _Templates:
    parsed: list
    cell_start: np.ndarray
    cell_count: np.ndarray
    foreign: dict  # (lang index, cell index) -> (start, count)
    openers: list
    closers: list
    opener_lower: np.ndarray  # the body's first letter is lower-cased after this opener
    person_slots: np.ndarray  # bit mask of {email}, {phone} used by each body template
    closer_person_slots: np.ndarray


def _templates() -> _Templates:
    texts: list[str] = []
    start = np.zeros(len(CELLS), dtype=np.int64)
    count = np.zeros(len(CELLS), dtype=np.int64)
    for ci, (ty, t) in enumerate(CELLS):
        start[ci], count[ci] = len(texts), len(ph.PHRASES[t][ty])
        texts += ph.PHRASES[t][ty]
    foreign = {}
    for (lang, t, ty), lst in ph.NON_ENGLISH.items():
        foreign[(LANGS.index(lang), TOPICS.index(t) * 3 + TYPES.index(ty))] = (len(texts), len(lst))
        texts += lst
    lower = np.array([o.endswith((",", "—")) or o == "hey" for o in ph.OPENERS])

    def person_bits(text: str) -> int:
        return ("{email}" in text) * 1 + ("{phone}" in text) * 2

    return _Templates(
        parsed=[_parse(x) for x in texts],
        cell_start=start,
        cell_count=count,
        foreign=foreign,
        openers=[_parse(x) for x in ph.OPENERS],
        closers=[_parse(x) for x in ph.CLOSERS],
        opener_lower=lower,
        person_slots=np.array([person_bits(x) for x in texts]),
        closer_person_slots=np.array([person_bits(x) for x in ph.CLOSERS]),
    )


def pattern_count() -> int:
    """How many distinct message templates the phrase bank holds (English and other)."""
    return len({x for t in ph.PHRASES.values() for v in t.values() for x in v}) + sum(
        len(v) for v in ph.NON_ENGLISH.values()
    )


# ------------------------------------------------------------------------------- chunks

_HOUR_PROFILE = np.array(
    [0.6, 0.4, 0.3, 0.25, 0.25, 0.4, 0.8, 1.5, 2.6, 3.4, 3.7, 3.6,
     3.2, 3.4, 3.5, 3.3, 3.0, 2.6, 2.2, 2.0, 1.9, 1.7, 1.3, 0.9]
)  # fmt: skip
_CSAT_P = {  # P(csat = 1..5) by outcome class
    "ai": [0.03, 0.04, 0.10, 0.33, 0.50],
    "ai_failed": [0.22, 0.20, 0.25, 0.20, 0.13],
    "human": [0.03, 0.04, 0.10, 0.35, 0.48],
    "none": [0.35, 0.25, 0.20, 0.12, 0.08],
}
_HANDLE_MEDIAN_MIN = np.array([5.0, 8.0, 13.0])  # by automation type
_RB_AI, _RB_HUMAN, _RB_NONE, _RB_UNKNOWN = 0, 1, 2, 3
_RESOLVED_BY = np.array(["ai", "human", "none", ""], dtype=object)

CONVERSATION_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.string()),
        ("account_id", pa.string()),
        ("created_at", pa.timestamp("us")),
        ("text", pa.string()),
        ("channel", pa.string()),
        ("ai_involved", pa.bool_()),
        ("resolved_by", pa.string()),
        ("handed_over", pa.bool_()),
        ("handle_time_minutes", pa.float64()),
        ("csat", pa.int32()),
        ("language", pa.string()),
    ]
)
MESSAGE_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.string()),
        ("sent_at", pa.timestamp("us")),
        ("author", pa.string()),
        ("body", pa.string()),
    ]
)
CONVERSATION_TRUTH_SCHEMA = pa.schema(
    [("conversation_id", pa.string()), ("automation_type", pa.string()), ("topic_id", pa.string())]
)


def _groups(keys: np.ndarray):
    """Yield (key, row indices) for each distinct key, in key order."""
    order = np.argsort(keys, kind="stable")
    uniq, first = np.unique(keys[order], return_index=True)
    bounds = list(first) + [len(keys)]
    for k, key in enumerate(uniq):
        yield int(key), order[bounds[k] : bounds[k + 1]]


def _pick(cum_rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cum_rows, u, side="right"), len(cum_rows) - 1)


def _conversation_chunk(world, tpl, dates, day, acc, forced, rng, offset: int) -> dict[str, Any]:
    """Everything about one chunk's conversations, sorted by created_at."""
    n = len(day)
    cell = np.empty(n, dtype=np.int64)
    channel = np.empty(n, dtype=np.int64)
    u_cell, u_ch = rng.random(n), rng.random(n)
    for a, rows in _groups(acc):
        free = rows[forced[rows] < 0]
        cell[free] = _pick(world.mix_cum[a], u_cell[free])
        for ti, trows in _groups(forced[rows]):
            if ti < 0:
                continue
            r = rows[trows]
            tm = world.mix[a, ti * 3 : ti * 3 + 3]
            cell[r] = ti * 3 + _pick(np.cumsum(tm / tm.sum()), u_cell[r])
        channel[rows] = _pick(world.channel_cum[a], u_ch[rows])
    vertical = world.vertical[acc]
    region = world.region[acc]
    ty = cell % 3

    # Local time of day → UTC (the calendar day stays the account's local day).
    hour = rng.choice(24, size=n, p=_HOUR_PROFILE / _HOUR_PROFILE.sum())
    hour = np.where(vertical == ph.VERTICALS.index("gaming"), (hour + 3) % 24, hour)
    local = hour * 3600 + rng.integers(0, 3600, n)
    secs = (local - np.array(REGION_UTC_OFFSET_H)[region] * 3600) % 86400

    live = world.live_day[acc, cell] <= day
    p = np.where(live, world.p_live[acc, cell], world.p_base[acc, cell])
    pi = world.involvement[acc, channel]
    involved = rng.random(n) < pi
    unknown = rng.random(n) < UNKNOWN_OUTCOME_RATE
    ai_res = involved & ~unknown & (rng.random(n) < p)
    u_out = rng.random(n)
    handed = involved & ~ai_res & (u_out < 0.9)
    rb = np.full(n, _RB_NONE)
    rb[ai_res] = _RB_AI
    rb[~involved & (u_out < 0.92)] = _RB_HUMAN
    rb[handed & (rng.random(n) < 0.93)] = _RB_HUMAN
    rb[unknown] = _RB_UNKNOWN

    ch_factor = np.array([1.0, 1.3, 1.2, 0.9])[channel]
    handle = np.round(rng.lognormal(np.log(_HANDLE_MEDIAN_MIN[ty] * ch_factor), 0.55), 1)
    handle_mask = rb != _RB_HUMAN  # pyarrow mask: True = null
    klass = np.where(
        rb == _RB_AI, 0, np.where(rb == _RB_HUMAN, 2, np.where(involved, 1, 3))
    )  # ai, ai_failed, human, none
    csat = np.zeros(n, dtype=np.int32)
    u_cs = rng.random(n)
    for k, name in enumerate(("ai", "ai_failed", "human", "none")):
        sel = klass == k
        csat[sel] = 1 + _pick(np.cumsum(_CSAT_P[name]), u_cs[sel])
    csat_mask = (rng.random(n) >= CSAT_RATE) | (rb == _RB_UNKNOWN)

    # Language: some EMEA/LATAM customers write in their own language where we have phrases.
    lang = np.zeros(n, dtype=np.int64)
    u_lang = rng.random(n)
    lang[(region == 1) & (u_lang < 0.04)] = LANGS.index("de")
    lang[(region == 1) & (u_lang >= 0.04) & (u_lang < 0.07)] = LANGS.index("fr")
    lang[(region == 3) & (u_lang < 0.10)] = LANGS.index("es")
    lang[(region == 3) & (u_lang >= 0.10) & (u_lang < 0.14)] = LANGS.index("pt")
    u_t = rng.random(n)
    tmpl = tpl.cell_start[cell] + (u_t * tpl.cell_count[cell]).astype(np.int64)
    foreign = np.zeros(n, dtype=bool)
    for li in range(1, len(LANGS)):
        for (fl, fc), (fs, fn) in tpl.foreign.items():
            if fl != li:
                continue
            sel = (lang == li) & (cell == fc)
            tmpl[sel] = fs + (u_t[sel] * fn).astype(np.int64)
            foreign |= sel
    lang[~foreign] = 0

    slots = _Slots(rng, vertical, day, dates)
    body = _render(tpl.parsed, tmpl, slots)
    op = rng.integers(0, len(tpl.openers), n)
    cl = rng.integers(0, len(tpl.closers), n)
    op[foreign] = 0
    cl[foreign] = 0
    # A closer repeating the body's e-mail or phone ("My email is …") reads wrong: drop it.
    cl[tpl.person_slots[tmpl] & tpl.closer_person_slots[cl] != 0] = 0
    opener = _render(tpl.openers, op, slots)
    closer = _render(tpl.closers, cl, slots)
    low = tpl.opener_lower[op] & ~np.strings.startswith(body, "I ")
    low &= ~np.strings.startswith(body, "I'")
    body = np.where(
        low, np.strings.lower(np.strings.slice(body, 0, 1)) + np.strings.slice(body, 1, None), body
    )
    sep2 = np.where(rng.random(n) < 0.3, np.array("\n", dtype=S), np.array(" ", dtype=S))
    text = np.where(np.strings.str_len(opener) > 0, opener + " " + body, body)
    text = np.where(np.strings.str_len(closer) > 0, text + sep2 + closer, text)
    u_low, u_typo, r1, r2 = rng.random(n), rng.random(n), rng.random(n), rng.random(n)
    sloppy = np.flatnonzero((u_low < LOWERCASE_RATE) & ~foreign)
    if len(sloppy):
        text[sloppy] = [_lowercase_sloppy(s) for s in text[sloppy].tolist()]
    typo = np.flatnonzero((u_typo < TYPO_RATE) & ~foreign)
    if len(typo):
        text[typo] = [
            _typo(s, a, b) for s, a, b in zip(text[typo].tolist(), r1[typo], r2[typo], strict=True)
        ]

    created = day.astype(np.int64) * 86400 + secs
    order = np.lexsort((acc, created))
    ids = "conv_" + np.strings.zfill((offset + np.arange(n)).astype(S), 8)
    cols = dict(
        day=day, acc=acc, cell=cell, channel=channel, created=created, text=text,
        involved=involved, rb=rb, handed=handed, unknown=unknown, handle=handle,
        handle_mask=handle_mask, csat=csat, csat_mask=csat_mask, lang=lang, pi=pi,
        name=slots.person("name"),
    )  # fmt: skip
    cols = {k: v[order] for k, v in cols.items()}
    cols["id"] = ids
    return cols


def _conversation_table(world, c, start_s: int) -> pa.Table:
    rb = c["rb"]
    unknown = rb == _RB_UNKNOWN
    return pa.table(
        {
            "conversation_id": pa.array(c["id"]),
            "account_id": pa.array(world.ids[c["acc"]].tolist(), pa.string()),
            "created_at": pa.array((start_s + c["created"]) * 1_000_000, pa.timestamp("us")),
            "text": pa.array(c["text"]),
            "channel": pa.array(np.array(CHANNELS, dtype=object)[c["channel"]].tolist()),
            "ai_involved": pa.array(c["involved"]),
            "resolved_by": pa.array(_RESOLVED_BY[rb].tolist(), pa.string(), mask=unknown),
            "handed_over": pa.array(c["handed"], mask=unknown),
            "handle_time_minutes": pa.array(c["handle"], mask=c["handle_mask"]),
            "csat": pa.array(c["csat"], mask=c["csat_mask"]),
            "language": pa.array(np.array(LANGS, dtype=object)[c["lang"]].tolist()),
        },
        schema=CONVERSATION_SCHEMA,
    )


def _messages_table(c, rng, start_s: int) -> pa.Table:
    """Multi-turn transcripts for ~MULTI_TURN_RATE of the chunk (more on chat)."""
    n = len(c["id"])
    rate = np.where(c["channel"] == 0, MULTI_TURN_RATE * 1.4, MULTI_TURN_RATE * 0.5)
    rows = np.flatnonzero(rng.random(n) < rate)
    picks = rng.integers(0, 1000, (len(rows), 6))
    gaps = rng.integers(40, 360, (len(rows), 5))
    cid, at, author, body = [], [], [], []
    for k, i in enumerate(rows.tolist()):
        t = int(start_s + c["created"][i])
        ty = TYPES[int(c["cell"][i]) % 3]
        turns = [("customer", str(c["text"][i]))]
        rb, involved = int(c["rb"][i]), bool(c["involved"][i])
        pk = picks[k]
        if involved:
            turns.append(("ai", ph.AI_REPLIES[ty][pk[0] % len(ph.AI_REPLIES[ty])]))
            if rb == _RB_AI:
                if ty == "action":
                    turns.append(("customer", ph.CUSTOMER_CONFIRM[pk[1] % 4]))
                    turns.append(("ai", "Done — it's all taken care of."))
                turns.append(("customer", ph.CUSTOMER_RESOLVED[pk[2] % 4]))
            elif rb != _RB_UNKNOWN:
                turns.append(("customer", ph.CUSTOMER_UNRESOLVED[pk[2] % 5]))
                if c["handed"][i]:
                    turns.append(("ai", ph.AI_HANDOVER[pk[3] % 3]))
        if rb == _RB_HUMAN:
            reply = ph.AGENT_REPLIES[pk[4] % 3].format(
                name=str(c["name"][i]), agent=ph.AGENTS[pk[5] % len(ph.AGENTS)]
            )
            turns.append(("agent", reply))
        for j, (who, msg) in enumerate(turns):
            cid.append(c["id"][i])
            at.append(t + (int(gaps[k, :j].sum()) if j else 0))
            author.append(who)
            body.append(msg)
    return pa.table(
        {
            "conversation_id": pa.array(cid, pa.string()),
            "sent_at": pa.array(np.array(at, dtype=np.int64) * 1_000_000, pa.timestamp("us")),
            "author": pa.array(author, pa.string()),
            "body": pa.array(body, pa.string()),
        },
        schema=MESSAGE_SCHEMA,
    )


# ------------------------------------------------------------------------------- small tables


def _accounts_table(world: _World) -> pa.Table:
    return pa.table(
        {
            "account_id": pa.array(world.ids.tolist(), pa.string()),
            "name": pa.array(world.names, pa.string()),
            "vertical": pa.array([ph.VERTICALS[v] for v in world.vertical], pa.string()),
            "plan": pa.array(world.plan, pa.string()),
            "arr_usd": pa.array(world.arr, pa.float64()),
            "csm": pa.array(world.csm, pa.string()),
            "region": pa.array([REGIONS[r] for r in world.region], pa.string()),
            "renewal_date": pa.array(world.renewal, pa.date32()),
        }
    )


def _live_since(world: _World, a: int, ci: int) -> date | None:
    d = int(world.live_day[a, ci])
    return None if d >= NEVER else world.start + timedelta(days=d)


def _setup_table(world: _World, rng: np.random.Generator) -> pa.Table:
    """Enablers live by the end, for the accounts whose setup is known (~5% without a date)."""
    rows: dict[str, list] = {"account_id": [], "enabler": [], "topic_id": [], "live_since": []}
    for a in np.flatnonzero(world.known_setup):
        for ci, (ty, topic) in enumerate(CELLS):
            if world.mix[a, ci] <= 0 or world.live_day[a, ci] >= world.n_days:
                continue
            rows["account_id"].append(world.ids[a])
            rows["enabler"].append(contract.ENABLER_FOR_TYPE[ty])
            rows["topic_id"].append(topic)
            rows["live_since"].append(None if rng.random() < 0.05 else _live_since(world, a, ci))
    return pa.table(
        {
            "account_id": pa.array(rows["account_id"], pa.string()),
            "enabler": pa.array(rows["enabler"], pa.string()),
            "topic_id": pa.array(rows["topic_id"], pa.string()),
            "live_since": pa.array(rows["live_since"], pa.date32()),
        }
    )


def _truth_tables(world: _World, win_n, win_ai, win_exp, win_cells) -> tuple[pa.Table, pa.Table]:
    with np.errstate(invalid="ignore", divide="ignore"):
        achievable = win_exp / win_n
        realised = win_ai / win_n
        share = win_cells / win_n[:, None]
    truth = pa.table(
        {
            "account_id": pa.array(world.ids.tolist(), pa.string()),
            "achievable_automation_rate": pa.array(achievable, pa.float64(), from_pandas=True),
            "automation_rate_end": pa.array(realised, pa.float64(), from_pandas=True),
        }
    )
    cols: dict[str, list] = {k: [] for k in ("a", "ty", "t", "share", "live", "base", "since")}
    for a in range(len(world.ids)):
        for ci, (ty, topic) in enumerate(CELLS):
            if world.mix[a, ci] <= 0:
                continue
            cols["a"].append(world.ids[a])
            cols["ty"].append(ty)
            cols["t"].append(topic)
            cols["share"].append(float(share[a, ci]) if win_n[a] else None)
            cols["live"].append(float(world.p_live[a, ci]))
            cols["base"].append(float(world.p_base[a, ci]))
            cols["since"].append(_live_since(world, a, ci))
    cells = pa.table(
        {
            "account_id": pa.array(cols["a"], pa.string()),
            "automation_type": pa.array(cols["ty"], pa.string()),
            "topic_id": pa.array(cols["t"], pa.string()),
            "share": pa.array(cols["share"], pa.float64()),
            "p_live": pa.array(cols["live"], pa.float64()),
            "p_base": pa.array(cols["base"], pa.float64()),
            "live_since": pa.array(cols["since"], pa.date32()),
        }
    )
    return truth, cells


def _write_late_export(path: Path, world: _World, end_date: date) -> None:
    """Deliberately bad rows (see LATE_EXPORT_PROBLEMS) so Data health has a quarantine."""
    header = list(contract.CONVERSATIONS.names)
    good = {
        "account_id": world.ids[0],
        "created_at": f"{end_date.isoformat()}T16:20:00",
        "text": "Hi, where is my refund? It's been two weeks.",
        "channel": "email",
        "ai_involved": "true",
        "resolved_by": "human",
        "handed_over": "true",
        "handle_time_minutes": "7.5",
        "csat": "4",
        "language": "en",
    }
    bad = [
        {"account_id": "acc_9999"},
        {"account_id": "acc_9999", "text": "Can't log in since this morning"},
        {"account_id": "ACME-OLD-7"},
        {"created_at": "2026-13-45T10:00:00"},
        {"created_at": "last tuesday"},
        {"csat": "9"},
        {"csat": "9", "text": "great service thanks"},
        {"text": ""},
        {"text": "   "},
        {"resolved_by": "robot"},
    ]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for k, override in enumerate(bad):
            row = {**good, **override, "conversation_id": f"late_{k + 1:04d}"}
            w.writerow([row[c] for c in header])


# ------------------------------------------------------------------------------- public API


def generate(
    out_dir: Path | str,
    accounts: int = 60,
    months: int = 12,
    conversations: int = 40_000,
    seed: int = 7,
    end_date: date = date(2026, 10, 31),
    progress: Any = None,
) -> DemoFiles:
    """Write a deterministic demo workspace (contract files + hidden truth) into `out_dir`.

    `progress` (optional) follows the `start(label, total)` / `advance(n)` / `done()` protocol.
    """
    from cockpit.errors import CockpitError

    for name, value, low in (("accounts", accounts, 1), ("months", months, 1)):
        if value < low:
            raise CockpitError(f"demo {name} must be at least {low}; got {value}.")
    if conversations < accounts:
        raise CockpitError(
            f"demo conversations must be at least the number of accounts ({accounts}); "
            f"got {conversations}. Pass e.g. --conversations {accounts * 500}."
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    world = _build_world(accounts, months, seed, end_date)
    day, acc, forced, counts, events = _daily_counts(world, conversations, seed)
    tpl = _templates()
    dates = _date_tables(world.start, world.n_days, 60)
    start_s = int((world.start - date(1970, 1, 1)).days) * 86400
    a_n, c_n = accounts, len(CELLS)
    window_start = world.n_days - TRUTH_WINDOW_DAYS
    win_n, win_ai, win_exp = np.zeros(a_n), np.zeros(a_n), np.zeros(a_n)
    win_cells = np.zeros(a_n * c_n)

    # Day-aligned chunks: cells are sorted by day, so chunk k covers whole days.
    conv_before = np.concatenate([[0], np.cumsum(counts)])
    day_cell = np.searchsorted(day, np.arange(world.n_days + 1))
    paths = {
        name: out / f"{name}.parquet"
        for name in ("accounts", "conversations", "messages", "setup", "demo_truth",
                     "demo_truth_cells", "demo_conversation_truth")
    }  # fmt: skip
    writers = {
        "conversations": pq.ParquetWriter(paths["conversations"], CONVERSATION_SCHEMA),
        "messages": pq.ParquetWriter(paths["messages"], MESSAGE_SCHEMA),
        "demo_conversation_truth": pq.ParquetWriter(
            paths["demo_conversation_truth"], CONVERSATION_TRUTH_SCHEMA
        ),
    }
    if progress is not None:
        progress.start("Generating demo conversations", conversations)
    n_messages, chunk, d0 = 0, 0, 0
    try:
        while d0 < world.n_days:
            d1 = d0 + 1
            while (
                d1 < world.n_days
                and conv_before[day_cell[d1 + 1]] - conv_before[day_cell[d0]] <= CHUNK_SIZE
            ):
                d1 += 1
            c0, c1 = day_cell[d0], day_cell[d1]
            reps = counts[c0:c1]
            if reps.sum() == 0:
                d0 = d1
                continue
            rng = np.random.default_rng(np.random.SeedSequence([seed, 2, chunk]))
            c = _conversation_chunk(
                world, tpl, dates,
                np.repeat(day[c0:c1], reps), np.repeat(acc[c0:c1], reps),
                np.repeat(forced[c0:c1], reps), rng, int(conv_before[c0]),
            )  # fmt: skip
            writers["conversations"].write_table(_conversation_table(world, c, start_s))
            msgs = _messages_table(c, rng, start_s)
            writers["messages"].write_table(msgs)
            n_messages += msgs.num_rows
            writers["demo_conversation_truth"].write_table(
                pa.table(
                    {
                        "conversation_id": pa.array(c["id"]),
                        "automation_type": pa.array(
                            np.array(TYPES, dtype=object)[c["cell"] % 3].tolist(), pa.string()
                        ),
                        "topic_id": pa.array(
                            np.array(TOPICS, dtype=object)[c["cell"] // 3].tolist(), pa.string()
                        ),
                    },
                    schema=CONVERSATION_TRUTH_SCHEMA,
                )
            )
            w = c["day"] >= window_start
            wa, wc = c["acc"][w], c["cell"][w]
            win_n += np.bincount(wa, minlength=a_n)
            win_ai += np.bincount(wa, weights=(c["rb"][w] == _RB_AI), minlength=a_n)
            expected = (1 - UNKNOWN_OUTCOME_RATE) * c["pi"][w] * world.p_live[wa, wc]
            win_exp += np.bincount(wa, weights=expected, minlength=a_n)
            win_cells += np.bincount(wa * c_n + wc, minlength=a_n * c_n)
            if progress is not None:
                progress.advance(len(c["id"]))
            log.info("Demo - chunk %d: %d conversations", chunk, len(c["id"]))
            chunk += 1
            d0 = d1
    finally:
        for writer in writers.values():
            writer.close()
    if progress is not None:
        progress.done()

    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    pq.write_table(_accounts_table(world), paths["accounts"])
    setup = _setup_table(world, rng)
    pq.write_table(setup, paths["setup"])
    truth, cells = _truth_tables(world, win_n, win_ai, win_exp, win_cells.reshape(a_n, c_n))
    pq.write_table(truth, paths["demo_truth"])
    pq.write_table(cells, paths["demo_truth_cells"])
    late = out / "conversations_late_export.csv"
    _write_late_export(late, world, end_date)
    log.info("Demo - Completed: %d accounts, %d conversations in %s", a_n, conversations, out)
    return DemoFiles(
        directory=out,
        accounts=paths["accounts"],
        conversations=paths["conversations"],
        messages=paths["messages"],
        setup=paths["setup"],
        late_export=late,
        truth=paths["demo_truth"],
        truth_cells=paths["demo_truth_cells"],
        conversation_truth=paths["demo_conversation_truth"],
        n_accounts=a_n,
        n_conversations=int(counts.sum()),
        n_messages=n_messages,
        n_setup=setup.num_rows,
        start=world.start,
        end=end_date,
        events=tuple(events),
    )


TRUTH_TABLES = ("demo_truth", "demo_truth_cells", "demo_conversation_truth")


def build_demo(
    settings,
    accounts: int = 60,
    months: int = 12,
    conversations: int = 40_000,
    seed: int = 7,
    progress: Any = None,
    *,
    end_date: date = date(2026, 10, 31),
    refresh: Any = None,
) -> dict[str, Any]:
    """Generate the demo into `settings.home / "demo"`, ingest it and load the hidden truth.

    `refresh` is called as `refresh(settings)` after the ingest is published (the CLI passes
    `pipelines.refresh.refresh`; `cockpit/` never imports `pipelines/`). Returns a summary dict:
    counts, date range, files, ingest totals and what happened to the refresh.
    """
    from cockpit import store
    from cockpit.ingest import ingest_paths

    files = generate(
        settings.home / "demo", accounts, months, conversations, seed, end_date, progress
    )
    with store.writing(settings, "demo") as con:
        report = ingest_paths(con, [str(p) for p in files.contract_paths], progress=progress)
        for table, path in zip(
            TRUTH_TABLES, (files.truth, files.truth_cells, files.conversation_truth), strict=True
        ):
            escaped = str(path).replace("'", "''")
            con.execute(
                f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_parquet('{escaped}')"
            )
        store.set_meta(con, "demo_seed", str(seed))
    totals = getattr(report, "totals", {})
    result: dict[str, Any] = {
        "accounts": files.n_accounts,
        "conversations": files.n_conversations,
        "messages": files.n_messages,
        "setup_rows": files.n_setup,
        "start": files.start.isoformat(),
        "end": files.end.isoformat(),
        "directory": str(files.directory),
        "database": str(settings.db_path),
        "events": list(files.events),
        "ingest": dict(totals),
        "refresh": "skipped (no refresh given)",
    }
    if refresh is not None:
        outcome = refresh(settings)
        status = getattr(outcome, "status", None)
        result["refresh"] = f"ran: {status}" if status else "ran"
        result["refresh_status"] = status
        result["refresh_error"] = getattr(outcome, "error", None)
    return result
