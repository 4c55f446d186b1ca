"""RDAP request paths (RFC 9082 section 3) to a query type and its argument. Pure: the
path arrives percent-encoded, relative to the base URL."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

from protocols.rdap.errors import RdapError

LOOKUPS = frozenset({"domain", "nameserver", "entity"})
SEARCHES = frozenset({"domains", "nameservers", "entities", "help"})
# RFC 9082 query types an RIR would answer; a domain name registry does not implement them
NOT_IMPLEMENTED = frozenset({"ip", "autnum", "ips", "autnums"})
MAX_SEGMENT = 1024


def parse_path(path: str) -> tuple[str, str]:
    """('domain', 'example.example') for 'domain/example.example'; ('domains', '') for a search."""
    segments = path.split("/")
    if len(segments) > 1 and segments[-1] == "":
        segments.pop()  # one trailing slash is tolerated
    kind = segments[0]
    if kind in NOT_IMPLEMENTED:
        raise RdapError(501, f"{kind} queries are not implemented by this domain name registry")
    if kind in SEARCHES and len(segments) == 1:
        return kind, ""
    if kind in LOOKUPS and len(segments) == 2 and segments[1]:
        if len(segments[1]) > MAX_SEGMENT:
            raise RdapError(400, "the path segment is too long")
        try:
            return kind, unquote(segments[1], errors="strict")
        except UnicodeDecodeError as exc:
            raise RdapError(400, "the path is not UTF-8") from exc
    raise RdapError(400, "not an RDAP query this server understands (see /help)")


def single_params(pairs: Mapping[str, str] | list[tuple[str, str]]) -> dict[str, str]:
    """Query parameters as a dict; a repeated parameter is refused."""
    items = list(pairs.items()) if isinstance(pairs, Mapping) else pairs
    result: dict[str, str] = {}
    for key, value in items:
        if key in result:
            raise RdapError(400, f"parameter {key!r} is repeated")
        result[key] = value
    return result
