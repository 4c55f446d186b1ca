"""<transfer op="..."><domain:transfer> (RFC 5731 3.1.3 query, 3.2.4 the rest); a request
carries the fee the client agrees to and answers with what it paid (RFC 8748 5.2.4)."""

from __future__ import annotations

from decimal import Decimal

from protocols.epp.codec import FEE_NS
from protocols.epp.domain_read import auth_info, d, name_of, period_years
from protocols.epp.extensions import fee
from protocols.epp.request import Reply, Request
from protocols.epp.results import ResultCode
from protocols.epp.transfer_data import trn_data
from registry_core.model.lifecycle import Charge
from registry_core.services import transfers

EXTENSIONS = frozenset({FEE_NS})


async def _request(req: Request, name: str, auth: str | None) -> Reply:
    years = period_years(req.body) if req.body.find(d("period")) is not None else None
    accepted, currency = fee.read_agreement(req.extension(FEE_NS))
    info = await transfers.request_transfer(req.core, req.actor, "domain", name, auth, years,
                                            accepted_fee=accepted, fee_currency=currency)
    charged = (Charge("transfer", Decimal(info.charged)),) if info.charged and info.currency else ()
    return Reply(ResultCode.SUCCESS_ACTION_PENDING, res_data=trn_data("domain", info), extensions=await fee.reply_data(
        req, "trnData", info.name, info.currency or "", fees=charged, action="transfer"))


async def run(req: Request) -> Reply:
    body = req.body
    parent = body.getparent()
    op = parent.get("op", "query") if parent is not None else "query"
    # <fee:transfer> goes with a request only (RFC 8748 5.2.4)
    refused = fee.misplaced(req.extension(FEE_NS), "transfer" if op == "request" else "-")
    if refused is not None:
        return refused
    name, auth = name_of(body), auth_info(body)
    if op == "request":
        return await _request(req, name, auth)
    if op == "query":
        info = await transfers.query_transfer(req.core, req.actor, "domain", name, auth)
    else:
        info = await transfers.act_on_transfer(req.core, req.actor, "domain", name, op)
    return Reply(res_data=trn_data("domain", info))
