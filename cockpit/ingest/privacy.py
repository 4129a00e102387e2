"""Privacy masking: personal data in support texts is replaced by placeholders before storage.

Masked, in this order (each pass only sees what earlier passes left):
  [EMAIL]  e-mail addresses
  [IBAN]   country code + 2 check digits + BBAN (groups of 4 with optional spaces), mod-97 valid
  [CARD]   13–19 digits, contiguous or in 4-digit groups (or Amex 4-6-5) split by a space or dash,
           Luhn valid
  [PHONE]  international numbers (`+` prefix, 8–15 digits) and national ones (trunk `0` or a
           `(area)` prefix, 9–12 digits; or the North-American 3-3-4 form), with spaces, dots,
           dashes and parentheses
  [NUMBER] any other run of ≥ 9 consecutive digits (account numbers, unvalidated cards, ...)

Kept on purpose: dates (2026-11-25, 25/11/2026, 25.11.2026, Nov 25 2026), times, order numbers
(#12345, ORD-48213), prices ($1,299.99, €45), percentages and short codes. Placeholders contain
no digits and no `@`, so masking is idempotent: `mask_text(mask_text(s)) == mask_text(s)`.

`mask_array` is the vectorised entry point (a DuckDB arrow UDF during ingestion): a cheap RE2
prefilter in Arrow finds the few rows that may hold personal data, and only those go through
the Python validators (Luhn, mod-97), so a million rows mask in seconds.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

EMAIL, IBAN, CARD, PHONE, NUMBER = "[EMAIL]", "[IBAN]", "[CARD]", "[PHONE]", "[NUMBER]"

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Printed IBANs come in groups of four; the last group may be shorter.
_IBAN_RE = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"
)
_CARD_RE = re.compile(
    r"(?<![\d\-])(?:"
    r"\d{13,19}"  # contiguous
    r"|\d{4}([ \-])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?"  # 4-4-4-1..4 (+ up to 3)
    r"|\d{4}([ \-])\d{6}\2\d{4,5}"  # Amex / Diners 4-6-5, 4-6-4
    r")(?![\d])"
)
# Candidate phone numbers; _phone_repl decides which of them really are phone numbers.
_PHONE_RE = re.compile(
    r"(?<![\w#$€£¥./,\-+])"
    r"(?:\+\d{1,3}|\(\+?\d{1,5}\)|\d{1,5})"
    r"(?:[ .\-]?\(\d{1,5}\)|[ .\-]?\d{1,5}){1,6}"
    r"(?![\w/%€$£]|[.,:]\d)"
)
_US_PHONE_RE = re.compile(r"\(?\d{3}\)?[ .\-]?\d{3}[ .\-]\d{4}")
_DATE_LIKE_RE = re.compile(r"\d{1,4}([.\-])\d{1,2}\1\d{1,4}")
_NUMBER_RE = re.compile(r"(?<!\d)\d{9,}(?!\d)")
# Rows that cannot hold anything maskable skip the Python pass (RE2 syntax, used by Arrow).
_PREFILTER = r"@|\d(?:[ ().\-]{0,3}\d){7,}"


def luhn_ok(digits: str) -> bool:
    """True when a digit string passes the Luhn checksum used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_ok(compact: str) -> bool:
    """True when an IBAN without spaces (upper case) passes the ISO 13616 mod-97 check."""
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _iban_repl(m: re.Match) -> str:
    # The regex may swallow a trailing upper-case word; try shorter prefixes group by group.
    tokens = m.group(0).split(" ")
    for n in range(len(tokens), 0, -1):
        if iban_ok("".join(tokens[:n])):
            rest = " ".join(tokens[n:])
            return IBAN + (" " + rest if rest else "")
    return m.group(0)


def _card_repl(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return CARD if 13 <= len(digits) <= 19 and luhn_ok(digits) else m.group(0)


def _phone_repl(m: re.Match) -> str:
    s = m.group(0)
    # A closing parenthesis with no opening one belongs to the sentence, not the number.
    tail = ""
    while s.endswith(")") and s.count("(") < s.count(")"):
        s, tail = s[:-1], ")" + tail
    digits = sum(ch.isdigit() for ch in s)
    if s.startswith("+"):
        ok = 8 <= digits <= 15
    elif _DATE_LIKE_RE.fullmatch(s):
        ok = False
    elif s.startswith(("0", "(")):
        ok = 9 <= digits <= 12
    else:
        ok = _US_PHONE_RE.fullmatch(s) is not None
    return PHONE + tail if ok else m.group(0)


def mask_text(text: str) -> str:
    """Replace e-mails, IBANs, card numbers, phone numbers and long digit runs by placeholders."""
    if not text:
        return text
    if "@" in text:
        text = _EMAIL_RE.sub(EMAIL, text)
    if not any(ch.isdigit() for ch in text):
        return text
    text = _IBAN_RE.sub(_iban_repl, text)
    text = _CARD_RE.sub(_card_repl, text)
    text = _PHONE_RE.sub(_phone_repl, text)
    return _NUMBER_RE.sub(NUMBER, text)


def mask_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Vectorised `mask_text` over an Arrow string array (nulls stay null)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], type=arr.type)
    if len(arr) == 0:
        return arr
    hit = pc.fill_null(pc.match_substring_regex(arr, _PREFILTER), False)
    n_hit = pc.sum(hit).as_py() or 0
    if n_hit == 0:
        return arr
    masked = [mask_text(s) for s in pc.filter(arr, hit).to_pylist()]
    return pc.replace_with_mask(arr, hit, pa.array(masked, type=arr.type))


def mask_stored_texts(con) -> None:
    """Mask the stored conversation and message texts in place (idempotent: masked text stays)."""
    import duckdb

    con.create_function(
        "cockpit_mask_stored", mask_array, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR"),
        type="arrow", side_effects=False,
    )  # fmt: skip
    try:
        con.execute("UPDATE conversations SET text = cockpit_mask_stored(text)")
        con.execute("UPDATE messages SET body = cockpit_mask_stored(body)")
    finally:
        con.remove_function("cockpit_mask_stored")
