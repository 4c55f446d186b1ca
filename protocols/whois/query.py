"""WHOIS query lines (RFC 3912 section 2: one line of text ending in CRLF). Pure.

Forms: `<domain>` or `domain <domain>`; `nameserver <host>` (also `ns` / `host`);
`registrar <name or IANA id>`; `help` or `?`. Names may be A-labels or U-labels."""

from __future__ import annotations

from dataclasses import dataclass

KEYWORDS = {"domain": "domain", "nameserver": "nameserver", "ns": "nameserver", "host": "nameserver",
            "registrar": "registrar"}
HELP = frozenset({"help", "?"})


class QueryError(Exception):
    """A line that is not a query: the answer is this message, then the connection closes."""


@dataclass(frozen=True)
class WhoisQuery:
    kind: str  # domain, nameserver, registrar or help
    text: str


def decode_line(raw: bytes, max_bytes: int) -> str:
    line = raw[:-1] if raw.endswith(b"\n") else raw
    line = line[:-1] if line.endswith(b"\r") else line
    if len(line) > max_bytes:
        raise QueryError(f"query too long (at most {max_bytes} bytes)")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QueryError("query is not UTF-8 text") from exc
    if not text.isprintable():
        raise QueryError("query holds control characters")
    return text.strip()


def parse_query(raw: bytes, max_bytes: int) -> WhoisQuery:
    text = decode_line(raw, max_bytes)
    if not text:
        raise QueryError("empty query; send 'help' for the query forms")
    if text.lower() in HELP:
        return WhoisQuery("help", "")
    first, _, rest = text.partition(" ")
    kind = KEYWORDS.get(first.lower())
    if kind is not None and rest.strip():
        return WhoisQuery(kind, rest.strip())
    if kind is None and not rest:
        return WhoisQuery("domain", text)
    raise QueryError("unknown query form; send 'help' for the query forms")
