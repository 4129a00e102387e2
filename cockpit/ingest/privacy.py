"""Privacy masking: personal data and secrets in support texts become placeholders before storage.

Masked, in this order (each pass only sees what earlier passes left):
  [SECRET]   API keys and tokens: the pattern set of Yelp's `detect-secrets` plugins (AWS,
             Stripe, GitHub, GitLab, Slack, JWT, OpenAI, SendGrid, Twilio, ...), plus
             `Bearer <token>` and `sk_/pk_/rk_ live|test` keys of any length
  [PASSWORD] the value after "password", "passcode", "passwd", "PIN" (`password: x`,
             `my password is x`; `PIN 4821` when the value holds a digit)
  [EMAIL]    e-mail addresses
  [IBAN]     IBANs in any case, spaced or not, mod-97 valid
  [CARD]     13–19 digits, contiguous or grouped by space, dash or dot, Luhn valid
  [SSN]      US social security numbers (123-45-6789; impossible areas excluded)
  [NI]       UK National Insurance numbers (AB 12 34 56 C)
  [IP]       IPv4 and IPv6 addresses (validated by `ipaddress`)
  [PHONE]    international and national phone numbers
  [NUMBER]   any other run of ≥ 9 consecutive digits (account numbers, unvalidated cards, ...)

Kept on purpose: UPS tracking numbers (1Z + 16), dates, times, order numbers (#12345,
ORD-48213), versions (2.13.0), prices, percentages and short codes. Placeholders contain no
digits and no `@`, so masking is idempotent: `mask_text(mask_text(s)) == mask_text(s)`.

Not masked (decision): personal names and street addresses. Recognising them needs an NER model,
and none installs offline from a trusted source: the official spaCy English models are not on
the package index (only third-party re-uploads, which run their uploader's code at load time),
Presidio's name recogniser needs such a spaCy model, and GLiNER, Flair, Stanza and deepparse
fetch their weights from a model hub at run time; pyap (regex addresses) is unmaintained since
2020. Identifier columns that hold e-mail addresses (account ids, CSM) are pseudonymised by
`mask_identifier` (a stable hash keeps joins).

`mask_array` is the vectorised entry point. Each pass of `mask_text` has a gate, an RE2 pattern
that Arrow runs over the whole column; the pass's Python patterns and validators run only on
the rows its gate selects (a date selects only the phone pass, a text without digits none of
the number passes). The result is the same as `mask_text` row by row.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re

import pyarrow as pa
import pyarrow.compute as pc

EMAIL, IBAN, CARD, PHONE, NUMBER = "[EMAIL]", "[IBAN]", "[CARD]", "[PHONE]", "[NUMBER]"
SECRET, PASSWORD, SSN, NI, IP = "[SECRET]", "[PASSWORD]", "[SSN]", "[NI]", "[IP]"

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


def _detect_secrets_patterns() -> list[re.Pattern]:
    """The token patterns of detect-secrets' regex plugins that name a token format.

    Left out: plugins whose pattern needs a keyword context we cover ourselves (Cloudant, IBM,
    Softlayer, Artifactory: the latter matches ordinary upper-case words) and the IP plugin
    (ours also covers private and IPv6 addresses).
    """
    from detect_secrets.plugins import (
        aws,
        azure_storage_key,
        basic_auth,
        discord,
        github_token,
        gitlab_token,
        jwt,
        mailchimp,
        npm,
        openai,
        pypi_token,
        sendgrid,
        slack,
        square_oauth,
        stripe,
        telegram_token,
        twilio,
    )

    detectors = [
        aws.AWSKeyDetector, azure_storage_key.AzureStorageKeyDetector,
        basic_auth.BasicAuthDetector, discord.DiscordBotTokenDetector,
        github_token.GitHubTokenDetector, gitlab_token.GitLabTokenDetector,
        jwt.JwtTokenDetector, mailchimp.MailchimpDetector, npm.NpmDetector,
        openai.OpenAIDetector, pypi_token.PypiTokenDetector, sendgrid.SendGridDetector,
        slack.SlackDetector, square_oauth.SquareOAuthDetector, stripe.StripeDetector,
        telegram_token.TelegramBotTokenDetector, twilio.TwilioKeyDetector,
    ]  # fmt: skip
    # A plugin pattern may match only a token's known prefix (Stripe: 24 characters; real keys
    # are longer): the mask extends over the rest of the token.
    tail = r"[A-Za-z0-9_\-+/=]*"
    return [
        p if p.pattern.endswith("@") else re.compile(f"(?:{p.pattern}){tail}", p.flags)
        for d in detectors
        for p in d().denylist
    ]


_SECRET_RES = _detect_secrets_patterns()
# One pass tells whether any plugin pattern occurs (most texts hold none): the per-plugin
# substitutions then run only on the few texts that need them.
_SECRET_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in _SECRET_RES))
_DIGIT_RE = re.compile(r"\d")
# Our additions: bearer tokens of any shape, payment-provider keys longer than the plugin's 24.
_BEARER_RE = re.compile(r"(?i)\b(bearer|token)(\s*[:=]?\s*)[A-Za-z0-9\-._~+/]{8,}=*")
_KEY_RE = re.compile(r"\b[spr]k_(?:live|test)_[0-9A-Za-z]{8,}")
_PASSWORD_RE = re.compile(
    r"(?i)\b(password|passcode|passwd|pass ?phrase|pin(?: code| number)?)\b"
    r"(\s*(?:is|was|=|:|-)\s*|\s+(?=\S*\d))"
    r"(?!\[[A-Z]+\])(\S+?)(?=[.,;!?)\]]*(?:\s|$))"  # an earlier placeholder is no value
)
_UPS_RE = re.compile(r"\b1Z[0-9A-Z]{16}\b")
_IBAN_RE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?(?![A-Za-z0-9])"
)
_CARD_RE = re.compile(
    r"(?<![\d\-.])(?:"
    r"\d{13,19}"  # contiguous
    r"|\d{4}([ \-.])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?"  # 4-4-4-1..4 (+ up to 3)
    r"|\d{4}([ \-.])\d{6}\2\d{4,5}"  # Amex / Diners 4-6-5, 4-6-4
    r")(?![\d]|\.\d)"
)
_SSN_RE = re.compile(r"(?<![\d\-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d\-])")
_NI_RE = re.compile(
    r"(?i)\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)
_IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6_RE = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
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
    """True when an IBAN without spaces passes the ISO 13616 mod-97 check (any case)."""
    compact = compact.upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha():
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = "".join(str(int(ch, 36)) for ch in rearranged)
    except ValueError:
        return False
    return int(number) % 97 == 1


def _iban_repl(m: re.Match) -> str:
    # The regex may swallow a trailing word; try shorter prefixes group by group.
    tokens = m.group(0).split(" ")
    for n in range(len(tokens), 0, -1):
        if iban_ok("".join(tokens[:n])):
            rest = " ".join(tokens[n:])
            return IBAN + (" " + rest if rest else "")
    return m.group(0)


def _card_repl(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return CARD if 13 <= len(digits) <= 19 and luhn_ok(digits) else m.group(0)


def _ipv4_repl(m: re.Match) -> str:
    try:
        ipaddress.IPv4Address(m.group(0))
    except ValueError:
        return m.group(0)
    return IP


def _ipv6_repl(m: re.Match) -> str:
    s = m.group(0)
    if "::" not in s and s.count(":") < 7:
        return s  # times (10:30:00) and ratios are not addresses
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return s
    return IP


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


def _mask_secrets(text: str) -> str:
    if _SECRET_ANY.search(text):
        for pattern in _SECRET_RES:
            if pattern.search(text):
                text = pattern.sub(_whole_token, text)
    text = _KEY_RE.sub(SECRET, text)
    return _BEARER_RE.sub(lambda m: m.group(1) + m.group(2) + SECRET, text)


def _whole_token(m: re.Match) -> str:
    # Keep the delimiters some plugin patterns include (`\s`, quotes, `://`), mask the token.
    s = m.group(0)
    lead = len(s) - len(s.lstrip(" \t=:\"'"))
    trail = len(s) - len(s.rstrip(" \t\"'"))
    if s.startswith("://"):
        return "://" + SECRET + "@"
    return s[:lead] + SECRET + (s[len(s) - trail :] if trail else "")


def _mask_password(text: str) -> str:
    return _PASSWORD_RE.sub(lambda m: m.group(1) + m.group(2) + PASSWORD, text)


def _mask_email(text: str) -> str:
    return _EMAIL_RE.sub(EMAIL, text) if "@" in text else text


def _mask_ipv6(text: str) -> str:
    return _IPV6_RE.sub(_ipv6_repl, text) if ":" in text else text


# Unicode digits: Python's `\d` matches any Unicode decimal digit, RE2's only ASCII ones.
_D = r"\p{Nd}"
# The passes of `mask_text`, in order, each with its gate: an RE2 pattern (Arrow's regex
# engine) that matches every text the pass can change, so `mask_array` runs a pass in Python
# only on the rows its gate selects. A gate may match more than its pass (it never decides
# what is masked, only what is looked at), never less: `tests/test_privacy.py` checks
# `mask_array == mask_text` on generated texts. Gates of the secret pass: a fixed prefix or
# keyword of every detect-secrets pattern and of ours (case-insensitive where the plugin is).
_SECRET_GATE = "|".join([
    r"(?i:aws|xox|bearer|token)", r"A3T|ABIA|ACCA|AKIA|ASIA", r"AccountKey=", r"://",
    r"[MNO][a-zA-Z\p{Nd}_-]{23,25}\.", r"gh[opusr]_", r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-",
    r"GR1348941", r"eyJ", r"-us" + _D, r"_authToken=", r"sk-", r"pypi-", r"SG\.", r"sq0csp-",
    r"k_live_|k_test_", _D + r"{8}:", r"AC[a-z0-9]{32}", r"SK[a-z0-9]{32}",
])  # fmt: skip
_TEXT_PASSES = [
    (_SECRET_GATE, _mask_secrets),
    (r"(?i:pass|\bpin\b)", _mask_password),
    (r"@", _mask_email),
]
# Run only when the text (after the passes above) holds a digit; UPS numbers are protected.
_DIGIT_GATE = _D
_UPS_GATE = r"1Z[0-9A-Z]{16}"
_DIGIT_PASSES = [
    (r"[A-Za-z]{2}" + _D + r"{2} ?[A-Za-z0-9]{4}", lambda t: _IBAN_RE.sub(_iban_repl, t)),
    (
        f"{_D}{{13}}|{_D}{{4}}[ .\\-]{_D}{{4}}[ .\\-]{_D}{{4}}|{_D}{{4}}[ .\\-]{_D}{{6}}[ .\\-]{_D}{{4}}",
        lambda t: _CARD_RE.sub(_card_repl, t),
    ),
    (f"{_D}{{3}}-{_D}{{2}}-{_D}{{4}}", lambda t: _SSN_RE.sub(SSN, t)),
    (f"(?i:[a-z]{{2}} ?{_D}{{2}} ?{_D}{{2}} ?{_D}{{2}} ?[a-d])", lambda t: _NI_RE.sub(NI, t)),
    (
        f"{_D}{{1,3}}\\.{_D}{{1,3}}\\.{_D}{{1,3}}\\.{_D}{{1,3}}",
        lambda t: _IPV4_RE.sub(_ipv4_repl, t),
    ),
    (r"::|[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){7}", _mask_ipv6),
    # A phone number that `_phone_repl` accepts has ≥ 9 digits, or ≥ 8 after a leading "+",
    # at most ") (" between two digits (so a bare date like 2026-11-25 is not looked at).
    (
        f"\\+{_D}(?:[ ().\\-]{{0,3}}{_D}){{7}}|{_D}(?:[ ().\\-]{{0,3}}{_D}){{8}}",
        lambda t: _PHONE_RE.sub(_phone_repl, t),
    ),
    (f"{_D}{{9}}", lambda t: _NUMBER_RE.sub(NUMBER, t)),
]
# Rows that no gate selects skip the Python passes altogether.
_PREFILTER = "|".join(g for g, _ in _TEXT_PASSES + _DIGIT_PASSES)


def mask_text(text: str) -> str:
    """Replace secrets, passwords and personal data (see the module doc) by placeholders."""
    if not text:
        return text
    for _, fn in _TEXT_PASSES:
        text = fn(text)
    return _mask_digits(text)


def _mask_digits(text: str) -> str:
    """The passes on numbers, run when the text holds a digit; UPS numbers stay as they are."""
    if not _DIGIT_RE.search(text):
        return text
    kept: list[str] = []

    def _keep(m: re.Match) -> str:
        kept.append(m.group(0))
        return f"\x00{len(kept) - 1}\x00"

    text = _UPS_RE.sub(_keep, text)
    for _, fn in _DIGIT_PASSES:
        text = fn(text)
    if kept:
        text = re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)
    return text


def mask_identifier(value: str) -> str:
    """An id or account field: e-mail addresses in it become a stable pseudonym (`email-<hash>`).

    The pseudonym is the same for the same address (case-insensitive), so an account id that is
    an e-mail still joins its conversations, but the address itself is never stored.
    """
    if not value or "@" not in value:
        return value
    return _EMAIL_RE.sub(
        lambda m: "email-" + hashlib.sha256(m.group(0).lower().encode()).hexdigest()[:12], value
    )


def _combined(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        return arr.combine_chunks() if arr.num_chunks else pa.array([], type=arr.type)
    return arr


def _gate(arr: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False)


def _apply(fn, arr: pa.Array, hit: pa.Array) -> pa.Array:
    """`fn` on the rows where `hit` is true, the other rows unchanged."""
    if not pc.any(hit).as_py():
        return arr
    masked = [fn(s) for s in pc.filter(arr, hit).to_pylist()]
    return pc.replace_with_mask(arr, hit, pa.array(masked, type=arr.type))


def _vectorised(fn, arr: pa.Array | pa.ChunkedArray, prefilter: str) -> pa.Array:
    arr = _combined(arr)
    if len(arr) == 0:
        return arr
    return _apply(fn, arr, _gate(arr, prefilter))


def _mask_passes(arr: pa.Array) -> pa.Array:
    """`mask_text` pass by pass over a column: each pass runs only on the rows its gate selects."""
    for gate, fn in _TEXT_PASSES:
        arr = _apply(fn, arr, _gate(arr, gate))
    digit = _gate(arr, _DIGIT_GATE)
    if not pc.any(digit).as_py():
        return arr
    ups = _gate(arr, _UPS_GATE)
    # Texts with a UPS number go through `_mask_digits` whole (it protects the number).
    arr = _apply(_mask_digits, arr, pc.and_(digit, ups))
    rest = pc.and_(digit, pc.invert(ups))
    for gate, fn in _DIGIT_PASSES:
        arr = _apply(fn, arr, pc.and_(rest, _gate(arr, gate)))
    return arr


def mask_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Vectorised `mask_text` over an Arrow string array (nulls stay null), same result."""
    arr = _combined(arr)
    if len(arr) == 0:
        return arr
    hit = _gate(arr, _PREFILTER)
    if not pc.any(hit).as_py():
        return arr
    return pc.replace_with_mask(arr, hit, _mask_passes(pc.filter(arr, hit)))


def mask_identifier_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Vectorised `mask_identifier` over an Arrow string array (nulls stay null)."""
    return _vectorised(mask_identifier, arr, "@")


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


def mask_stored_rows(con) -> None:
    """Mask every stored text, quarantine raw record and e-mail-like identifier in place.

    Identifiers keep their joins: the same address becomes the same pseudonym in every table.
    """
    import duckdb

    varchar = duckdb.sqltype("VARCHAR")
    con.create_function("cockpit_mask_ids", mask_identifier_array, [varchar], varchar,
                        type="arrow", side_effects=False)  # fmt: skip
    try:
        mask_stored_texts(con)
        con.create_function("cockpit_mask_raw", mask_array, [varchar], varchar,
                            type="arrow", side_effects=False)  # fmt: skip
        con.execute("UPDATE quarantine SET raw = cockpit_mask_raw(raw) WHERE raw IS NOT NULL")
        con.remove_function("cockpit_mask_raw")
        columns = [
            (t, c)
            for t, c in con.execute(
                "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = "
                "current_database() AND data_type = 'VARCHAR' AND (column_name IN "
                "('account_id', 'conversation_id', 'csm') OR (table_name = 'accounts' AND "
                "column_name = 'name'))"
            ).fetchall()
        ]
        for table, column in columns:
            # Key columns cannot be updated in place under an index: rewrite those rows.
            n = con.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}" LIKE \'%@%\''
            ).fetchall()
            if not n[0][0]:
                continue
            con.execute(
                f'CREATE TEMP TABLE _mask AS SELECT * FROM "{table}" WHERE "{column}" LIKE \'%@%\''
            )
            con.execute(f'DELETE FROM "{table}" WHERE "{column}" LIKE \'%@%\'')
            con.execute(f'UPDATE _mask SET "{column}" = cockpit_mask_ids("{column}")')
            con.execute(f'INSERT INTO "{table}" SELECT * FROM _mask')
            con.execute("DROP TABLE _mask")
    finally:
        con.remove_function("cockpit_mask_ids")
