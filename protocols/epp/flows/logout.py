"""<logout> (RFC 5730 2.9.1.2): 1500, then the connection closes."""

from __future__ import annotations

from protocols.epp.request import Reply, Request
from protocols.epp.results import ResultCode


async def run(req: Request) -> Reply:
    req.session.closing = True
    return Reply(ResultCode.SUCCESS_ENDING_SESSION)
