"""Slot values for demo messages: names, e-mails, phones, order numbers, amounts, dates, cards.

`Slots` renders the values of `{slot}` fields in `demo_phrases` templates, vectorised over the
rows of one chunk; person slots (name, e-mail, phone) stay consistent within a row. Card-like
numbers are Luhn-valid for `LUHN_VALID_SHARE` of them, so the privacy scrubber has both kinds.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

import cockpit.demo.phrases as ph
from cockpit.demo.params import LUHN_VALID_SHARE

S = np.dtypes.StringDType()


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


def build_date_tables(start: date, n_days: int, back: int) -> tuple[np.ndarray, int]:
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


class Slots:
    """Renders slot values for the rows of one chunk (person slots are consistent per row)."""

    def __init__(
        self,
        rng: np.random.Generator,
        vertical: np.ndarray,
        day: np.ndarray,
        dates: tuple[np.ndarray, int],
    ) -> None:
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
