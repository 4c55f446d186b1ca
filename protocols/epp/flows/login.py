"""<login> (RFC 5730 2.9.1.1): password, pinned certificate and allowlist via the core;
the services a client announces must be ones we offer."""

from __future__ import annotations

import logging

from protocols.epp.codec import EPP_NS, OBJECT_URIS
from protocols.epp.request import Reply, Request, q, text, texts
from protocols.epp.responses import OFFERED_EXTENSIONS
from protocols.epp.results import ResultCode
from registry_core.errors import AuthenticationFailed
from registry_core.services.registrars import authenticate

_log = logging.getLogger("registry.epp.login")


async def run(req: Request) -> Reply:
    body = req.body
    if body.findtext(f"{q(EPP_NS, 'options')}/{q(EPP_NS, 'version')}") != "1.0":
        return Reply(ResultCode.UNIMPLEMENTED_PROTOCOL_VERSION)
    if body.findtext(f"{q(EPP_NS, 'options')}/{q(EPP_NS, 'lang')}") != "en":
        return Reply(ResultCode.UNIMPLEMENTED_OPTION, message="Only the language en is offered")
    svcs = body.find(q(EPP_NS, "svcs"))
    assert svcs is not None
    objects = texts(svcs, q(EPP_NS, "objURI"))
    ext = svcs.find(q(EPP_NS, "svcExtension"))
    extensions = texts(ext, q(EPP_NS, "extURI")) if ext is not None else []
    if any(uri not in OBJECT_URIS for uri in objects):
        return Reply(ResultCode.UNIMPLEMENTED_OBJECT_SERVICE)
    if any(uri not in OFFERED_EXTENSIONS for uri in extensions):
        return Reply(ResultCode.UNIMPLEMENTED_EXTENSION)
    clid = text(body, q(EPP_NS, "clID")) or ""
    try:
        await authenticate(req.core, clid, text(body, q(EPP_NS, "pw")) or "", fingerprint=req.session.fingerprint,
                           peer_ip=req.session.peer_ip, new_password=text(body, q(EPP_NS, "newPW")))
    except AuthenticationFailed as exc:
        _log.warning("login refused registrar=%s peer=%s reason=%s", clid, req.session.peer_ip, exc.detail)
        raise
    req.session.registrar_id = clid
    req.session.obj_uris = frozenset(objects)
    req.session.ext_uris = frozenset(extensions)
    return Reply(ResultCode.SUCCESS)
