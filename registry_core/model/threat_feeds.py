"""Threat feed files an operator drops in place, read into (name, threat type) pairs (pure):

- `rpz`: a Response Policy Zone file (RFC-style master file): each owner name below the
  zone's origin with a policy record (CNAME . / CNAME *. / an A record) lists that name; a
  wildcard `*.name` lists `name`; SOA and NS records of the zone itself are skipped;
- `list`: one name per line, `#` comments;
- `csv`: URLhaus-style CSV (`id,dateadded,url,url_status,last_online,threat,tags,...`,
  `#` comment lines): the URL's host, with the `threat` column as the type; IP hosts skipped.
Names come back lower case, trailing dot removed, A-labels; anything unreadable is skipped."""

from __future__ import annotations

import csv
import io
import ipaddress
from urllib.parse import urlsplit

from registry_core.errors import CoreError
from registry_core.model.names import normalize_name

FORMATS = ("rpz", "list", "csv")
MAX_NAME = 253


def _name(raw: str) -> str | None:
    text = raw.strip().rstrip(".").lower()
    if text.startswith("*."):
        text = text[2:]
    if not text or len(text) > MAX_NAME or "." not in text:
        return None
    try:
        ipaddress.ip_address(text)
        return None
    except ValueError:
        pass
    try:
        return normalize_name(text)
    except (CoreError, ValueError):
        return None


def _rpz(text: str) -> list[tuple[str, str]]:
    origin = ""
    found: list[tuple[str, str]] = []
    for line in text.splitlines():
        fields = line.split(";", 1)[0].split()
        if not fields:
            continue
        if fields[0].upper() == "$ORIGIN" and len(fields) > 1:
            origin = fields[1].rstrip(".").lower()
            continue
        if fields[0].startswith("$") or line[:1].isspace() or fields[0] == "@":
            continue
        types = {f.upper() for f in fields[1:]}
        if types & {"SOA", "NS"}:
            continue
        owner = fields[0].rstrip(".").lower() if fields[0].endswith(".") else fields[0].lower()
        if origin and owner.endswith("." + origin):
            owner = owner[: -len(origin) - 1]
        name = _name(owner)
        if name is not None:
            found.append((name, "rpz"))
    return found


def _list(text: str) -> list[tuple[str, str]]:
    names = (_name(line.split("#", 1)[0]) for line in text.splitlines())
    return [(n, "listed") for n in names if n is not None]


def _csv(text: str) -> list[tuple[str, str]]:
    rows = csv.reader(io.StringIO("\n".join(line for line in text.splitlines() if not line.startswith("#"))))
    found = []
    for row in rows:
        if len(row) < 6 or row[0] == "id":
            continue
        name = _name(urlsplit(row[2].strip()).hostname or "")
        if name is not None:
            found.append((name, row[5].strip() or "malware"))
    return found


def parse_feed(text: str, fmt: str) -> list[tuple[str, str]]:
    """(name, threat type), each name once (the first type seen), in file order."""
    first: dict[str, str] = {}
    for name, threat in {"rpz": _rpz, "list": _list, "csv": _csv}[fmt](text):
        first.setdefault(name, threat)
    return list(first.items())
