"""A deposit as XML (RFC 8909 container, RFC 9022 objects), written incrementally with
lxml's `xmlfile`: only one object's tree exists at a time, however large the deposit.
`render` turns one escrow value into its element (pure); `DepositXmlFile` writes the
document around them (blocking file I/O: run it off the event loop, see deposit_sink.py)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from lxml import etree

from protocols.epp.codec import EPP_NS
from protocols.epp.request import epp_datetime
from protocols.epp.responses import greeting
from protocols.escrow.domain_markup import domain_markup
from registry_core.model import escrow
from registry_core.model.contact import PostalInfo
from registry_core.model.escrow import (
    DepositCounts,
    DepositPlan,
    EscrowAddress,
    EscrowContact,
    EscrowDelete,
    EscrowDomain,
    EscrowHost,
    EscrowRegistrar,
    EscrowTransfer,
)

RDE = "urn:ietf:params:xml:ns:rde-1.0"
DOMAIN = "urn:ietf:params:xml:ns:domain-1.0"
HOST = "urn:ietf:params:xml:ns:host-1.0"
CONTACT = "urn:ietf:params:xml:ns:contact-1.0"
SECDNS = "urn:ietf:params:xml:ns:secDNS-1.1"
RGP = "urn:ietf:params:xml:ns:rgp-1.0"
R_DOMAIN, R_HOST, R_CONTACT = escrow.URI_DOMAIN, escrow.URI_HOST, escrow.URI_CONTACT
R_REGISTRAR, R_PARAMS, R_HEADER = escrow.URI_REGISTRAR, escrow.URI_EPP_PARAMS, escrow.URI_HEADER
NSMAP = {"rde": RDE, "rdeHeader": R_HEADER, "rdeDomain": R_DOMAIN, "rdeHost": R_HOST, "rdeContact": R_CONTACT,
         "rdeRegistrar": R_REGISTRAR, "rdeEppParams": R_PARAMS, "domain": DOMAIN, "host": HOST,
         "contact": CONTACT, "secDNS": SECDNS, "rgp": RGP, "epp": EPP_NS}
_PREFIX = {uri: prefix for prefix, uri in NSMAP.items()}
Element = Any


def _ns(*uris: str) -> dict[str, str]:
    return {_PREFIX[u]: u for u in uris}


def _sub(parent: Element, ns: str, tag: str, text: str | None = None, **attrib: str) -> Element:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}", attrib)
    if text is not None:
        el.text = text
    return el


def _opt(parent: Element, ns: str, tag: str, text: str | None) -> None:
    if text:
        _sub(parent, ns, tag, text)


def _date(parent: Element, ns: str, tag: str, at: Any) -> None:
    if at is not None:
        _sub(parent, ns, tag, epp_datetime(at))


def _statuses(parent: Element, ns: str, statuses: tuple[str, ...]) -> None:
    for status in statuses:
        _sub(parent, ns, "status", s=status)


def _transfer(parent: Element, ns: str, tr: EscrowTransfer | None, *, with_expiry: bool) -> None:
    if tr is None:
        return
    data = _sub(parent, ns, "trnData")
    _sub(data, ns, "trStatus", tr.status)
    _sub(data, ns, "reRr", tr.gaining)
    _sub(data, ns, "reDate", epp_datetime(tr.requested_at))
    _sub(data, ns, "acRr", tr.losing)
    _sub(data, ns, "acDate", epp_datetime(tr.action_due))
    if with_expiry:
        _date(data, ns, "exDate", tr.expires_at)


def render_domain(d: EscrowDomain) -> Element:
    el = etree.Element(f"{{{R_DOMAIN}}}domain", nsmap=_ns(R_DOMAIN, DOMAIN, SECDNS, RGP))
    _sub(el, R_DOMAIN, "name", d.name)
    _sub(el, R_DOMAIN, "roid", d.roid)
    _opt(el, R_DOMAIN, "uName", d.u_name)
    _statuses(el, R_DOMAIN, d.statuses)
    for rgp in d.rgp_statuses:
        _sub(el, R_DOMAIN, "rgpStatus", s=rgp)
    _opt(el, R_DOMAIN, "registrant", d.registrant)
    for role, handle in d.contacts:
        _sub(el, R_DOMAIN, "contact", handle, type=role)
    if d.nameservers:
        ns = _sub(el, R_DOMAIN, "ns")
        for host in d.nameservers:
            _sub(ns, DOMAIN, "hostObj", host)
    _sub(el, R_DOMAIN, "clID", d.sponsor)
    _sub(el, R_DOMAIN, "crRr", d.creator)
    _date(el, R_DOMAIN, "crDate", d.created_at)
    _date(el, R_DOMAIN, "exDate", d.expires_at)
    _opt(el, R_DOMAIN, "upRr", d.updater)
    _date(el, R_DOMAIN, "upDate", d.updated_at)
    if d.ds:
        sec = _sub(el, R_DOMAIN, "secDNS")
        for ds in d.ds:
            data = _sub(sec, SECDNS, "dsData")
            for tag, value in (("keyTag", ds.key_tag), ("alg", ds.alg), ("digestType", ds.digest_type),
                               ("digest", ds.digest)):
                _sub(data, SECDNS, tag, str(value))
    _date(el, R_DOMAIN, "trDate", d.transferred_at)
    _transfer(el, R_DOMAIN, d.transfer, with_expiry=True)
    return el


def render_host(h: EscrowHost) -> Element:
    el = etree.Element(f"{{{R_HOST}}}host", nsmap=_ns(R_HOST, HOST))
    _sub(el, R_HOST, "name", h.name)
    _sub(el, R_HOST, "roid", h.roid)
    _statuses(el, R_HOST, h.statuses)
    for address in h.addresses:
        _sub(el, R_HOST, "addr", address, ip="v6" if ":" in address else "v4")
    _sub(el, R_HOST, "clID", h.sponsor)
    _sub(el, R_HOST, "crRr", h.creator)
    _date(el, R_HOST, "crDate", h.created_at)
    _opt(el, R_HOST, "upRr", h.updater)
    _date(el, R_HOST, "upDate", h.updated_at)
    _date(el, R_HOST, "trDate", h.transferred_at)
    return el


def _postal(parent: Element, p: PostalInfo) -> None:
    info = _sub(parent, R_CONTACT, "postalInfo", type=p.type)
    _sub(info, CONTACT, "name", p.name)
    _opt(info, CONTACT, "org", p.org)
    _address(_sub(info, CONTACT, "addr"), CONTACT, EscrowAddress(p.street, p.city, p.sp, p.pc, p.cc))


def _address(addr: Element, ns: str, a: EscrowAddress) -> None:
    for line in a.street:
        _sub(addr, ns, "street", line)
    _sub(addr, ns, "city", a.city)
    _opt(addr, ns, "sp", a.sp)
    _opt(addr, ns, "pc", a.pc)
    _sub(addr, ns, "cc", a.cc)


def _phone(parent: Element, ns: str, tag: str, number: str | None, ext: str | None) -> None:
    if number:
        _sub(parent, ns, tag, number, **({"x": ext} if ext else {}))


def render_contact(c: EscrowContact) -> Element:
    el = etree.Element(f"{{{R_CONTACT}}}contact", nsmap=_ns(R_CONTACT, CONTACT))
    _sub(el, R_CONTACT, "id", c.handle)
    _sub(el, R_CONTACT, "roid", c.roid)
    _statuses(el, R_CONTACT, c.statuses)
    for postal in c.postal:
        _postal(el, postal)
    _phone(el, R_CONTACT, "voice", c.voice, c.voice_ext)
    _phone(el, R_CONTACT, "fax", c.fax, c.fax_ext)
    _sub(el, R_CONTACT, "email", c.email)
    _sub(el, R_CONTACT, "clID", c.sponsor)
    _sub(el, R_CONTACT, "crRr", c.creator)
    _date(el, R_CONTACT, "crDate", c.created_at)
    _opt(el, R_CONTACT, "upRr", c.updater)
    _date(el, R_CONTACT, "upDate", c.updated_at)
    _date(el, R_CONTACT, "trDate", c.transferred_at)
    _transfer(el, R_CONTACT, c.transfer, with_expiry=False)
    return el


def render_registrar(r: EscrowRegistrar) -> Element:
    el = etree.Element(f"{{{R_REGISTRAR}}}registrar", nsmap=_ns(R_REGISTRAR))
    _sub(el, R_REGISTRAR, "id", r.id)
    _sub(el, R_REGISTRAR, "name", r.name)
    if r.iana_id is not None:
        _sub(el, R_REGISTRAR, "gurid", str(r.iana_id))
    _sub(el, R_REGISTRAR, "status", r.status)
    if r.address is not None:
        ascii_only = all(part.isascii() for part in (*r.address.street, r.address.city, r.address.sp or ""))
        info = _sub(el, R_REGISTRAR, "postalInfo", type="int" if ascii_only else "loc")
        _address(_sub(info, R_REGISTRAR, "addr"), R_REGISTRAR, r.address)
    _opt(el, R_REGISTRAR, "voice", r.voice)
    _opt(el, R_REGISTRAR, "fax", r.fax)
    _sub(el, R_REGISTRAR, "email", r.email or "")
    _opt(el, R_REGISTRAR, "url", r.url)
    if r.whois_server:
        _sub(_sub(el, R_REGISTRAR, "whoisInfo"), R_REGISTRAR, "name", r.whois_server)
    _date(el, R_REGISTRAR, "crDate", r.created_at)
    _date(el, R_REGISTRAR, "upDate", r.updated_at)
    return el


def render_delete(d: EscrowDelete) -> Element:
    ns, tag = {"domain": (R_DOMAIN, "name"), "host": (R_HOST, "roid"), "contact": (R_CONTACT, "id")}[d.object_type]
    el = etree.Element(f"{{{ns}}}delete", nsmap=_ns(ns))
    _sub(el, ns, tag, d.key)
    return el


def render_epp_params() -> Element:
    """What our EPP greeting announces, in rdeEppParams words (the dcp as it is)."""
    menu = greeting().find(f"{{{EPP_NS}}}greeting")
    el = etree.Element(f"{{{R_PARAMS}}}eppParams", nsmap=_ns(R_PARAMS, EPP_NS))
    svc = menu.find(f"{{{EPP_NS}}}svcMenu")
    for child in svc:
        if child.tag == f"{{{EPP_NS}}}svcExtension":
            ext = _sub(el, R_PARAMS, "svcExtension")
            for uri in child:
                _sub(ext, EPP_NS, "extURI", uri.text)
        else:
            _sub(el, R_PARAMS, etree.QName(child).localname, child.text)
    el.append(_renamed(menu.find(f"{{{EPP_NS}}}dcp")))
    return el


def _renamed(dcp: Element) -> Element:
    el = etree.Element(f"{{{R_PARAMS}}}dcp")
    el.extend(list(dcp))
    return el


def render_header(tld: str, counts: DepositCounts) -> Element:
    el = etree.Element(f"{{{R_HEADER}}}header", nsmap=_ns(R_HEADER))
    _sub(el, R_HEADER, "tld", tld)
    for uri, number in counts.by_uri.items():
        _sub(el, R_HEADER, "count", str(number), uri=uri)
    return el


RENDERERS: dict[type, Callable[[Any], Element]] = {
    EscrowDomain: render_domain, EscrowHost: render_host, EscrowContact: render_contact,
    EscrowRegistrar: render_registrar, EscrowDelete: render_delete}


class _Tee:
    """The deposit's file, and a copy of every byte to `also` (the check process)."""

    def __init__(self, out: IO[bytes], also: Callable[[bytes], None]) -> None:
        self.out, self.also = out, also

    def write(self, data: bytes) -> int:
        written = self.out.write(data)
        self.also(bytes(data))
        return written

    def flush(self) -> None:
        self.out.flush()


class DepositXmlFile:
    """One deposit document written as it goes: begin, write batches (deletes first), end.
    `tee`, when given, is handed every byte written (in order, from the writing thread)."""

    def __init__(self, path: Path, tee: Callable[[bytes], None] | None = None) -> None:
        self.path = path
        self.tee = tee
        self._stack = contextlib.ExitStack()
        self._section: contextlib.ExitStack | None = None
        self._section_name = ""
        self._xf: Any = None
        self._out: Any = None
        self._with_params = False

    def begin(self, plan: DepositPlan, menu: tuple[str, ...]) -> None:
        # registration data: readable by the registry's user only
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        out: Any = self._stack.enter_context(os.fdopen(fd, "wb", buffering=1 << 20))
        if self.tee is not None:
            out = _Tee(out, self.tee)
        self._out = out
        self._xf = self._stack.enter_context(etree.xmlfile(out, encoding="UTF-8"))
        self._xf.write_declaration()
        attrib = {"type": plan.deposit_type, "id": plan.id, "resend": str(plan.resend)}
        if plan.prev_id:
            attrib["prevId"] = plan.prev_id
        self._stack.enter_context(self._xf.element(f"{{{RDE}}}deposit", attrib, nsmap=_ns(RDE)))
        watermark = etree.Element(f"{{{RDE}}}watermark", nsmap=_ns(RDE))
        watermark.text = plan.watermark.strftime("%Y-%m-%dT%H:%M:%SZ")
        self._xf.write(watermark)
        rde_menu = etree.Element(f"{{{RDE}}}rdeMenu", nsmap=_ns(RDE))
        _sub(rde_menu, RDE, "version", "1.0")
        for uri in menu:
            _sub(rde_menu, RDE, "objURI", uri)
        self._xf.write(rde_menu)
        self._with_params = R_PARAMS in menu

    def _enter(self, name: str) -> None:
        if self._section_name == name:
            return
        if self._section is not None:
            self._section.close()
        self._section = contextlib.ExitStack()
        self._section.enter_context(self._xf.element(f"{{{RDE}}}{name}"))
        self._section_name = name

    def write(self, items: list[Any]) -> None:
        """Domains go out as markup text (domain_markup.py), everything else as elements."""
        domains: list[str] = []
        for item in items:
            if type(item) is EscrowDomain:
                if not domains:
                    self._enter("contents")
                domains.append(domain_markup(item))
                continue
            self._write_markup(domains)
            self._enter("deletes" if isinstance(item, EscrowDelete) else "contents")
            self._xf.write(RENDERERS[type(item)](item))
        self._write_markup(domains)

    def _write_markup(self, markup: list[str]) -> None:
        """Text straight to the file, after what xmlfile holds in its buffer."""
        if markup:
            assert self._out is not None
            self._xf.flush()
            self._out.write("".join(markup).encode("utf-8"))
            markup.clear()

    def end(self, tld: str, counts: DepositCounts) -> None:
        self._enter("contents")
        if self._with_params:
            self._xf.write(render_epp_params())
        self._xf.write(render_header(tld, counts))
        assert self._section is not None
        self._section.close()
        self._stack.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._stack.close()
        self.path.unlink(missing_ok=True)
