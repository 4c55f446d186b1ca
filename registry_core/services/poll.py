"""Poll queue (RFC 5730 2.9.2.3): per registrar, oldest first, acknowledged by id."""

from __future__ import annotations

from registry_core.context import Core
from registry_core.db.repo import objects
from registry_core.db.tx import Tx
from registry_core.errors import ObjectNotFound
from registry_core.model.actor import Actor
from registry_core.model.poll import PollState


async def poll_request(core: Core, actor: Actor) -> PollState:
    async def run(tx: Tx) -> PollState:
        count, message = await objects.fetch_poll_head(tx.conn, actor.registrar_id)
        return PollState(count, message)
    return await core.db.transaction(run, readonly=True)


async def poll_ack(core: Core, actor: Actor, message_id: str) -> PollState:
    """Dequeue one message; returns the queue after the ack (count and next message)."""
    async def run(tx: Tx) -> PollState:
        if not message_id.isdigit() or not await objects.ack_poll_message(
                tx.conn, actor.registrar_id, int(message_id), tx.now):
            raise ObjectNotFound("no such message in your queue", object_type="message", name=message_id,
                                 field="msgID", value=message_id)
        count, message = await objects.fetch_poll_head(tx.conn, actor.registrar_id)
        return PollState(count, message)
    return await core.db.transaction(run)
