"""Response and greeting trees (RFC 5730 sections 2.4 and 2.6). Pure."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from protocols.epp.codec import EPP_NS, FEE_NS, OBJECT_URIS, RGP_NS, SECDNS_NS
from protocols.epp.request import Element, Reply, epp_datetime, sub

SERVER_ID = "Registry Suite EPP"
# The extensions this server implements and announces (RFC 5730 2.4 <svcExtension>).
OFFERED_EXTENSIONS: tuple[str, ...] = (SECDNS_NS, RGP_NS, FEE_NS)
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


def response(reply: Reply, cl_trid: str | None, sv_trid: str) -> Element:
    root = etree.Element(f"{{{EPP_NS}}}epp", nsmap=_NSMAP)
    resp = sub(root, EPP_NS, "response")
    result = sub(resp, EPP_NS, "result", code=str(int(reply.code)))
    sub(result, EPP_NS, "msg", reply.message or reply.code.message)
    for offending, reason in reply.ext_values:
        ext_value = sub(result, EPP_NS, "extValue")
        sub(ext_value, EPP_NS, "value").append(offending)
        sub(ext_value, EPP_NS, "reason", reason)
    if reply.msgq is not None:
        q = sub(resp, EPP_NS, "msgQ", count=str(reply.msgq.count), **({"id": reply.msgq.id} if reply.msgq.id else {}))
        if reply.msgq.queued_at is not None:
            sub(q, EPP_NS, "qDate", epp_datetime(reply.msgq.queued_at))
        if reply.msgq.message is not None:
            sub(q, EPP_NS, "msg", reply.msgq.message)
    if reply.res_data is not None:
        sub(resp, EPP_NS, "resData").append(reply.res_data)
    if reply.extensions:
        ext = sub(resp, EPP_NS, "extension")
        for child in reply.extensions:
            ext.append(child)
    trid = sub(resp, EPP_NS, "trID")
    if cl_trid:
        sub(trid, EPP_NS, "clTRID", cl_trid)
    sub(trid, EPP_NS, "svTRID", sv_trid)
    return root
