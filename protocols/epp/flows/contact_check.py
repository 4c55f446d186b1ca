"""<contact:check> (RFC 5733 3.1.1)."""

from __future__ import annotations

from protocols.epp.codec import CONTACT_NS
from protocols.epp.contact_read import c, data
from protocols.epp.request import Reply, Request, sub, texts
from registry_core.services import contacts


async def run(req: Request) -> Reply:
    results = await contacts.check_contacts(req.core, req.actor, [t.strip() for t in texts(req.body, c("id"))])
    chk = data("chkData")
    for result in results:
        cd = sub(chk, CONTACT_NS, "cd")
        sub(cd, CONTACT_NS, "id", result.name, avail="1" if result.available else "0")
        if result.reason:
            sub(cd, CONTACT_NS, "reason", result.reason[:32])  # reasonBaseType: 32 chars at most
    return Reply(res_data=chk)
