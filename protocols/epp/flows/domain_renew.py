"""<domain:renew> (RFC 5731 3.2.3)."""

from __future__ import annotations

from datetime import date

from protocols.epp.codec import DOMAIN_NS
from protocols.epp.domain_read import d, name_of, period_years
from protocols.epp.request import Reply, Request, element, epp_datetime, sub
from registry_core.services import domains


async def run(req: Request) -> Reply:
    body = req.body
    current = date.fromisoformat((body.findtext(d("curExpDate")) or "").strip())
    renewed = await domains.renew_domain(req.core, req.actor, name_of(body), current, period_years(body))
    data = element(DOMAIN_NS, "renData", "domain")
    sub(data, DOMAIN_NS, "name", renewed.name)
    sub(data, DOMAIN_NS, "exDate", epp_datetime(renewed.expires_at))
    return Reply(res_data=data)
