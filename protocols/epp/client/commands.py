"""Pure command builders: each returns one complete RFC 5730-5733 EPP document (bytes),
built with lxml so user values are always escaped."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date

from lxml import etree

from protocols.epp.client.elements import (
    Disclose,
    Extensions,
    HostAttr,
    child,
    ip_version,
    object_root,
    qname,
    random_auth_info,
    serialize,
    write_auth_info,
    write_contacts,
    write_disclose,
    write_nameservers,
    write_period,
    write_statuses,
)
from protocols.epp.client.extensions import rgp_restore_request
from protocols.epp.codec import CONTACT_NS, DOMAIN_NS, EPP_NS, EXTENSION_URIS, HOST_NS, OBJECT_URIS

TRANSFER_OPS = frozenset({"request", "query", "cancel", "approve", "reject"})


class _Draft:
    """`<epp><command><verb [attrib]><obj:verb xmlns:obj=...>` ready to be filled."""

    def __init__(self, verb: str, ns: str | None = None, **attrib: str) -> None:
        self.epp = etree.Element(qname(EPP_NS, "epp"), nsmap={None: EPP_NS})
        self.command = etree.SubElement(self.epp, qname(EPP_NS, "command"))
        self.verb = etree.SubElement(self.command, qname(EPP_NS, verb), attrib)
        self.obj = self.verb if ns is None else object_root(self.verb, ns, verb)

    def finish(self, cl_trid: str, extensions: Extensions = ()) -> bytes:
        if extensions:
            holder = etree.SubElement(self.command, qname(EPP_NS, "extension"))
            holder.extend(extensions)
        etree.SubElement(self.command, qname(EPP_NS, "clTRID")).text = cl_trid
        return serialize(self.epp)


class CommandBuilder:
    """Pure builders: each returns one complete EPP document (bytes). Every method takes
    `cl_trid` (a fresh one is generated when None); object commands take `extensions`,
    elements from `extensions` (or any other, built by the caller)."""

    def __init__(self, cl_trid_prefix: str = "py") -> None:
        self.cl_trid_prefix = cl_trid_prefix

    def new_cl_trid(self) -> str:
        return f"{self.cl_trid_prefix}-{uuid.uuid4().hex}"  # RFC 5730 trIDStringType: 3..64

    def _done(self, draft: _Draft, cl_trid: str | None, extensions: Extensions = ()) -> bytes:
        return draft.finish(cl_trid or self.new_cl_trid(), extensions)

    # session management: RFC 5730 section 2.9.1

    def hello(self) -> bytes:
        root = etree.Element(qname(EPP_NS, "epp"), nsmap={None: EPP_NS})
        etree.SubElement(root, qname(EPP_NS, "hello"))
        return serialize(root)

    def login(
        self,
        clid: str,
        password: str,
        *,
        new_password: str | None = None,
        obj_uris: Sequence[str] = OBJECT_URIS,
        ext_uris: Sequence[str] = EXTENSION_URIS,
        version: str = "1.0",
        lang: str = "en",
        cl_trid: str | None = None,
    ) -> bytes:
        draft = _Draft("login")
        child(draft.obj, "clID", clid)
        child(draft.obj, "pw", password)
        if new_password is not None:
            child(draft.obj, "newPW", new_password)
        options = child(draft.obj, "options")
        child(options, "version", version)
        child(options, "lang", lang)
        services = child(draft.obj, "svcs")
        for uri in obj_uris:
            child(services, "objURI", uri)
        if ext_uris:
            holder = child(services, "svcExtension")
            for uri in ext_uris:
                child(holder, "extURI", uri)
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
            child(draft.obj, key, value)
        return self._done(draft, cl_trid, ext)

    def _single(self, verb: str, ns: str, key: str, value: str, cl_trid: str | None, ext: Extensions) -> bytes:
        draft = _Draft(verb, ns)
        child(draft.obj, key, value)
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
        child(draft.obj, "name", name, hosts=hosts)
        if auth_info is not None:
            write_auth_info(draft.obj, auth_info, auth_roid)
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
        child(draft.obj, "name", name)
        write_period(draft.obj, period, unit)
        write_nameservers(draft.obj, nameservers)
        if registrant is not None:
            child(draft.obj, "registrant", registrant)
        write_contacts(draft.obj, contacts)
        write_auth_info(draft.obj, auth_info if auth_info is not None else random_auth_info())
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
        child(draft.obj, "name", name)
        child(draft.obj, "curExpDate", f"{cur_exp_date:%Y-%m-%d}")
        write_period(draft.obj, period, unit)
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
        child(draft.obj, "name", name)
        for tag, ns, contacts, statuses in (
            ("add", add_ns, add_contacts, add_status),
            ("rem", rem_ns, rem_contacts, rem_status),
        ):
            if ns or contacts or statuses:
                holder = child(draft.obj, tag)
                write_nameservers(holder, ns)
                write_contacts(holder, contacts)
                write_statuses(holder, statuses)
        if registrant is not None or auth_info is not None or len(draft.obj) == 1:
            change = child(draft.obj, "chg")
            if registrant is not None:
                child(change, "registrant", registrant or None)
            if auth_info is not None:
                write_auth_info(change, auth_info)
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
        child(draft.obj, "name", name)
        write_period(draft.obj, period, unit)
        if auth_info is not None:
            write_auth_info(draft.obj, auth_info, auth_roid)
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
        child(draft.obj, "id", contact_id)
        if auth_info is not None:
            write_auth_info(draft.obj, auth_info)
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
        child(draft.obj, "id", contact_id)
        postal = child(draft.obj, "postalInfo", type=postal_type)
        child(postal, "name", name)
        if org is not None:
            child(postal, "org", org)
        address = child(postal, "addr")
        for line in street:
            child(address, "street", line)
        for tag, value in (("city", city), ("sp", sp), ("pc", pc), ("cc", cc)):
            if value is not None:
                child(address, tag, value)
        for tag, value in (("voice", voice), ("fax", fax), ("email", email)):
            if value is not None:
                child(draft.obj, tag, value)
        write_auth_info(draft.obj, auth_info if auth_info is not None else random_auth_info())
        if disclose is not None:
            write_disclose(draft.obj, disclose, postal_type)
        return self._done(draft, cl_trid, extensions)

    def contact_delete(self, contact_id: str, *, cl_trid: str | None = None, extensions: Extensions = ()) -> bytes:
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
        child(draft.obj, "name", name)
        for address in addresses:
            child(draft.obj, "addr", address, ip=ip_version(address))
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
        child(draft.obj, "name", name)
        for tag, addresses, statuses in (("add", add_addrs, add_status), ("rem", rem_addrs, rem_status)):
            if addresses or statuses:
                holder = child(draft.obj, tag)
                for address in addresses:
                    child(holder, "addr", address, ip=ip_version(address))
                write_statuses(holder, statuses)
        if new_name is not None:
            child(child(draft.obj, "chg"), "name", new_name)
        return self._done(draft, cl_trid, extensions)
