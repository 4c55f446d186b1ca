"""Search patterns for the public services (RFC 9082 section 4.1 partial matching).

A name pattern holds at most one '*', which matches zero or more trailing characters:
`exam*` (names starting with "exam"), or `exam*.example` (the first label starts with
"exam", the rest is the given suffix). Other placements are refused as unsupported, which
RDAP answers with 422. Prefixes are lower-case LDH text, so a search runs as a range
scan over the `text_pattern_ops` name indexes."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from registry_core.errors import InvalidValue, UnsupportedOption
from registry_core.model import names

MAX_PATTERN = 255
_LDH_PREFIX = re.compile(r"^[a-z0-9.-]+$")


@dataclass(frozen=True)
class NamePattern:
    """Names n with low <= n < high (byte order) that end with `suffix`."""

    low: str
    high: str
    suffix: str = ""


@dataclass(frozen=True)
class TextPattern:
    """A case-insensitive match on free text (registrar names, handles)."""

    text: str  # lower case
    prefix: bool


def _next_after_prefix(prefix: str) -> str:
    """The smallest string greater than every string that starts with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _suffix(tail: str, field: str) -> str:
    labels = tail.strip(".").split(".") if tail.strip(".") else []
    if not labels:
        return ""
    return "." + ".".join(names.to_a_label(label, field=field) for label in labels)


def parse_name_pattern(text: str, *, field: str = "name") -> NamePattern:
    raw = text.strip()
    if not raw or len(raw) > MAX_PATTERN:
        raise InvalidValue("empty or oversized search pattern", field=field, value=raw[:80])
    stars = raw.count("*")
    if stars == 0:
        name = names.normalize_name(unicodedata.normalize("NFC", raw).lower(), field=field)
        # the range [name, name + U+0001) holds name itself and nothing else
        return NamePattern(name, name + "\x01")  # exactly this name
    head, _, tail = raw.partition("*")
    if stars > 1 or (tail and not tail.startswith(".")) or (tail and "." in head):
        raise UnsupportedOption("only one '*', ending the pattern or its first label, is supported",
                                field=field, value=raw[:80])
    if not head.isascii():
        raise UnsupportedOption("partial matching is supported on A-labels only", field=field, value=raw[:80])
    prefix = head.lower()
    if not prefix:
        raise UnsupportedOption("a pattern needs at least one character before '*'", field=field, value=raw[:80])
    if not _LDH_PREFIX.match(prefix):
        raise InvalidValue("a name pattern holds letters, digits, '-' and '.' only", field=field,
                           value=raw[:80])
    return NamePattern(prefix, _next_after_prefix(prefix), _suffix(tail, field))


def parse_text_pattern(text: str, *, field: str = "fn") -> TextPattern:
    raw = text.strip()
    if not raw or len(raw) > MAX_PATTERN or not raw.isprintable():
        raise InvalidValue("empty, oversized or unprintable search pattern", field=field, value=raw[:80])
    stars = raw.count("*")
    if stars == 0:
        return TextPattern(raw.lower(), prefix=False)
    if stars > 1 or not raw.endswith("*") or len(raw) == 1:
        raise UnsupportedOption("only one trailing '*' after at least one character is supported",
                                field=field, value=raw[:80])
    return TextPattern(raw[:-1].lower(), prefix=True)
