"""<host:update> (RFC 5732 3.2.5)."""

from __future__ import annotations

from protocols.epp.codec import HOST_NS
from protocols.epp.flows.host_create import addresses
from protocols.epp.request import Element, Reply, Request, q
from registry_core.model.host import HostUpdate
from registry_core.services import hosts


def _statuses(part: Element | None) -> frozenset[str]:
    return frozenset() if part is None else frozenset(s.get("s") or "" for s in part.findall(q(HOST_NS, "status")))


async def run(req: Request) -> Reply:
    body = req.body
    add, rem = body.find(q(HOST_NS, "add")), body.find(q(HOST_NS, "rem"))
    new_name = body.findtext(f"{q(HOST_NS, 'chg')}/{q(HOST_NS, 'name')}")
    await hosts.update_host(req.core, req.actor, HostUpdate(
        (body.findtext(q(HOST_NS, "name")) or "").strip(), addresses(add), addresses(rem), _statuses(add),
        _statuses(rem), new_name.strip() if new_name is not None else None))
    return Reply()
