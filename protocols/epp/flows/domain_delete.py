"""<domain:delete> (RFC 5731 3.2.2)."""

from __future__ import annotations

from protocols.epp.domain_read import name_of
from protocols.epp.request import Reply, Request
from registry_core.services import domains


async def run(req: Request) -> Reply:
    await domains.delete_domain(req.core, req.actor, name_of(req.body))
    return Reply()
