"""<domain:create> (RFC 5731 3.2.1) with secDNS create (RFC 5910 5.2.1) and the fee the
client agrees to (RFC 8748 5.2.1)."""

from __future__ import annotations

from decimal import Decimal

from protocols.epp.codec import DOMAIN_NS, FEE_NS, SECDNS_NS
from protocols.epp.domain_read import auth_info, contacts, d, name_of, nameservers, period_years
from protocols.epp.extensions import fee, secdns
from protocols.epp.request import Reply, Request, element, epp_datetime, sub
from registry_core.model.domain import DomainCreate
from registry_core.model.lifecycle import Charge
from registry_core.services import domains

EXTENSIONS = frozenset({SECDNS_NS, FEE_NS})


async def run(req: Request) -> Reply:
    body = req.body
    command = DomainCreate(
        name=name_of(body), period_years=period_years(body), registrant=body.findtext(d("registrant")),
        contacts=contacts(body), nameservers=nameservers(body.find(d("ns"))), auth_info=auth_info(body) or "",
        ds=secdns.read_create(req.extension(SECDNS_NS)))
    fee_ext = req.extension(FEE_NS)
    if (refused := fee.misplaced(fee_ext, "create")) is not None:
        return refused
    accepted, currency = fee.read_agreement(fee_ext)
    created = await domains.create_domain(req.core, req.actor, command, accepted_fee=accepted,
                                          fee_currency=currency)
    data = element(DOMAIN_NS, "creData", "domain")
    sub(data, DOMAIN_NS, "name", created.name)
    sub(data, DOMAIN_NS, "crDate", epp_datetime(created.created_at))
    sub(data, DOMAIN_NS, "exDate", epp_datetime(created.expires_at))
    charged = Charge("create", Decimal(created.charged), command.period_years)
    return Reply(res_data=data, extensions=await fee.reply_data(
        req, "creData", created.name, created.currency, fees=(charged,), action="create"))
