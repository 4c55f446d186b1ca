"""<host:delete> (RFC 5732 3.2.2)."""

from __future__ import annotations

from protocols.epp.codec import HOST_NS
from protocols.epp.request import Reply, Request, q
from registry_core.services import hosts


async def run(req: Request) -> Reply:
    await hosts.delete_host(req.core, req.actor, (req.body.findtext(q(HOST_NS, "name")) or "").strip())
    return Reply()
