"""<domain:delete> (RFC 5731 3.2.2) with RFC 3915 grace periods: 1000 when the domain goes
at once (inside the add grace period), 1001 when it enters redemptionPeriod; the credits
of the grace periods it ends in <fee:delData> (RFC 8748 5.2.2)."""

from __future__ import annotations

from protocols.epp.domain_read import name_of
from protocols.epp.extensions import fee
from protocols.epp.request import Reply, Request
from protocols.epp.results import ResultCode
from registry_core.services import domains


async def run(req: Request) -> Reply:
    deleted = await domains.delete_domain(req.core, req.actor, name_of(req.body))
    code = ResultCode.SUCCESS_ACTION_PENDING if deleted.pending else ResultCode.SUCCESS
    return Reply(code, extensions=await fee.reply_data(req, "delData", deleted.name, deleted.currency,
                                                       credits=deleted.credits))
