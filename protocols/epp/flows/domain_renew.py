"""<domain:renew> (RFC 5731 3.2.3) with the fee the client agrees to (RFC 8748 5.2.3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from protocols.epp.codec import DOMAIN_NS, FEE_NS
from protocols.epp.domain_read import d, name_of, period_years
from protocols.epp.extensions import fee
from protocols.epp.request import Reply, Request, element, epp_datetime, sub
from registry_core.model.lifecycle import Charge
from registry_core.services import domains

EXTENSIONS = frozenset({FEE_NS})


async def run(req: Request) -> Reply:
    body = req.body
    current = date.fromisoformat((body.findtext(d("curExpDate")) or "").strip())
    years = period_years(body)
    fee_ext = req.extension(FEE_NS)
    if (refused := fee.misplaced(fee_ext, "renew")) is not None:
        return refused
    accepted, currency = fee.read_agreement(fee_ext)
    renewed = await domains.renew_domain(req.core, req.actor, name_of(body), current, years,
                                         accepted_fee=accepted, fee_currency=currency)
    data = element(DOMAIN_NS, "renData", "domain")
    sub(data, DOMAIN_NS, "name", renewed.name)
    sub(data, DOMAIN_NS, "exDate", epp_datetime(renewed.expires_at))
    charged = Charge("renew", Decimal(renewed.charged), years)
    return Reply(res_data=data, extensions=await fee.reply_data(
        req, "renData", renewed.name, renewed.currency, fees=(charged,), action="renew"))
