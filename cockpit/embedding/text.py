"""What Cockpit embeds for a conversation, and its content address.

`embed_text`: the customer's own words that state the request.

- A single message (no transcript): the message, whitespace-collapsed.
- A transcript (the first customer turns, as the embed step reads them): the first
  `MAX_CUSTOMER_TURNS` customer turns that carry content. Turns that carry no request are
  skipped, because in a call-centre or chat transcript the customer also greets, confirms and
  identifies themselves, and those turns read to the model as "my own records" whatever the
  request was:
  * *filler*: at most `MIN_REQUEST_WORDS - 1` words, or only greeting / courtesy / yes-no words
    ("hi", "ok thanks", "no that's all");
  * *identifying*: mostly identifiers: masked placeholders (`[EMAIL]`, `[NUMBER]`…), tokens
    with digits ("moh523", "0054"), or identity words ("my name is …", "confirmation number",
    "zip code"): at least `MAX_IDENTIFIER_SHARE` of the turn's words.
  When every turn is filler or identifying, the former rule applies (the first three turns of
  more than two words, else the first three turns), so nothing is ever embedded as empty.
The result is cut at `MAX_EMBED_CHARS` characters on a word boundary: all-MiniLM-L6-v2 reads at
most 256 word pieces, roughly 1,000 characters of English. The rule only reads words, so it
applies to any transcript; it is measured in bench/tagging.py ("text selection").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

MAX_EMBED_CHARS = 1000  # ~256 word pieces of English; longer text would be truncated anyway
# Content turns embedded. Chosen by bench/tagging.py ("text selection") on MultiDoGo, the only
# labelled transcript set, leave-one-domain-out: 1 content turn won in each of the six domains
# held out (2 or 3 turns mix later answers into the request; so did the old "first three turns
# of more than two words"). A "first turn that reads as a request" cue was tried and lost.
MAX_CUSTOMER_TURNS = 1
FALLBACK_TURNS = 3  # the former rule, used when no turn carries content: keep a little of each
MIN_REQUEST_WORDS = 3  # "hi there", "my order": two words rarely state a request on their own
# A turn whose words are at least this share identifiers (placeholders, digits, identity words)
# is the customer identifying themselves ("raja 143 gmailcom", "name priya and ac no 0054").
MAX_IDENTIFIER_SHARE = 0.5

_WS = re.compile(r"\s+")
_WORD = re.compile(r"\[[A-Z_]+\]|[\w'@.-]+")
_PLACEHOLDER = re.compile(r"^\[[A-Z_]+\]$")
_HAS_DIGIT = re.compile(r"\d")
# Greeting, courtesy and yes/no words: a turn made only of these carries no request.
# fmt: off
_FILLER = frozenset((
    "hi", "hii", "hai", "hello", "helo", "hey", "hiya", "dear", "good", "morning", "afternoon",
    "evening", "day", "night", "thanks", "thank", "thankyou", "thx", "you", "very", "much",
    "so", "ok", "okay", "okey", "k", "fine", "great", "nice", "cool", "sure", "yes", "yeah",
    "ya", "yep", "yup", "no", "nope", "nah", "not", "please", "pls", "bye", "goodbye", "cheers",
    "that's", "thats", "it", "all", "is", "be", "was", "will", "would", "sir", "madam", "mam",
    "mate", "there", "a", "an", "the", "and", "or", "for", "now", "nothing", "else", "that",
    "enough", "done", "alright", "right", "correct", "have", "wonderful", "welcome"
))
# fmt: on
# Words that introduce identifying data rather than a request, and the function words around
# them ("my name is", "here it is"), which count for neither side.
# fmt: off
_IDENTITY = frozenset((
    "name", "surname", "email", "e-mail", "mail", "gmail", "com", "address", "zip", "postcode",
    "postal", "code", "pin", "number", "num", "no", "ac", "acc", "confirmation", "reference",
    "ref", "id", "phone", "mobile", "dob", "birth", "date"
))
# fmt: on
# fmt: off
_FUNCTION = frozenset((
    "my", "is", "am", "i", "it", "it's", "its", "this", "the", "a", "an", "and", "of", "here",
    "you", "go"
))
# fmt: on


def normalise(text: str | None) -> str:
    """Collapse whitespace and strip; None becomes ''."""
    return _WS.sub(" ", text or "").strip()


def truncate(text: str, limit: int = MAX_EMBED_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def _words(turn: str) -> list[str]:
    return _WORD.findall(turn.lower()) if turn else []


def is_filler(turn: str) -> bool:
    """Too short to state a request, or only greeting / courtesy / yes-no words."""
    words = _words(turn)
    return len(words) < MIN_REQUEST_WORDS or all(w.strip(".") in _FILLER for w in words)


def identifier_share(turn: str) -> float:
    """Share of the turn's words (function words aside) that are placeholders, carry digits or
    are identity words: "name priya and ac no 0054" → 0.8, "my account number is wrong" → 0.33."""
    words = [w for w in _WORD.findall(turn) if w.lower() not in _FUNCTION]  # placeholders: upper
    if not words:
        return 0.0
    ident = sum(
        bool(_PLACEHOLDER.match(w) or _HAS_DIGIT.search(w) or "@" in w or w.lower() in _IDENTITY)
        for w in words
    )
    return ident / len(words)


def request_turns(turns: Sequence[str], max_turns: int = MAX_CUSTOMER_TURNS) -> list[str]:
    """The turns `embed_text` keeps from a transcript (already normalised, non-empty)."""
    content = [t for t in turns if not is_filler(t) and identifier_share(t) < MAX_IDENTIFIER_SHARE]
    if not content:  # nothing but greetings and identifiers: the old rule, never empty
        return ([t for t in turns if len(t.split()) > 2] or list(turns))[:FALLBACK_TURNS]
    return content[:max_turns]


def embed_text(
    text: str | None,
    customer_turns: Sequence[str] | None = None,
    max_turns: int = MAX_CUSTOMER_TURNS,
) -> str:
    """The text Cockpit embeds for a conversation (see the module docstring for the decision)."""
    turns = [normalise(t) for t in (customer_turns or [])]
    turns = [t for t in turns if t]
    if turns:
        return truncate(" ".join(request_turns(turns, max_turns)))
    return truncate(normalise(text))


def text_hash(s: str) -> str:
    """Content address of an (already normalised) embed text: 32 hex chars of blake2b."""
    return hashlib.blake2b(s.encode("utf-8"), digest_size=16).hexdigest()
