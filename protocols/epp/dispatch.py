"""From one frame's bytes to one response's bytes: parse, validate, gate on the session,
call the flow from the literal table, map core errors, render. No socket I/O here."""

from __future__ import annotations

import itertools
import logging
import math
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType

from lxml import etree

from protocols.epp import codec
from protocols.epp.activity_fields import activity_field, activity_tld
from protocols.epp.codec import CONTACT_NS, DOMAIN_NS, EPP_NS, HOST_NS
from protocols.epp.errors import reply_for
from protocols.epp.flows import (
    contact_check,
    contact_create,
    contact_delete,
    contact_info,
    contact_transfer,
    contact_update,
    domain_check,
    domain_create,
    domain_delete,
    domain_info,
    domain_renew,
    domain_transfer,
    domain_update,
    host_check,
    host_create,
    host_delete,
    host_info,
    host_update,
    login,
    logout,
    poll,
)
from protocols.epp.request import Element, Reply, Request
from protocols.epp.responses import greeting, response
from protocols.epp.results import ResultCode
from protocols.epp.session import Session
from protocols.net.activity import COUNTS
from protocols.net.limits import CommandPacer, Lease, LimitStore, ProcessStore
from protocols.serve import metrics
from registry_core.context import Core
from registry_core.errors import CoreError, DatabaseUnavailable

_log = logging.getLogger("registry.epp")
Flow = Callable[[Request], Awaitable[Reply]]

# (verb, object namespace) -> flow module (its `run`, and the `EXTENSIONS` it reads; any other
# extension on that command is refused with 2103). Session commands use the EPP namespace.
FLOWS: dict[tuple[str, str], ModuleType] = {
    ("login", EPP_NS): login,
    ("logout", EPP_NS): logout,
    ("poll", EPP_NS): poll,
    ("check", DOMAIN_NS): domain_check,
    ("info", DOMAIN_NS): domain_info,
    ("create", DOMAIN_NS): domain_create,
    ("update", DOMAIN_NS): domain_update,
    ("delete", DOMAIN_NS): domain_delete,
    ("renew", DOMAIN_NS): domain_renew,
    ("transfer", DOMAIN_NS): domain_transfer,
    ("check", CONTACT_NS): contact_check,
    ("info", CONTACT_NS): contact_info,
    ("create", CONTACT_NS): contact_create,
    ("update", CONTACT_NS): contact_update,
    ("delete", CONTACT_NS): contact_delete,
    ("transfer", CONTACT_NS): contact_transfer,
    ("check", HOST_NS): host_check,
    ("info", HOST_NS): host_info,
    ("create", HOST_NS): host_create,
    ("update", HOST_NS): host_update,
    ("delete", HOST_NS): host_delete,
}


@dataclass
class Outcome:
    data: bytes
    code: ResultCode | None  # None for a greeting
    close: bool = False


class Dispatcher:
    def __init__(self, core: Core, schema: codec.EppSchema, extension_uris: tuple[str, ...],
                 max_failed_logins: int, max_sessions_per_registrar: int = 20, *,
                 pacer: CommandPacer | None = None, limits: LimitStore | None = None) -> None:
        self.core = core
        self.pacer = pacer  # the command rate per registrar
        self.limits: LimitStore = limits or ProcessStore()  # where sessions are counted (node, all nodes)
        self.schema = schema
        self.extension_uris = extension_uris
        self.max_failed_logins = max_failed_logins
        self.max_sessions = max_sessions_per_registrar
        self._leases: dict[int, Lease] = {}  # id(session) -> its place under the registrar's cap
        self._ids = itertools.count(1)
        self._prefix = f"RS-{os.getpid():x}-{int(time.time()):x}"

    async def _admit(self, session: Session) -> Reply:
        """Count the new session against its registrar's cap, for the whole node or every node
        (RFC 5730 2.9.1.1 lets a server limit sessions; past the cap: 2502 and close)."""
        assert session.registrar_id is not None
        if self.max_sessions <= 0:
            return Reply(ResultCode.SUCCESS)
        lease = await self.limits.acquire(f"epp:sessions:{session.registrar_id}", self.max_sessions)
        if lease is None:
            _log.warning("session limit reached registrar=%s", session.registrar_id)
            session.registrar_id = None
            return Reply(ResultCode.SESSION_LIMIT_EXCEEDED_SERVER_CLOSING_CONNECTION)
        self._leases[id(session)] = lease
        return Reply(ResultCode.SUCCESS)

    def session_closed(self, session: Session) -> None:
        lease = self._leases.pop(id(session), None)
        if lease is not None:
            lease.release()

    def greeting(self) -> bytes:
        return codec.render(greeting(self.extension_uris))

    def next_sv_trid(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    async def handle(self, data: bytes, session: Session) -> Outcome:
        started = time.perf_counter()
        sv_trid = self.next_sv_trid()
        root, reply, cl_trid = self._parse(data)
        command, obj = "invalid", "-"
        registrar = session.registrar_id or "-"
        if root is not None and reply is None:
            child = root[0]
            if etree.QName(child).localname == "hello":
                _log.info("registrar=%s command=hello", registrar, extra={"registrar": registrar, "command": "hello"})
                return Outcome(self.greeting(), None)
            reply, (command, obj), cl_trid = await self._command(child, session, sv_trid)
        assert reply is not None
        close = reply.code.closes_session
        ms = (time.perf_counter() - started) * 1000
        metrics.observe("epp", command, int(reply.code), ms / 1000)
        registrar = session.registrar_id or registrar  # after a login, the one who logged in
        _log.info("registrar=%s command=%s object=%s code=%d ms=%.1f svTRID=%s clTRID=%s",
                  registrar, command, obj, reply.code, ms, sv_trid, cl_trid or "-",
                  extra={"registrar": registrar, "command": command, "object": obj, "code": int(reply.code),
                         "ms": round(ms, 2), "sv_trid": sv_trid, "cl_trid": cl_trid})
        return Outcome(response(reply, cl_trid, sv_trid), reply.code, close)

    def _parse(self, data: bytes) -> tuple[Element | None, Reply | None, str | None]:
        try:
            root = codec.parse(data)
        except codec.XmlError as exc:
            return None, Reply(ResultCode.COMMAND_SYNTAX_ERROR, message=f"Command syntax error: {exc.reason}"), None
        cl_trid = root.findtext(f"{{{EPP_NS}}}command/{{{EPP_NS}}}clTRID")
        try:
            self.schema.validate(root)
        except codec.SchemaError as exc:
            return root, Reply(ResultCode.COMMAND_SYNTAX_ERROR,
                               message=f"Command syntax error: {exc.message}"), _safe_trid(cl_trid)
        if etree.QName(root[0]).localname not in ("hello", "command"):
            return root, Reply(ResultCode.COMMAND_USE_ERROR, message="Only hello and command are accepted"), None
        return root, None, cl_trid

    async def _command(self, command: Element, session: Session,
                       sv_trid: str) -> tuple[Reply, tuple[str, str], str | None]:
        cl_trid = command.findtext(f"{{{EPP_NS}}}clTRID")
        verb_el = command[0]
        verb = etree.QName(verb_el).localname
        body = verb_el if verb in ("login", "logout", "poll") else verb_el[0]
        namespace = etree.QName(body).namespace if body is not verb_el else EPP_NS
        ext_el = command.find(f"{{{EPP_NS}}}extension")
        extensions = list(ext_el) if ext_el is not None else []
        what = (verb, "-") if namespace == EPP_NS else (f"{codec_prefix(namespace)}:{verb}", _object_name(body))
        gate = self._gate(session, verb, namespace, extensions)
        if gate is None:
            gate = await self._pace(session, verb)
        if gate is not None:
            return gate, what, cl_trid
        request = Request(self.core, session, verb, body, extensions, cl_trid, sv_trid)
        reply = await self._run(request, (verb, namespace))
        field = activity_field(verb, namespace, verb_el, extensions)
        if field is not None:  # ICANN's monthly counts (protocols/net/activity.py)
            COUNTS.add(activity_tld(namespace, what[1]), session.registrar_id, field)
        if verb == "login" and reply.code == ResultCode.SUCCESS:
            reply = await self._admit(session)
        if verb == "login" and reply.code == ResultCode.AUTHENTICATION_ERROR:
            # RFC 5730 2.9.1.1: a server may limit failed logins; past the limit we close.
            session.failed_logins += 1
            if session.failed_logins >= self.max_failed_logins:
                reply.code = ResultCode.AUTHENTICATION_ERROR_SERVER_CLOSING_CONNECTION
        return reply, what, cl_trid

    async def _pace(self, session: Session, verb: str) -> Reply | None:
        """The registrar's command rate (epp.command_rate; RFC 5730 leaves rates to server
        policy): wait for a token, or 2400 when that would take too long. Never holds a logout."""
        if self.pacer is None or session.registrar_id is None or verb == "logout":
            return None
        retry = await self.pacer.admit(session.registrar_id)
        if retry <= 0:
            return None
        return Reply(ResultCode.COMMAND_FAILED, message=f"Command rate exceeded; retry in {math.ceil(retry)} s")

    def _gate(self, session: Session, verb: str, namespace: str, extensions: list[Element]) -> Reply | None:
        if not session.logged_in and verb != "login":
            return Reply(ResultCode.COMMAND_USE_ERROR, message="Log in first")
        if session.logged_in and verb == "login":
            return Reply(ResultCode.COMMAND_USE_ERROR, message="Already logged in")
        if verb == "login":
            return None
        if namespace != EPP_NS and namespace not in session.obj_uris:
            return Reply(ResultCode.UNIMPLEMENTED_OBJECT_SERVICE, message="Object service not announced at login")
        module = FLOWS.get((verb, namespace))
        accepted: frozenset[str] = getattr(module, "EXTENSIONS", frozenset())
        for ext in extensions:
            ns = etree.QName(ext).namespace or ""
            if ns not in session.ext_uris or ns not in accepted:
                return Reply(ResultCode.UNIMPLEMENTED_EXTENSION,
                             message="Extension not announced at login or not supported on this command")
        return None

    async def _run(self, request: Request, key: tuple[str, str]) -> Reply:
        module = FLOWS.get(key)
        if module is None:
            return Reply(ResultCode.UNIMPLEMENTED_COMMAND)
        flow: Flow = module.run
        try:
            return await flow(request)
        except CoreError as exc:
            if isinstance(exc, DatabaseUnavailable):  # an outage, not a bug: one line, not a traceback
                _log.warning("database unavailable svTRID=%s: %s: %s", request.sv_trid, exc.__class__.__name__,
                             exc.detail)
            reply = reply_for(exc)
            if reply is not None:
                return reply
            _log.exception("unmapped core error svTRID=%s", request.sv_trid)
        except Exception:
            _log.exception("command failed svTRID=%s", request.sv_trid)
        return Reply(ResultCode.COMMAND_FAILED)


def codec_prefix(namespace: str) -> str:
    for prefix, uri in codec.NAMESPACES.items():
        if uri == namespace:
            return prefix
    return "?"


def _safe_trid(value: str | None) -> str | None:
    """Echo a clTRID from an invalid document only when it is a valid clTRID (3-64 chars)."""
    if value is None or not 3 <= len(value) <= 64 or value.strip() != value:
        return None
    return value


def _object_name(body: Element) -> str:
    """The first object name or id in a command, for the log line (never authInfo)."""
    for child in body:
        if etree.QName(child).localname in ("name", "id"):
            return (child.text or "").strip()[:255]
    return "-"
