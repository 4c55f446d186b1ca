"""<contact:delete> (RFC 5733 3.2.2)."""

from __future__ import annotations

from protocols.epp.contact_read import handle_of
from protocols.epp.request import Reply, Request
from registry_core.services import contacts


async def run(req: Request) -> Reply:
    await contacts.delete_contact(req.core, req.actor, handle_of(req.body))
    return Reply()
