"""What Cockpit embeds for a conversation, and its content address.

`embed_text`: the customer's own words at the start of a conversation — the opening message,
or, when a transcript is available, the first `MAX_CUSTOMER_TURNS` customer turns (greetings and
one-word turns such as "hi" or a name are skipped when a longer turn exists). Whitespace is
collapsed and the result is cut at `MAX_EMBED_CHARS` characters on a word boundary:
all-MiniLM-L6-v2 reads at most 256 word pieces, roughly 1,000 characters of English, and the
request that decides the tag is at the start anyway.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

MAX_EMBED_CHARS = 1000  # ~256 word pieces of English; longer text would be truncated anyway
MAX_CUSTOMER_TURNS = 3  # the opening request rarely needs more; later turns drift off topic

_WS = re.compile(r"\s+")


def normalise(text: str | None) -> str:
    """Collapse whitespace and strip; None becomes ''."""
    return _WS.sub(" ", text or "").strip()


def truncate(text: str, limit: int = MAX_EMBED_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def embed_text(
    text: str | None,
    customer_turns: Sequence[str] | None = None,
    max_turns: int = MAX_CUSTOMER_TURNS,
) -> str:
    """The text Cockpit embeds for a conversation (see the module docstring for the decision)."""
    turns = [normalise(t) for t in (customer_turns or [])]
    turns = [t for t in turns if t]
    if turns:
        substantial = [t for t in turns if len(t.split()) > 2]
        chosen = (substantial or turns)[:max_turns]
        return truncate(" ".join(chosen))
    return truncate(normalise(text))


def text_hash(s: str) -> str:
    """Content address of an (already normalised) embed text: 32 hex chars of blake2b."""
    return hashlib.blake2b(s.encode("utf-8"), digest_size=16).hexdigest()
