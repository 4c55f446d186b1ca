"""<transfer op="..."><domain:transfer> (RFC 5731 3.1.3 query, 3.2.4 the rest)."""

from __future__ import annotations

from protocols.epp.domain_read import auth_info, d, name_of, period_years
from protocols.epp.request import Reply, Request
from protocols.epp.results import ResultCode
from protocols.epp.transfer_data import trn_data
from registry_core.services import transfers


async def run(req: Request) -> Reply:
    body = req.body
    parent = body.getparent()
    op = parent.get("op", "query") if parent is not None else "query"
    name, auth = name_of(body), auth_info(body)
    if op == "query":
        info = await transfers.query_transfer(req.core, req.actor, "domain", name, auth)
    elif op == "request":
        years = period_years(body) if body.find(d("period")) is not None else None
        info = await transfers.request_transfer(req.core, req.actor, "domain", name, auth, years)
        return Reply(ResultCode.SUCCESS_ACTION_PENDING, res_data=trn_data("domain", info))
    else:
        info = await transfers.act_on_transfer(req.core, req.actor, "domain", name, op, auth)
    return Reply(res_data=trn_data("domain", info))
