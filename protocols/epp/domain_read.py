"""Readers shared by the domain flows (RFC 5731 element layout)."""

from __future__ import annotations

from protocols.epp.codec import DOMAIN_NS
from protocols.epp.request import Element, q
from registry_core.errors import UnsupportedOption, ValueOutOfRange


def d(local: str) -> str:
    return q(DOMAIN_NS, local)


def name_of(body: Element) -> str:
    return (body.findtext(d("name")) or "").strip()


def period_years(body: Element, default: int = 1) -> int:
    """<domain:period unit="y|m">: months are accepted in whole years only."""
    el = body.find(d("period"))
    if el is None:
        return default
    value = int(el.text or "0")
    if el.get("unit") == "m":
        if value % 12:
            raise ValueOutOfRange("periods are whole years", object_type="domain", field="period", value=f"{value}m")
        return value // 12
    return value


def nameservers(ns: Element | None) -> tuple[str, ...]:
    if ns is None:
        return ()
    if ns.find(d("hostAttr")) is not None:
        raise UnsupportedOption("name servers are host objects here (hostObj)", object_type="domain", field="hostAttr")
    return tuple((el.text or "").strip() for el in ns.findall(d("hostObj")))


def contacts(parent: Element) -> tuple[tuple[str, str], ...]:
    return tuple((el.get("type") or "", (el.text or "").strip()) for el in parent.findall(d("contact")))


def statuses(parent: Element) -> frozenset[str]:
    return frozenset(el.get("s") or "" for el in parent.findall(d("status")))


def auth_info(parent: Element) -> str | None:
    """<domain:authInfo><domain:pw>; <domain:ext> is refused."""
    auth = parent.find(d("authInfo"))
    if auth is None:
        return None
    if auth.find(d("ext")) is not None:
        raise UnsupportedOption("only password authInfo is supported", object_type="domain", field="authInfo")
    pw = auth.find(d("pw"))
    return None if pw is None else (pw.text or "")
