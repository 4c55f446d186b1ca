"""Email addresses the channel sends to or from: checked, never repaired.

A recipient is one RFC 5322 addr-spec with a dot-atom local part (no quoted strings, no
comments, no display name) and a host name domain, its U-labels converted to A-labels
(IDNA 2008). Lengths follow RFC 5321 section 4.5.3.1: local part 64 octets, domain 255,
the whole path 256 with its angle brackets, so 254 for the address itself."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.utils import parseaddr

import idna

MAX_LOCAL = 64
MAX_DOMAIN = 255
MAX_ADDRESS = 254
# RFC 5322 section 3.2.3 atext, as dot-separated atoms
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


class BadAddress(ValueError):
    """Not an address we send to: the reason is the message."""


def checked_address(text: str) -> str:
    """`local@domain` with the domain in lower-case A-labels, or BadAddress."""
    if not isinstance(text, str) or any(c in text for c in "\r\n\0"):
        raise BadAddress("an address is one line of text")
    local, sep, domain = text.strip().rpartition("@")
    if not sep or not local or not domain:
        raise BadAddress(f"{text!r} is not local@domain")
    if len(local.encode()) > MAX_LOCAL or not _DOT_ATOM.fullmatch(local):
        raise BadAddress(f"{text!r}: the local part is not a plain dot-atom of at most {MAX_LOCAL} octets")
    address = f"{local}@{checked_domain(domain)}"
    if len(address) > MAX_ADDRESS:
        raise BadAddress(f"{text!r} is longer than {MAX_ADDRESS} octets")
    return address


def checked_domain(text: str) -> str:
    name = text.rstrip(".")
    try:  # an ASCII name needs no IDNA mapping (its A-labels are checked as labels below)
        ascii_name = name.lower() if name.isascii() else idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise BadAddress(f"{text!r} is not a host name: {exc}") from exc
    labels = ascii_name.split(".")
    if len(ascii_name) > MAX_DOMAIN or len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise BadAddress(f"{text!r} is not a host name with a dot")
    return ascii_name


def mailbox(text: str) -> Address:
    """A configured From such as `Registry <noreply@nic.example>` (or just the address)."""
    name, addr = parseaddr(text)
    if not addr:
        raise BadAddress(f"{text!r} is not an address")
    local, _, domain = checked_address(addr).rpartition("@")
    return Address(display_name=name, username=local, domain=domain)
