"""Readers and writers shared by the contact flows (RFC 5733 element layout)."""

from __future__ import annotations

from protocols.epp.codec import CONTACT_NS
from protocols.epp.request import Element, element, q, sub
from registry_core.errors import PolicyViolation, UnsupportedOption
from registry_core.model.contact import Disclose, PostalChange, PostalInfo


def c(local: str) -> str:
    return q(CONTACT_NS, local)


def _text(parent: Element, local: str) -> str | None:
    value = parent.findtext(c(local))
    return None if value is None else value.strip()


def handle_of(body: Element) -> str:
    return _text(body, "id") or ""


def postal(el: Element) -> PostalInfo:
    addr = el.find(c("addr"))
    assert addr is not None
    return PostalInfo(el.get("type") or "int", _text(el, "name") or "", _text(el, "org"),
                      tuple((s.text or "").strip() for s in addr.findall(c("street"))), _text(addr, "city") or "",
                      _text(addr, "sp"), _text(addr, "pc"), (_text(addr, "cc") or "").upper())


def postal_change(el: Element) -> PostalChange:
    addr = el.find(c("addr"))
    if addr is None:
        return PostalChange(el.get("type") or "int", _text(el, "name"), _text(el, "org"))
    return PostalChange(el.get("type") or "int", _text(el, "name"), _text(el, "org"),
                        tuple((s.text or "").strip() for s in addr.findall(c("street"))), _text(addr, "city"),
                        _text(addr, "sp"), _text(addr, "pc"), (_text(addr, "cc") or "").upper(), True)


def phone(parent: Element, local: str) -> tuple[str | None, str | None]:
    el = parent.find(c(local))
    if el is None:
        return None, None
    return (el.text or "").strip(), el.get("x")


def auth_info(parent: Element) -> str | None:
    auth = parent.find(c("authInfo"))
    if auth is None:
        return None
    if auth.find(c("ext")) is not None:
        raise UnsupportedOption("only password authInfo is supported", object_type="contact", field="authInfo")
    return auth.findtext(c("pw"))


def disclose(parent: Element) -> Disclose | None:
    el = parent.find(c("disclose"))
    if el is None:
        return None
    fields = set()
    for child in el:
        local = child.tag.split("}")[1]
        fields.add(f"{local}_{child.get('type')}" if local in ("name", "org", "addr") else local)
    if not fields:
        raise PolicyViolation("disclose lists no fields", object_type="contact", field="disclose")
    return Disclose(el.get("flag") in ("1", "true"), frozenset(fields))


def write_disclose(parent: Element, value: Disclose) -> None:
    el = sub(parent, CONTACT_NS, "disclose", flag="1" if value.flag else "0")
    order = ["name_int", "name_loc", "org_int", "org_loc", "addr_int", "addr_loc", "voice", "fax", "email"]
    for field in order:
        if field in value.fields:
            local, _, kind = field.partition("_")
            sub(el, CONTACT_NS, local, **({"type": kind} if kind else {}))


def write_postal(parent: Element, info: PostalInfo) -> None:
    el = sub(parent, CONTACT_NS, "postalInfo", type=info.type)
    sub(el, CONTACT_NS, "name", info.name)
    if info.org:
        sub(el, CONTACT_NS, "org", info.org)
    addr = sub(el, CONTACT_NS, "addr")
    for street in info.street:
        sub(addr, CONTACT_NS, "street", street)
    sub(addr, CONTACT_NS, "city", info.city)
    if info.sp:
        sub(addr, CONTACT_NS, "sp", info.sp)
    if info.pc:
        sub(addr, CONTACT_NS, "pc", info.pc)
    sub(addr, CONTACT_NS, "cc", info.cc)


def data(local: str) -> Element:
    return element(CONTACT_NS, local, "contact")
