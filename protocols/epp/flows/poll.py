"""<poll op="req|ack"> (RFC 5730 2.9.2.3): the registrar's queue, oldest first."""

from __future__ import annotations

from protocols.epp.request import MessageQueue, Reply, Request
from protocols.epp.results import ResultCode
from protocols.epp.transfer_data import from_payload, trn_data
from registry_core.errors import MissingParameter
from registry_core.model.poll import PollState
from registry_core.services import poll


def _queue(state: PollState) -> Reply:
    message = state.message
    if message is None:
        return Reply(ResultCode.NO_MESSAGES)
    reply = Reply(ResultCode.ACK_TO_DEQUEUE,
                  msgq=MessageQueue(state.count, str(message.id), message.created_at, message.message))
    if message.kind == "transfer":
        reply.res_data = trn_data(message.payload["object_type"], from_payload(message.payload))
    return reply


async def run(req: Request) -> Reply:
    if req.body.get("op") == "req":
        return _queue(await poll.poll_request(req.core, req.actor))
    message_id = req.body.get("msgID")
    if not message_id:
        raise MissingParameter("poll ack needs msgID", field="msgID")
    state = await poll.poll_ack(req.core, req.actor, message_id)
    return Reply(ResultCode.SUCCESS, msgq=MessageQueue(state.count, message_id))
