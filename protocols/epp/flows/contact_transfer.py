"""<transfer op="..."><contact:transfer> (RFC 5733 3.1.3 query, 3.2.4 the rest)."""

from __future__ import annotations

from protocols.epp.contact_read import auth_info, handle_of
from protocols.epp.request import Reply, Request
from protocols.epp.results import ResultCode
from protocols.epp.transfer_data import trn_data
from registry_core.services import transfers


async def run(req: Request) -> Reply:
    parent = req.body.getparent()
    op = parent.get("op", "query") if parent is not None else "query"
    handle, auth = handle_of(req.body), auth_info(req.body)
    if op == "query":
        info = await transfers.query_transfer(req.core, req.actor, "contact", handle, auth)
    elif op == "request":
        info = await transfers.request_transfer(req.core, req.actor, "contact", handle, auth)
        return Reply(ResultCode.SUCCESS_ACTION_PENDING, res_data=trn_data("contact", info))
    else:
        info = await transfers.act_on_transfer(req.core, req.actor, "contact", handle, op)
    return Reply(res_data=trn_data("contact", info))
