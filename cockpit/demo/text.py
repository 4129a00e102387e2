"""Demo text: customer messages and transcripts rendered from the `demo_phrases` bank.

`build_templates` parses every phrase once; `render_texts` picks a template per conversation
(by cell and language), fills its slots, adds an opener and a closer, and makes some messages
sloppy (lower-cased, unpunctuated) or misspelt. `build_messages_table` writes multi-turn
transcripts for a share of the conversations.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

import cockpit.demo.phrases as ph
from cockpit.demo.params import LOWERCASE_RATE, MULTI_TURN_RATE, TYPO_RATE
from cockpit.demo.slots import S, Slots
from cockpit.demo.world import CELLS, LANGS, RB_AI, RB_HUMAN, RB_UNKNOWN, TOPICS, TYPES

_FORMATTER = string.Formatter()
MESSAGE_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.string()),
        ("sent_at", pa.timestamp("us")),
        ("author", pa.string()),
        ("body", pa.string()),
    ]
)


def _parse(template: str) -> list[tuple[str, str | None]]:
    return [(lit, f) for lit, f, _spec, _conv in _FORMATTER.parse(template)]


def _render(parsed: list, idx: np.ndarray, slots: Slots) -> np.ndarray:
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
class Templates:
    """The parsed phrase bank: body templates by cell and language, openers and closers."""

    parsed: list
    cell_start: np.ndarray
    cell_count: np.ndarray
    foreign: dict  # (lang index, cell index) -> (start, count)
    openers: list
    closers: list
    opener_lower: np.ndarray  # the body's first letter is lower-cased after this opener
    person_slots: np.ndarray  # bit mask of {email}, {phone} used by each body template
    closer_person_slots: np.ndarray


def build_templates() -> Templates:
    """Parse every body template, opener and closer of the phrase bank once."""
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

    return Templates(
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


def render_texts(
    tpl: Templates,
    dates: tuple[np.ndarray, int],
    rng: np.random.Generator,
    cell: np.ndarray,
    region: np.ndarray,
    vertical: np.ndarray,
    day: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The customer's message for each conversation, its language and the customer's first name."""
    n = len(day)
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

    slots = Slots(rng, vertical, day, dates)
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
    return text, lang, slots.person("name")


def build_messages_table(c: dict[str, Any], rng: np.random.Generator, start_s: int) -> pa.Table:
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
            if rb == RB_AI:
                if ty == "action":
                    turns.append(("customer", ph.CUSTOMER_CONFIRM[pk[1] % 4]))
                    turns.append(("ai", "Done — it's all taken care of."))
                turns.append(("customer", ph.CUSTOMER_RESOLVED[pk[2] % 4]))
            elif rb != RB_UNKNOWN:
                turns.append(("customer", ph.CUSTOMER_UNRESOLVED[pk[2] % 5]))
                if c["handed"][i]:
                    turns.append(("ai", ph.AI_HANDOVER[pk[3] % 3]))
        if rb == RB_HUMAN:
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
