"""Values a command carries and the lxml helpers that write them (lxml escapes every value).

Shared by the command builders (`commands`) and the extension builders (`extensions`).
"""

from __future__ import annotations

import ipaddress
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from protocols.epp.codec import PREFIXES

Element = Any  # lxml.etree._Element; lxml ships no type information
Extensions = Sequence[Element]


@dataclass(frozen=True)
class HostAttr:
    """A name server given by attribute (RFC 5731 hostAttr) instead of a host object."""

    name: str
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Disclose:
    """RFC 5733 disclosure preference: `fields` among name, org, addr, voice, fax, email."""

    flag: bool
    fields: tuple[str, ...]


@dataclass(frozen=True)
class DsData:
    """RFC 5910 delegation signer record."""

    key_tag: int
    alg: int
    digest_type: int
    digest: str


_DISCLOSE_ORDER = ("name", "org", "addr", "voice", "fax", "email")


def qname(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def child(parent: Element, tag: str, text: object = None, **attrib: str) -> Element:
    """A child in the parent's namespace; lxml escapes `text` and rejects control characters."""
    node = etree.SubElement(parent, qname(etree.QName(parent).namespace, tag), attrib)
    if text is not None:
        node.text = str(text)
    return node


def object_root(parent: Element | None, ns: str, tag: str, **attrib: str) -> Element:
    """`<prefix:tag xmlns:prefix=ns>` (an object command or an extension element)."""
    nsmap = {PREFIXES[ns]: ns}
    if parent is None:
        return etree.Element(qname(ns, tag), attrib, nsmap=nsmap)
    return etree.SubElement(parent, qname(ns, tag), attrib, nsmap=nsmap)


def serialize(root: Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False))


def ip_version(address: str) -> str:
    return f"v{ipaddress.ip_address(address).version}"  # ValueError for a bad address


def write_auth_info(parent: Element, password: str, roid: str | None = None) -> None:
    holder = child(parent, "authInfo")
    child(holder, "pw", password, **({"roid": roid} if roid else {}))


def write_period(parent: Element, period: int | None, unit: str) -> None:
    if period is not None:
        child(parent, "period", period, unit=unit)


def write_nameservers(parent: Element, nameservers: Sequence[str | HostAttr]) -> None:
    if not nameservers:
        return
    by_attr = [isinstance(ns, HostAttr) for ns in nameservers]
    if any(by_attr) and not all(by_attr):
        raise ValueError("RFC 5731: <domain:ns> holds hostObj or hostAttr, not both")
    holder = child(parent, "ns")
    for ns in nameservers:
        if isinstance(ns, HostAttr):
            attr = child(holder, "hostAttr")
            child(attr, "hostName", ns.name)
            for address in ns.addresses:
                child(attr, "hostAddr", address, ip=ip_version(address))
        else:
            child(holder, "hostObj", ns)


def write_contacts(parent: Element, contacts: Mapping[str, Sequence[str]] | None) -> None:
    for kind, ids in (contacts or {}).items():
        for contact_id in ids:
            child(parent, "contact", contact_id, type=kind)


def write_statuses(parent: Element, statuses: Sequence[str]) -> None:
    for status in statuses:
        child(parent, "status", s=status)


def write_disclose(parent: Element, disclose: Disclose, postal_type: str) -> None:
    unknown = set(disclose.fields) - set(_DISCLOSE_ORDER)
    if unknown:
        raise ValueError(f"unknown disclose fields {sorted(unknown)}")
    holder = child(parent, "disclose", flag="1" if disclose.flag else "0")
    for name in sorted(set(disclose.fields), key=_DISCLOSE_ORDER.index):
        child(holder, name, **({"type": postal_type} if name in ("name", "org", "addr") else {}))


def random_auth_info(length: int = 16) -> str:
    """An authInfo password with lower, upper, digit and punctuation (common registry policy)."""
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "-_.+=!")
    chars = [secrets.choice(c) for c in classes]
    chars += [secrets.choice("".join(classes)) for _ in range(length - len(classes))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
