"""Encodings: which codec reads a CSV or JSON Lines file, and its lines decoded one by one.

A BOM wins (UTF-8, UTF-16, UTF-32); else the declared encoding; else UTF-8 when the sample
decodes as UTF-8 (an invalid line is then quarantined alone); else the encoding
charset-normalizer detects (e.g. cp1252, UTF-16 without BOM); else the file is refused with a
message naming what to pass (`--encoding`).
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
from collections.abc import Iterator
from pathlib import Path

SAMPLE_BYTES = 1 << 16  # enough to detect an encoding, small enough to read twice


class Refusal(Exception):
    """The file cannot be staged as a whole; the message says why and what to do."""


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def open_binary(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def detect_encoding(path: Path, declared: str | None = None) -> str:
    """The encoding to read `path` with (see the module doc); Refusal when none fits."""
    with open_binary(path) as fh:
        sample = fh.read(SAMPLE_BYTES)
    if not sample:
        raise Refusal(f"{path}: the file is empty (0 bytes); export it again with a header row.")
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    if declared:
        try:
            return codecs.lookup(declared).name
        except LookupError:
            raise Refusal(
                f"{path}: unknown encoding {declared!r}; pass a Python codec name such as "
                f"utf-8, cp1252, latin-1 or utf-16."
            ) from None
    text = sample.decode("utf-8", errors="replace")
    if len(sample) == SAMPLE_BYTES:  # a character may be cut at the end of the sample
        text = text[:-1]
    bad = text.count("\ufffd")
    if sample.count(0) * 4 < len(sample) and (
        bad == 0 or sum(ord(c) > 127 for c in text) - bad > bad
    ):
        return "utf-8"  # invalid lines, if any, are quarantined one by one
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is not None and _wide(best.encoding):
        return codecs.lookup(best.encoding).name
    # On a short sample the detector's single-byte guesses are unreliable (cp775, cp1125, ...
    # for plain Western text): a sample that cp1252 decodes is taken as cp1252, the encoding of
    # Excel's Windows exports, and the file report says so.
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        pass
    if best is None:
        raise Refusal(
            f"{path}: not UTF-8 and its encoding could not be detected; convert it to UTF-8 "
            f"or pass --encoding (e.g. --encoding cp1252)."
        )
    return codecs.lookup(best.encoding).name


def _wide(encoding: str) -> bool:
    return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")


def lines(path: Path, encoding: str) -> Iterator[tuple[str | None, str]]:
    """(decoded line or None when undecodable, printable line) with its line ending kept."""
    if _wide(encoding):
        with open_binary(path) as raw:
            fh = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
            try:
                for line in fh:
                    yield line, line
            except UnicodeDecodeError as exc:
                raise Refusal(
                    f"{path}: not valid {encoding} ({exc.reason}); export it again as UTF-8."
                ) from None
        return
    with open_binary(path) as fh:
        for blob in fh:
            parts = _LONE_CR.split(blob) if b"\r" in blob[:-2] else (blob,)
            for part in parts:
                if not part:
                    continue
                try:
                    yield part.decode(encoding), ""
                except UnicodeDecodeError as exc:
                    yield (
                        None,
                        f"invalid encoding (not {encoding}) at byte {exc.start}: "
                        + (part.decode(encoding, errors="replace")),
                    )
