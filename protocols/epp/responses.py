"""The greeting, as an lxml tree (RFC 5730 section 2.4), and the response, as bytes: its
envelope written as text around lxml-built bodies (section 2.6). Pure."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from protocols.epp.codec import EPP_NS, EXTENSION_URIS, OBJECT_URIS
from protocols.epp.request import Element, MessageQueue, Reply, epp_datetime, sub
from protocols.epp.results import ResultCode

SERVER_ID = "Registry Suite EPP"
# The extensions this server implements and announces (RFC 5730 2.4 <svcExtension>).
OFFERED_EXTENSIONS: tuple[str, ...] = EXTENSION_URIS
_NSMAP = {None: EPP_NS}


def greeting(extension_uris: tuple[str, ...] = OFFERED_EXTENSIONS, now: datetime | None = None) -> Element:
    """The <greeting>: sent on connect and in answer to <hello>."""
    root = etree.Element(f"{{{EPP_NS}}}epp", nsmap=_NSMAP)
    g = sub(root, EPP_NS, "greeting")
    sub(g, EPP_NS, "svID", SERVER_ID)
    sub(g, EPP_NS, "svDate", epp_datetime(now or datetime.now(UTC)))
    menu = sub(g, EPP_NS, "svcMenu")
    sub(menu, EPP_NS, "version", "1.0")
    sub(menu, EPP_NS, "lang", "en")
    for uri in OBJECT_URIS:
        sub(menu, EPP_NS, "objURI", uri)
    if extension_uris:
        ext = sub(menu, EPP_NS, "svcExtension")
        for uri in extension_uris:
            sub(ext, EPP_NS, "extURI", uri)
    _data_collection_policy(sub(g, EPP_NS, "dcp"))
    return root


def _data_collection_policy(dcp: Element) -> None:
    """RFC 5730 2.4: what we collect, why, for whom, and for how long."""
    sub(sub(dcp, EPP_NS, "access"), EPP_NS, "all")
    statement = sub(dcp, EPP_NS, "statement")
    purpose = sub(statement, EPP_NS, "purpose")
    sub(purpose, EPP_NS, "admin")
    sub(purpose, EPP_NS, "prov")
    recipient = sub(statement, EPP_NS, "recipient")
    sub(recipient, EPP_NS, "ours")
    sub(recipient, EPP_NS, "public")
    sub(sub(statement, EPP_NS, "retention"), EPP_NS, "stated")


_HEAD = f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<epp xmlns="{EPP_NS}"><response>'.encode()
_TAIL = b"</response></epp>"


def _text(value: str) -> bytes:
    return escape(value).encode("utf-8")


def response(reply: Reply, cl_trid: str | None, sv_trid: str) -> bytes:
    """The serialized <response> (RFC 5730 2.6). The envelope is written as text around the
    lxml-built bodies: every response pays for it, and text is several times cheaper than
    building and serializing the envelope's eight elements."""
    parts = [_HEAD, *_result(reply.code, reply.message or reply.code.message, reply.ext_values)]
    for code, ext_values in reply.more_results:
        parts += _result(code, code.message, ext_values)
    if reply.msgq is not None:
        parts += _message_queue(reply.msgq)
    if reply.res_data is not None:
        parts += [b"<resData>", etree.tostring(reply.res_data), b"</resData>"]
    if reply.extensions:
        parts += [b"<extension>", *(etree.tostring(child) for child in reply.extensions), b"</extension>"]
    parts.append(b"<trID>")
    if cl_trid:
        parts += [b"<clTRID>", _text(cl_trid), b"</clTRID>"]
    parts += [b"<svTRID>", _text(sv_trid), b"</svTRID></trID>", _TAIL]
    return b"".join(parts)


def _result(code: ResultCode, message: str, ext_values: list[tuple[Element, str]]) -> list[bytes]:
    parts = [b'<result code="%d"><msg>' % int(code), _text(message), b"</msg>"]
    for offending, reason in ext_values:
        parts += [b"<extValue><value>", etree.tostring(offending), b"</value><reason>", _text(reason),
                  b"</reason></extValue>"]
    return [*parts, b"</result>"]


def _message_queue(msgq: MessageQueue) -> list[bytes]:
    parts = [b'<msgQ count="%d"' % msgq.count]
    if msgq.id:
        parts.append(b" id=" + quoteattr(msgq.id).encode("utf-8"))
    if msgq.queued_at is None and msgq.message is None:
        return [*parts, b"/>"]
    parts.append(b">")
    if msgq.queued_at is not None:
        parts += [b"<qDate>", epp_datetime(msgq.queued_at).encode(), b"</qDate>"]
    if msgq.message is not None:
        parts += [b"<msg>", _text(msgq.message), b"</msg>"]
    return [*parts, b"</msgQ>"]
