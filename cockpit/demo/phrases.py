"""Phrase bank for the demo generator: the data lives in `phrases.yaml`; this module loads it.

Written independently of the taxonomy (never derived from `cockpit/tagging/taxonomies/*.yaml` or
shared data), because the demo is later used to test the tagger honestly.

`PHRASES[topic_id][automation_type]` holds message templates. `{slot}` placeholders are filled
by `cockpit.demo` (see `SLOTS` for the slots it knows). Vertical topics only ever appear for
accounts of that vertical; shared topics appear everywhere and get vertical flavour from the
vertical-dependent slots ({product}, {app}, {plan}, {feature}).
"""

from __future__ import annotations

from pathlib import Path

import yaml

BANK = Path(__file__).with_name("phrases.yaml")


def _frozen(x):
    """Lists become tuples, all the way down: the bank is read-only."""
    if isinstance(x, dict):
        return {k: _frozen(v) for k, v in x.items()}
    if isinstance(x, list):
        return tuple(_frozen(v) for v in x)
    return x


_BANK = _frozen(yaml.safe_load(BANK.read_text(encoding="utf-8")))

VERTICALS: tuple[str, ...] = _BANK["VERTICALS"]
SHARED_TOPICS: tuple[str, ...] = _BANK["SHARED_TOPICS"]
VERTICAL_TOPICS: dict[str, tuple[str, ...]] = _BANK["VERTICAL_TOPICS"]
PHRASES: dict[str, dict[str, tuple[str, ...]]] = _BANK["PHRASES"]
OPENERS: tuple[str, ...] = _BANK["OPENERS"]
CLOSERS: tuple[str, ...] = _BANK["CLOSERS"]
FIRST_NAMES: tuple[str, ...] = _BANK["FIRST_NAMES"]
LAST_NAMES: tuple[str, ...] = _BANK["LAST_NAMES"]
EMAIL_DOMAINS: tuple[str, ...] = _BANK["EMAIL_DOMAINS"]
CHOICES: dict[str, tuple[str, ...]] = _BANK["CHOICES"]
VERTICAL_CHOICES: dict[str, dict[str, tuple[str, ...]]] = _BANK["VERTICAL_CHOICES"]
PATTERNS: dict[str, tuple[str, ...]] = _BANK["PATTERNS"]
CSMS: tuple[str, ...] = _BANK["CSMS"]
COMPANY_PREFIXES: dict[str, tuple[str, ...]] = _BANK["COMPANY_PREFIXES"]
COMPANY_SUFFIXES: dict[str, tuple[str, ...]] = _BANK["COMPANY_SUFFIXES"]
AI_REPLIES: dict[str, tuple[str, ...]] = _BANK["AI_REPLIES"]
AI_HANDOVER: tuple[str, ...] = _BANK["AI_HANDOVER"]
CUSTOMER_RESOLVED: tuple[str, ...] = _BANK["CUSTOMER_RESOLVED"]
CUSTOMER_UNRESOLVED: tuple[str, ...] = _BANK["CUSTOMER_UNRESOLVED"]
CUSTOMER_CONFIRM: tuple[str, ...] = _BANK["CUSTOMER_CONFIRM"]
AGENT_REPLIES: tuple[str, ...] = _BANK["AGENT_REPLIES"]
AGENTS: tuple[str, ...] = _BANK["AGENTS"]
# A few non-English openings for EMEA/LATAM accounts, keyed (language, topic, type).
NON_ENGLISH: dict[tuple[str, str, str], tuple[str, ...]] = {
    tuple(key.split("/")): texts for key, texts in _BANK["NON_ENGLISH"].items()
}

# Every slot a template may use; `cockpit.demo` renders each kind.
SLOTS = (
    set(CHOICES)
    | set(VERTICAL_CHOICES)
    | set(PATTERNS)
    | {"amount", "date", "dob", "days", "level", "email", "card", "name", "last"}
)
