"""<domain:check> (RFC 5731 3.1.1)."""

from __future__ import annotations

from protocols.epp.codec import DOMAIN_NS
from protocols.epp.domain_read import d
from protocols.epp.request import Reply, Request, element, sub, texts
from registry_core.errors import ValueOutOfRange
from registry_core.services import domains

MAX_NAMES = 100


async def run(req: Request) -> Reply:
    names = texts(req.body, d("name"))
    if len(names) > MAX_NAMES:
        raise ValueOutOfRange(f"at most {MAX_NAMES} names per check", object_type="domain", field="name")
    results = await domains.check_domains(req.core, req.actor, names)
    data = element(DOMAIN_NS, "chkData", "domain")
    for result in results:
        cd = sub(data, DOMAIN_NS, "cd")
        sub(cd, DOMAIN_NS, "name", result.name, avail="1" if result.available else "0")
        if result.reason:
            sub(cd, DOMAIN_NS, "reason", result.reason[:32])  # reasonBaseType: 32 chars at most
    return Reply(res_data=data)
