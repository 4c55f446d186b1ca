"""<host:info> (RFC 5732 3.1.2)."""

from __future__ import annotations

import ipaddress

from protocols.epp.codec import HOST_NS
from protocols.epp.request import Reply, Request, element, epp_datetime, q, sub
from registry_core.services import hosts


async def run(req: Request) -> Reply:
    info = await hosts.info_host(req.core, req.actor, (req.body.findtext(q(HOST_NS, "name")) or "").strip())
    inf = element(HOST_NS, "infData", "host")
    sub(inf, HOST_NS, "name", info.name)
    sub(inf, HOST_NS, "roid", info.roid)
    for status in info.statuses:
        sub(inf, HOST_NS, "status", s=status)
    for address in info.addresses:
        sub(inf, HOST_NS, "addr", address, ip=f"v{ipaddress.ip_address(address).version}")
    sub(inf, HOST_NS, "clID", info.sponsor_id)
    sub(inf, HOST_NS, "crID", info.creator_id)
    sub(inf, HOST_NS, "crDate", epp_datetime(info.created_at))
    if info.updater_id and info.updated_at:
        sub(inf, HOST_NS, "upID", info.updater_id)
        sub(inf, HOST_NS, "upDate", epp_datetime(info.updated_at))
    if info.transferred_at:
        sub(inf, HOST_NS, "trDate", epp_datetime(info.transferred_at))
    return Reply(res_data=inf)
