"""An asyncio EPP client for any RFC 5730-5734 registry (ours included; tests and bench use it).

Three parts, from pure to I/O:
- `CommandBuilder` turns arguments into RFC 5730-5733 command XML (lxml elements, so user
  values are always escaped) plus extension elements for secDNS-1.1 (RFC 5910), rgp-1.0
  (RFC 3915) and fee-1.0 (RFC 8748);
- `Greeting` / `Response` parse what the server sends, defensively (no DTD, no entities,
  no network, no huge trees: the server is a peer, not a trusted party);
- `EppClient` holds one RFC 5734 TLS connection: frames out, frames in, a timeout on every
  read, and pipelining (`send_many`). Any failure mid-exchange aborts the connection,
  because a half-read frame cannot be resynchronised (RFC 5734 section 4).

Helpers return the parsed `Response` whatever its result code; call `.check()` to turn a
2xxx result into `EppCommandError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import secrets
import ssl
import string
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Concatenate, ParamSpec

from lxml import etree

from protocols.epp.framing import DEFAULT_MAX_FRAME, FrameError, encode_frame, read_frame

EPP_NS = "urn:ietf:params:xml:ns:epp-1.0"
DOMAIN_NS = "urn:ietf:params:xml:ns:domain-1.0"
CONTACT_NS = "urn:ietf:params:xml:ns:contact-1.0"
HOST_NS = "urn:ietf:params:xml:ns:host-1.0"
SECDNS_NS = "urn:ietf:params:xml:ns:secDNS-1.1"
RGP_NS = "urn:ietf:params:xml:ns:rgp-1.0"
FEE_NS = "urn:ietf:params:xml:ns:epp:fee-1.0"
NAMESPACES = {
    "epp": EPP_NS,
    "domain": DOMAIN_NS,
    "contact": CONTACT_NS,
    "host": HOST_NS,
    "secDNS": SECDNS_NS,
    "rgp": RGP_NS,
    "fee": FEE_NS,
}
_PREFIXES = {uri: prefix for prefix, uri in NAMESPACES.items()}
OBJ_URIS = (DOMAIN_NS, CONTACT_NS, HOST_NS)
EXT_URIS = (SECDNS_NS, RGP_NS, FEE_NS)
TRANSFER_OPS = frozenset({"request", "query", "cancel", "approve", "reject"})
DEFAULT_TIMEOUT = 60.0  # seconds for a connect, a handshake, or one response
CLOSE_TIMEOUT = 5.0

Element = Any  # lxml.etree._Element; lxml ships no type information
Extensions = Sequence[Element]


# --- errors ---------------------------------------------------------------------------


class EppError(Exception):
    """Base class of everything this client raises."""


class EppConnectionError(EppError):
    """The connection could not be made, or broke; it is closed."""


class EppTimeout(EppError, TimeoutError):
    """The server did not answer in time; the connection is closed (it cannot resync)."""


class EppProtocolError(EppError):
    """The server sent something that is not a usable EPP frame or document."""


class EppCommandError(EppError):
    """Raised by `Response.check()` for a 2xxx result."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"{response.code} {response.message}")
        self.response = response


# --- parsing what the server sends ----------------------------------------------------

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_blank_text=True,
    remove_comments=True,
    remove_pis=True,
)


def parse_document(raw: bytes) -> Element:
    """The `<epp>` root of one server document; refuses DTDs and foreign roots."""
    try:
        root = etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise EppProtocolError(f"malformed XML from server: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise EppProtocolError("server document carries a DTD")
    if root.tag != _q(EPP_NS, "epp"):
        raise EppProtocolError(f"unexpected root element {root.tag}")
    return root


@dataclass(frozen=True)
class _Document:
    root: Element
    raw: bytes = field(repr=False)

    def xpath(self, expr: str, **variables: Any) -> Any:
        """XPath from the `<epp>` root with the standard prefixes (epp, domain, contact,
        host, secDNS, rgp, fee); pass user values as `$variables`, never by formatting."""
        return self.root.xpath(expr, namespaces=NAMESPACES, **variables)

    def find(self, path: str) -> Element | None:
        """ElementPath search below `<epp>`; e.g. `find(".//domain:exDate")`."""
        return self.root.find(path, NAMESPACES)

    def findall(self, path: str) -> list[Element]:
        return list(self.root.findall(path, NAMESPACES))

    def findtext(self, path: str, default: str | None = None) -> str | None:
        return self.root.findtext(path, default, NAMESPACES)


@dataclass(frozen=True)
class Greeting(_Document):
    sv_id: str
    sv_date: str
    versions: tuple[str, ...]
    langs: tuple[str, ...]
    obj_uris: tuple[str, ...]
    ext_uris: tuple[str, ...]

    @classmethod
    def parse(cls, raw: bytes) -> Greeting:
        root = parse_document(raw)
        node = root.find("epp:greeting", NAMESPACES)
        if node is None:
            raise EppProtocolError("expected <greeting>")
        menu = "epp:svcMenu/"

        def texts(path: str) -> tuple[str, ...]:
            return tuple((e.text or "").strip() for e in node.findall(menu + path, NAMESPACES))

        return cls(
            root,
            raw,
            sv_id=node.findtext("epp:svID", "", NAMESPACES),
            sv_date=node.findtext("epp:svDate", "", NAMESPACES),
            versions=texts("epp:version"),
            langs=texts("epp:lang"),
            obj_uris=texts("epp:objURI"),
            ext_uris=texts("epp:svcExtension/epp:extURI"),
        )


@dataclass(frozen=True)
class Response(_Document):
    code: int  # of the first <result> (RFC 5730 section 2.6)
    message: str
    results: tuple[tuple[int, str], ...]
    cl_trid: str | None
    sv_trid: str | None
    msgq_count: int | None
    msgq_id: str | None

    @property
    def ok(self) -> bool:
        return 1000 <= self.code < 2000

    def check(self) -> Response:
        """Self if the command succeeded, else raise EppCommandError."""
        if not self.ok:
            raise EppCommandError(self)
        return self

    @property
    def res_data(self) -> Element | None:
        return self.find("epp:response/epp:resData")

    @property
    def extension(self) -> Element | None:
        return self.find("epp:response/epp:extension")

    @classmethod
    def parse(cls, raw: bytes) -> Response:
        root = parse_document(raw)
        node = root.find("epp:response", NAMESPACES)
        if node is None:
            raise EppProtocolError("expected <response>")
        results = tuple(_result(r) for r in node.findall("epp:result", NAMESPACES))
        if not results:
            raise EppProtocolError("response without <result>")
        msgq = node.find("epp:msgQ", NAMESPACES)
        return cls(
            root,
            raw,
            code=results[0][0],
            message=results[0][1],
            results=results,
            cl_trid=node.findtext("epp:trID/epp:clTRID", None, NAMESPACES),
            sv_trid=node.findtext("epp:trID/epp:svTRID", None, NAMESPACES),
            msgq_count=None if msgq is None else _int_attribute(msgq, "count"),
            msgq_id=None if msgq is None else msgq.get("id"),
        )


def _result(node: Element) -> tuple[int, str]:
    return _int_attribute(node, "code"), (node.findtext("epp:msg", "", NAMESPACES) or "").strip()


def _int_attribute(node: Element, name: str) -> int:
    try:
        return int(node.get(name, ""))
    except ValueError as exc:
        raise EppProtocolError(f"<{etree.QName(node).localname}> {name}={node.get(name)!r}") from exc


# --- building commands ----------------------------------------------------------------


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


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _child(parent: Element, tag: str, text: object = None, **attrib: str) -> Element:
    """A child in the parent's namespace; lxml escapes `text` and rejects control characters."""
    node = etree.SubElement(parent, _q(etree.QName(parent).namespace, tag), attrib)
    if text is not None:
        node.text = str(text)
    return node


def _ext_root(ns: str, tag: str, **attrib: str) -> Element:
    return etree.Element(_q(ns, tag), attrib, nsmap={_PREFIXES[ns]: ns})


class _Draft:
    """`<epp><command><verb [attrib]><obj:verb xmlns:obj=...>` ready to be filled."""

    def __init__(self, verb: str, ns: str | None = None, **attrib: str) -> None:
        self.epp = etree.Element(_q(EPP_NS, "epp"), nsmap={None: EPP_NS})
        self.command = etree.SubElement(self.epp, _q(EPP_NS, "command"))
        self.verb = etree.SubElement(self.command, _q(EPP_NS, verb), attrib)
        self.obj = self.verb
        if ns is not None:
            self.obj = etree.SubElement(self.verb, _q(ns, verb), nsmap={_PREFIXES[ns]: ns})

    def finish(self, cl_trid: str, extensions: Extensions = ()) -> bytes:
        if extensions:
            holder = etree.SubElement(self.command, _q(EPP_NS, "extension"))
            holder.extend(extensions)
        etree.SubElement(self.command, _q(EPP_NS, "clTRID")).text = cl_trid
        return _serialize(self.epp)


def _serialize(root: Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False))


def _ip_version(address: str) -> str:
    return f"v{ipaddress.ip_address(address).version}"  # ValueError for a bad address


def _auth_info(parent: Element, password: str, roid: str | None = None) -> None:
    holder = _child(parent, "authInfo")
    _child(holder, "pw", password, **({"roid": roid} if roid else {}))


def _period(parent: Element, period: int | None, unit: str) -> None:
    if period is not None:
        _child(parent, "period", period, unit=unit)


def _nameservers(parent: Element, nameservers: Sequence[str | HostAttr]) -> None:
    if not nameservers:
        return
    by_attr = [isinstance(ns, HostAttr) for ns in nameservers]
    if any(by_attr) and not all(by_attr):
        raise ValueError("RFC 5731: <domain:ns> holds hostObj or hostAttr, not both")
    holder = _child(parent, "ns")
    for ns in nameservers:
        if isinstance(ns, HostAttr):
            attr = _child(holder, "hostAttr")
            _child(attr, "hostName", ns.name)
            for address in ns.addresses:
                _child(attr, "hostAddr", address, ip=_ip_version(address))
        else:
            _child(holder, "hostObj", ns)


def _contacts(parent: Element, contacts: Mapping[str, Sequence[str]] | None) -> None:
    for kind, ids in (contacts or {}).items():
        for contact_id in ids:
            _child(parent, "contact", contact_id, type=kind)


def _statuses(parent: Element, statuses: Sequence[str]) -> None:
    for status in statuses:
        _child(parent, "status", s=status)


def _disclose(parent: Element, disclose: Disclose, postal_type: str) -> None:
    unknown = set(disclose.fields) - set(_DISCLOSE_ORDER)
    if unknown:
        raise ValueError(f"unknown disclose fields {sorted(unknown)}")
    holder = _child(parent, "disclose", flag="1" if disclose.flag else "0")
    for name in sorted(set(disclose.fields), key=_DISCLOSE_ORDER.index):
        _child(holder, name, **({"type": postal_type} if name in ("name", "org", "addr") else {}))


def random_auth_info(length: int = 16) -> str:
    """An authInfo password with lower, upper, digit and punctuation (common registry policy)."""
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "-_.+=!")
    chars = [secrets.choice(c) for c in classes]
    chars += [secrets.choice("".join(classes)) for _ in range(length - len(classes))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


class CommandBuilder:
    """Pure builders: each returns one complete EPP document (bytes). Every method takes
    `cl_trid` (a fresh one is generated when None); object commands take `extensions`,
    elements from the extension helpers below (or any other, built by the caller)."""

    def __init__(self, cl_trid_prefix: str = "py") -> None:
        self.cl_trid_prefix = cl_trid_prefix

    def new_cl_trid(self) -> str:
        return f"{self.cl_trid_prefix}-{uuid.uuid4().hex}"  # RFC 5730 trIDStringType: 3..64

    def _done(self, draft: _Draft, cl_trid: str | None, extensions: Extensions = ()) -> bytes:
        return draft.finish(cl_trid or self.new_cl_trid(), extensions)

    # session management: RFC 5730 section 2.9.1

    def hello(self) -> bytes:
        root = etree.Element(_q(EPP_NS, "epp"), nsmap={None: EPP_NS})
        etree.SubElement(root, _q(EPP_NS, "hello"))
        return _serialize(root)

    def login(
        self,
        clid: str,
        password: str,
        *,
        new_password: str | None = None,
        obj_uris: Sequence[str] = OBJ_URIS,
        ext_uris: Sequence[str] = EXT_URIS,
        version: str = "1.0",
        lang: str = "en",
        cl_trid: str | None = None,
    ) -> bytes:
        draft = _Draft("login")
        _child(draft.obj, "clID", clid)
        _child(draft.obj, "pw", password)
        if new_password is not None:
            _child(draft.obj, "newPW", new_password)
        options = _child(draft.obj, "options")
        _child(options, "version", version)
        _child(options, "lang", lang)
        services = _child(draft.obj, "svcs")
        for uri in obj_uris:
            _child(services, "objURI", uri)
        if ext_uris:
            holder = _child(services, "svcExtension")
            for uri in ext_uris:
                _child(holder, "extURI", uri)
        return self._done(draft, cl_trid)

    def logout(self, *, cl_trid: str | None = None) -> bytes:
        return self._done(_Draft("logout"), cl_trid)

    def poll_request(self, *, cl_trid: str | None = None) -> bytes:
        return self._done(_Draft("poll", op="req"), cl_trid)

    def poll_ack(self, msg_id: str | int, *, cl_trid: str | None = None) -> bytes:
        return self._done(_Draft("poll", op="ack", msgID=str(msg_id)), cl_trid)

    # queries and transforms shared by the three objects

    def _check(self, ns: str, key: str, values: Sequence[str], cl_trid: str | None, ext: Extensions) -> bytes:
        if not values:
            raise ValueError("check needs at least one object")
        draft = _Draft("check", ns)
        for value in values:
            _child(draft.obj, key, value)
        return self._done(draft, cl_trid, ext)

    def _single(
        self, verb: str, ns: str, key: str, value: str, cl_trid: str | None, ext: Extensions
    ) -> bytes:
        draft = _Draft(verb, ns)
        _child(draft.obj, key, value)
        return self._done(draft, cl_trid, ext)

    # domain: RFC 5731

    def domain_check(self, *names: str, cl_trid: str | None = None, extensions: Extensions = ()) -> bytes:
        return self._check(DOMAIN_NS, "name", names, cl_trid, extensions)

    def domain_info(
        self,
        name: str,
        *,
        auth_info: str | None = None,
        auth_roid: str | None = None,
        hosts: str = "all",
        cl_trid: str | None = None,
        extensions: Extensions = (),
    ) -> bytes:
        draft = _Draft("info", DOMAIN_NS)
        _child(draft.obj, "name", name, hosts=hosts)
        if auth_info is not None:
            _auth_info(draft.obj, auth_info, auth_roid)
        return self._done(draft, cl_trid, extensions)

    def domain_create(
        self,
        name: str,
        *,
        period: int | None = 1,
        unit: str = "y",
        registrant: str | None = None,
        contacts: Mapping[str, Sequence[str]] | None = None,
        nameservers: Sequence[str | HostAttr] = (),
        auth_info: str | None = None,
        cl_trid: str | None = None,
        extensions: Extensions = (),
    ) -> bytes:
        """`contacts` maps a type (admin, billing, tech) to contact ids; `auth_info` None
        generates a random password (read it back with domain_info)."""
        draft = _Draft("create", DOMAIN_NS)
        _child(draft.obj, "name", name)
        _period(draft.obj, period, unit)
        _nameservers(draft.obj, nameservers)
        if registrant is not None:
            _child(draft.obj, "registrant", registrant)
        _contacts(draft.obj, contacts)
        _auth_info(draft.obj, auth_info if auth_info is not None else random_auth_info())
        return self._done(draft, cl_trid, extensions)

    def domain_renew(
        self,
        name: str,
        cur_exp_date: date,
        period: int | None = 1,
        *,
        unit: str = "y",
        cl_trid: str | None = None,
        extensions: Extensions = (),
    ) -> bytes:
        draft = _Draft("renew", DOMAIN_NS)
        _child(draft.obj, "name", name)
        _child(draft.obj, "curExpDate", f"{cur_exp_date:%Y-%m-%d}")
        _period(draft.obj, period, unit)
        return self._done(draft, cl_trid, extensions)

    def domain_delete(self, name: str, *, cl_trid: str | None = None, extensions: Extensions = ()) -> bytes:
        return self._single("delete", DOMAIN_NS, "name", name, cl_trid, extensions)

    def domain_update(
        self,
        name: str,
        *,
        add_status: Sequence[str] = (),
        rem_status: Sequence[str] = (),
        add_ns: Sequence[str | HostAttr] = (),
        rem_ns: Sequence[str | HostAttr] = (),
        add_contacts: Mapping[str, Sequence[str]] | None = None,
        rem_contacts: Mapping[str, Sequence[str]] | None = None,
        registrant: str | None = None,
        auth_info: str | None = None,
        cl_trid: str | None = None,
        extensions: Extensions = (),
    ) -> bytes:
        """`registrant=""` removes the registrant; with nothing to change an empty
        `<domain:chg/>` is sent (the shape RFC 3915 restore and RFC 5910 updates use)."""
        draft = _Draft("update", DOMAIN_NS)
        _child(draft.obj, "name", name)
        for tag, ns, contacts, statuses in (
            ("add", add_ns, add_contacts, add_status),
            ("rem", rem_ns, rem_contacts, rem_status),
        ):
            if ns or contacts or statuses:
                holder = _child(draft.obj, tag)
                _nameservers(holder, ns)
                _contacts(holder, contacts)
                _statuses(holder, statuses)
        if registrant is not None or auth_info is not None or len(draft.obj) == 1:
            change = _child(draft.obj, "chg")
            if registrant is not None:
                _child(change, "registrant", registrant or None)
            if auth_info is not None:
                _auth_info(change, auth_info)
        return self._done(draft, cl_trid, extensions)

    def domain_restore(self, name: str, *, cl_trid: str | None = None) -> bytes:
        """RFC 3915 section 4.2.5 restore request (no report)."""
        return self.domain_update(name, cl_trid=cl_trid, extensions=(rgp_restore_request(),))

    def domain_transfer(
        self,
        op: str,
        name: str,
        *,
        auth_info: str | None = None,
        auth_roid: str | None = None,
        period: int | None = None,
        unit: str = "y",
        cl_trid: str | None = None,
        extensions: Extensions = (),
    ) -> bytes:
        if op not in TRANSFER_OPS:
            raise ValueError(f"transfer op {op!r} not in {sorted(TRANSFER_OPS)}")
        draft = _Draft("transfer", DOMAIN_NS, op=op)
        _child(draft.obj, "name", name)
        _period(draft.obj, period, unit)
        if auth_info is not None:
            _auth_info(draft.obj, auth_info, auth_roid)
        return self._done(draft, cl_trid, extensions)

    # contact: RFC 5733

    def contact_check(self, *ids: str, cl_trid: str | None = None, extensions: Extensions = ()) -> bytes:
        return self._check(CONTACT_NS, "id", ids, cl_trid, extensions)

    def contact_info(
        self,
        contact_id: str,
        *,
        auth_info: str | None = None,
        cl_trid: str | None = None,
        extensions: Extensions = (),
    ) -> bytes:
        draft = _Draft("info", CONTACT_NS)
        _child(draft.obj, "id", contact_id)
        if auth_info is not None:
            _auth_info(draft.obj, auth_info)
        return self._done(draft, cl_trid, extensions)

    def contact_create(
        self,
        contact_id: str,
        *,
        name: str,
        email: str,
        city: str,
        cc: str,
        street: Sequence[str] = (),
        sp: str | None = None,
        pc: str | None = None,
        org: str | None = None,
        voice: str | None = None,
        fax: str | None = None,
        auth_info: str | None = None,
        postal_type: str = "int",
        disclose: Disclose | None = None,
        cl_trid: str | None = None,
        extensions: Extensions = (),
    ) -> bytes:
        """One postalInfo of `postal_type` (int or loc); `auth_info` None generates one."""
        draft = _Draft("create", CONTACT_NS)
        _child(draft.obj, "id", contact_id)
        postal = _child(draft.obj, "postalInfo", type=postal_type)
        _child(postal, "name", name)
        if org is not None:
            _child(postal, "org", org)
        address = _child(postal, "addr")
        for line in street:
            _child(address, "street", line)
        for tag, value in (("city", city), ("sp", sp), ("pc", pc), ("cc", cc)):
            if value is not None:
                _child(address, tag, value)
        for tag, value in (("voice", voice), ("fax", fax), ("email", email)):
            if value is not None:
                _child(draft.obj, tag, value)
        _auth_info(draft.obj, auth_info if auth_info is not None else random_auth_info())
        if disclose is not None:
            _disclose(draft.obj, disclose, postal_type)
        return self._done(draft, cl_trid, extensions)

    def contact_delete(
        self, contact_id: str, *, cl_trid: str | None = None, extensions: Extensions = ()
    ) -> bytes:
        return self._single("delete", CONTACT_NS, "id", contact_id, cl_trid, extensions)

    # host: RFC 5732

    def host_check(self, *names: str, cl_trid: str | None = None, extensions: Extensions = ()) -> bytes:
        return self._check(HOST_NS, "name", names, cl_trid, extensions)

    def host_info(self, name: str, *, cl_trid: str | None = None, extensions: Extensions = ()) -> bytes:
        return self._single("info", HOST_NS, "name", name, cl_trid, extensions)

    def host_create(
        self,
        name: str,
        *,
        addresses: Sequence[str] = (),
        cl_trid: str | None = None,
        extensions: Extensions = (),
    ) -> bytes:
        draft = _Draft("create", HOST_NS)
        _child(draft.obj, "name", name)
        for address in addresses:
            _child(draft.obj, "addr", address, ip=_ip_version(address))
        return self._done(draft, cl_trid, extensions)

    def host_delete(self, name: str, *, cl_trid: str | None = None, extensions: Extensions = ()) -> bytes:
        return self._single("delete", HOST_NS, "name", name, cl_trid, extensions)

    def host_update(
        self,
        name: str,
        *,
        add_addrs: Sequence[str] = (),
        rem_addrs: Sequence[str] = (),
        add_status: Sequence[str] = (),
        rem_status: Sequence[str] = (),
        new_name: str | None = None,
        cl_trid: str | None = None,
        extensions: Extensions = (),
    ) -> bytes:
        draft = _Draft("update", HOST_NS)
        _child(draft.obj, "name", name)
        for tag, addresses, statuses in (("add", add_addrs, add_status), ("rem", rem_addrs, rem_status)):
            if addresses or statuses:
                holder = _child(draft.obj, tag)
                for address in addresses:
                    _child(holder, "addr", address, ip=_ip_version(address))
                _statuses(holder, statuses)
        if new_name is not None:
            _child(_child(draft.obj, "chg"), "name", new_name)
        return self._done(draft, cl_trid, extensions)


# --- extension elements (pass them as `extensions=`) ----------------------------------


def secdns_create(ds: Sequence[DsData], *, max_sig_life: int | None = None) -> Element:
    """RFC 5910 section 5.2.1, DS data interface."""
    root = _ext_root(SECDNS_NS, "create")
    if max_sig_life is not None:
        _child(root, "maxSigLife", max_sig_life)
    _ds_records(root, ds)
    return root


def secdns_update(
    *, add: Sequence[DsData] = (), rem: Sequence[DsData] = (), rem_all: bool = False, urgent: bool = False
) -> Element:
    """RFC 5910 section 5.2.5: `rem_all` removes every DS record before `add`."""
    root = _ext_root(SECDNS_NS, "update", **({"urgent": "true"} if urgent else {}))
    if rem_all:
        _child(_child(root, "rem"), "all", "true")
    elif rem:
        _ds_records(_child(root, "rem"), rem)
    if add:
        _ds_records(_child(root, "add"), add)
    return root


def _ds_records(parent: Element, records: Sequence[DsData]) -> None:
    for record in records:
        holder = _child(parent, "dsData")
        _child(holder, "keyTag", record.key_tag)
        _child(holder, "alg", record.alg)
        _child(holder, "digestType", record.digest_type)
        _child(holder, "digest", record.digest)


def rgp_restore_request() -> Element:
    """RFC 3915 section 4.2.5: `<rgp:update><rgp:restore op="request"/></rgp:update>`."""
    root = _ext_root(RGP_NS, "update")
    _child(root, "restore", op="request")
    return root


def fee_check(
    command: str, *, period: int | None = 1, unit: str = "y", currency: str | None = None
) -> Element:
    """RFC 8748 section 5.1.1: ask the fee of `command` (create, renew, transfer, restore)."""
    root = _ext_root(FEE_NS, "check")
    if currency is not None:
        _child(root, "currency", currency)
    node = _child(root, "command", name=command)
    _period(node, period, unit)
    return root


def fee_agreement(command: str, amount: Decimal | str, *, currency: str | None = None) -> Element:
    """RFC 8748 section 5.2: `<fee:create|renew|transfer|update>` accepting `amount`."""
    root = _ext_root(FEE_NS, command)
    if currency is not None:
        _child(root, "currency", currency)
    _child(root, "fee", amount)
    return root


# --- the connection -------------------------------------------------------------------

P = ParamSpec("P")


def _sends(
    build: Callable[Concatenate[CommandBuilder, P], bytes],
) -> Callable[Concatenate[EppClient, P], Awaitable[Response]]:
    """Turn a CommandBuilder method into an EppClient method with the same parameters."""

    @functools.wraps(build)
    async def method(self: EppClient, /, *args: P.args, **kwargs: P.kwargs) -> Response:
        return await self.request(build(self.build, *args, **kwargs))

    return method


class EppClient:
    """One EPP session over TLS (RFC 5734). EPP answers strictly in order, so concurrent
    callers are serialised by a lock; use `send_many` / `request_many` to pipeline."""

    def __init__(
        self,
        *,
        max_frame: int = DEFAULT_MAX_FRAME,
        timeout: float = DEFAULT_TIMEOUT,
        cl_trid_prefix: str = "py",
    ) -> None:
        self.build = CommandBuilder(cl_trid_prefix)
        self.max_frame = max_frame  # bound on a response frame (RFC 5734 section 4)
        self.timeout = timeout
        self.greeting: Greeting | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return self._writer is not None

    async def __aenter__(self) -> EppClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext,
        *,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - bounds handshake and greeting read separately
    ) -> Greeting:
        """Open the TLS connection and read the greeting (RFC 5730 section 2.4)."""
        if self._writer is not None:
            raise EppError("already connected")
        limit = self.timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                self._reader, self._writer = await asyncio.open_connection(
                    host, port, ssl=ssl_context, server_hostname=server_hostname, ssl_handshake_timeout=limit
                )
        except TimeoutError as exc:
            raise EppTimeout(f"connect to {host}:{port}: no answer within {limit:g}s") from exc
        except OSError as exc:
            raise EppConnectionError(f"connect to {host}:{port}: {exc}") from exc
        async with self._guard("greeting", limit):
            self.greeting = Greeting.parse(await self._read())
        return self.greeting

    async def send_raw(self, xml: bytes, *, read_timeout: float | None = None) -> bytes:
        """Send one document, return the payload of the next frame."""
        return (await self.send_many([xml], read_timeout=read_timeout))[0]

    async def send_many(
        self, documents: Sequence[bytes], *, read_timeout: float | None = None
    ) -> list[bytes]:
        """Pipeline: write every frame, then read as many responses, in order. The writes are
        buffered rather than drained first, so a server that answers while we still write
        cannot deadlock us. `read_timeout` (default: the client's) bounds each read."""
        limit = self.timeout if read_timeout is None else read_timeout
        async with self._lock:
            writer = self._require()
            async with self._guard("send", limit):
                writer.write(b"".join(encode_frame(doc) for doc in documents))
            answers = []
            for _ in documents:
                async with self._guard("response", limit):
                    answers.append(await self._read())
            async with self._guard("send", limit):
                await writer.drain()
            return answers

    async def request(self, xml: bytes, *, read_timeout: float | None = None) -> Response:
        return Response.parse(await self.send_raw(xml, read_timeout=read_timeout))

    async def request_many(
        self, documents: Sequence[bytes], *, read_timeout: float | None = None
    ) -> list[Response]:
        raw = await self.send_many(documents, read_timeout=read_timeout)
        return [Response.parse(document) for document in raw]

    async def close(self) -> None:
        """Close the TLS connection (after `logout`, or to abandon the session)."""
        writer, self._reader, self._writer = self._writer, None, None
        if writer is None:
            return
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await writer.wait_closed()

    # session

    async def hello(self, *, read_timeout: float | None = None) -> Greeting:
        self.greeting = Greeting.parse(await self.send_raw(self.build.hello(), read_timeout=read_timeout))
        return self.greeting

    async def login(
        self,
        clid: str,
        password: str,
        *,
        new_password: str | None = None,
        obj_uris: Sequence[str] | None = None,
        ext_uris: Sequence[str] | None = None,
        version: str = "1.0",
        lang: str = "en",
        cl_trid: str | None = None,
    ) -> Response:
        """URIs default to the standard ones (OBJ_URIS, EXT_URIS) the greeting announced."""
        document = self.build.login(
            clid,
            password,
            new_password=new_password,
            obj_uris=self._announced(OBJ_URIS, "obj_uris") if obj_uris is None else obj_uris,
            ext_uris=self._announced(EXT_URIS, "ext_uris") if ext_uris is None else ext_uris,
            version=version,
            lang=lang,
            cl_trid=cl_trid,
        )
        return await self.request(document)

    async def logout(self, *, cl_trid: str | None = None) -> Response:
        """Logout; the server closes after 1500 (RFC 5730 section 2.9.1.2), so do we."""
        response = await self.request(self.build.logout(cl_trid=cl_trid))
        if response.code == 1500:
            await self.close()
        return response

    poll_request = _sends(CommandBuilder.poll_request)
    poll_ack = _sends(CommandBuilder.poll_ack)
    domain_check = _sends(CommandBuilder.domain_check)
    domain_info = _sends(CommandBuilder.domain_info)
    domain_create = _sends(CommandBuilder.domain_create)
    domain_renew = _sends(CommandBuilder.domain_renew)
    domain_delete = _sends(CommandBuilder.domain_delete)
    domain_update = _sends(CommandBuilder.domain_update)
    domain_restore = _sends(CommandBuilder.domain_restore)
    domain_transfer = _sends(CommandBuilder.domain_transfer)
    contact_check = _sends(CommandBuilder.contact_check)
    contact_info = _sends(CommandBuilder.contact_info)
    contact_create = _sends(CommandBuilder.contact_create)
    contact_delete = _sends(CommandBuilder.contact_delete)
    host_check = _sends(CommandBuilder.host_check)
    host_info = _sends(CommandBuilder.host_info)
    host_create = _sends(CommandBuilder.host_create)
    host_delete = _sends(CommandBuilder.host_delete)
    host_update = _sends(CommandBuilder.host_update)

    # internals

    def _announced(self, ours: Sequence[str], attribute: str) -> list[str]:
        if self.greeting is None:
            return list(ours)
        offered = set(getattr(self.greeting, attribute))
        return [uri for uri in ours if uri in offered]

    def _require(self) -> asyncio.StreamWriter:
        if self._writer is None:
            raise EppConnectionError("not connected")
        return self._writer

    async def _read(self) -> bytes:
        if self._reader is None:
            raise EppConnectionError("not connected")
        payload = await read_frame(self._reader, self.max_frame)
        if payload is None:
            raise EppConnectionError("server closed the connection")
        return payload

    @contextlib.asynccontextmanager
    async def _guard(self, what: str, limit: float) -> AsyncIterator[None]:
        """Bound one step by `limit`; any failure (or cancellation) leaves the stream at an
        unknown frame boundary, so the connection is aborted before the error propagates."""
        try:
            async with asyncio.timeout(limit):
                yield
        except TimeoutError as exc:
            self._abort()
            raise EppTimeout(f"{what}: no answer within {limit:g}s") from exc
        except FrameError as exc:
            self._abort()
            raise EppProtocolError(f"{what}: {exc}") from exc
        except OSError as exc:
            self._abort()
            raise EppConnectionError(f"{what}: {exc}") from exc
        except BaseException:
            self._abort()
            raise

    def _abort(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.transport.abort()
