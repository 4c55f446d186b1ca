"""<host:check> (RFC 5732 3.1.1)."""

from __future__ import annotations

from protocols.epp.codec import HOST_NS
from protocols.epp.request import Reply, Request, element, q, sub, texts
from registry_core.services import hosts


async def run(req: Request) -> Reply:
    results = await hosts.check_hosts(req.core, req.actor, [t.strip() for t in texts(req.body, q(HOST_NS, "name"))])
    chk = element(HOST_NS, "chkData", "host")
    for result in results:
        cd = sub(chk, HOST_NS, "cd")
        sub(cd, HOST_NS, "name", result.name, avail="1" if result.available else "0")
        if result.reason:
            sub(cd, HOST_NS, "reason", result.reason[:32])  # reasonBaseType: 32 chars at most
    return Reply(res_data=chk)
