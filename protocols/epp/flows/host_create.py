"""<host:create> (RFC 5732 3.2.1)."""

from __future__ import annotations

from protocols.epp.codec import HOST_NS
from protocols.epp.request import Element, Reply, Request, element, epp_datetime, q, sub
from registry_core.model.host import HostCreate
from registry_core.services import hosts


def addresses(parent: Element | None) -> tuple[str, ...]:
    """<host:addr ip="v4|v6"> as 'v4:ADDR' / 'v6:ADDR' for the core to check the family."""
    if parent is None:
        return ()
    return tuple(f"{el.get('ip', 'v4')}:{(el.text or '').strip()}" for el in parent.findall(q(HOST_NS, "addr")))


async def run(req: Request) -> Reply:
    name = (req.body.findtext(q(HOST_NS, "name")) or "").strip()
    created = await hosts.create_host(req.core, req.actor, HostCreate(name, addresses(req.body)))
    cre = element(HOST_NS, "creData", "host")
    sub(cre, HOST_NS, "name", created.name)
    sub(cre, HOST_NS, "crDate", epp_datetime(created.created_at))
    return Reply(res_data=cre)
