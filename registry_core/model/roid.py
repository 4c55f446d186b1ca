"""Repository object identifiers (RFC 5730 section 2.8): `D1A2B-EXAMPLE`."""

from __future__ import annotations

PREFIXES = {"domain": "D", "contact": "C", "host": "H"}


def format_roid(object_type: str, number: int, suffix: str) -> str:
    """The ROID of object `number`: a kind letter, the number in hex, the repository suffix."""
    return f"{PREFIXES[object_type]}{number:X}-{suffix}"
