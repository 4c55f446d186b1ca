"""The registrar console's transfers and poll queue: pending domain transfers on either side
(approve or reject when losing, cancel when gaining) and the poll queue's oldest message
with its acknowledgement, through the services EPP uses, under the console's actor."""

from __future__ import annotations

from typing import Any

from registry_core.context import Core
from registry_core.db.repo import console_domains as repo
from registry_core.db.repo import console_exports as export_repo
from registry_core.errors import InvalidValue, PermissionDenied
from registry_core.model.accounts import Principal, allowed
from registry_core.model.poll import PollState
from registry_core.model.transfer import TransferInfo
from registry_core.services import poll, transfers
from registry_core.services.console_domains import Origin, console_actor
from registry_core.services.exports import Sink, in_batches

ACTIONS = frozenset({"approve", "reject", "cancel"})


def _registrar(who: Principal, permission: str) -> str:
    registrar = who.registrar_id or ""
    if not registrar or not allowed(who, permission, registrar):
        raise PermissionDenied("this user may not do that for a registrar", object_type="registrar", name=registrar)
    return registrar


async def pending_transfers(core: Core, who: Principal) -> list[dict[str, Any]]:
    registrar = _registrar(who, "view")
    return await core.db.transaction(lambda tx: repo.fetch_pending_transfers(tx.conn, registrar), readonly=True)


async def act(core: Core, who: Principal, name: str, action: str, origin: Origin = ()) -> TransferInfo:
    if action not in ACTIONS:
        raise InvalidValue("approve, reject or cancel", object_type="domain", name=name, field="action")
    registrar = _registrar(who, "domains.write")
    return await transfers.act_on_transfer(core, console_actor(who, registrar, origin), "domain", name, action)


async def poll_head(core: Core, who: Principal) -> PollState:
    registrar = _registrar(who, "view")
    return await poll.poll_request(core, console_actor(who, registrar))


async def poll_acknowledge(core: Core, who: Principal, message_id: str, origin: Origin = ()) -> PollState:
    registrar = _registrar(who, "domains.write")
    return await poll.poll_ack(core, console_actor(who, registrar, origin), message_id)


async def export_poll_queue(core: Core, who: Principal, sink: Sink, *, unacked_only: bool = False) -> int:
    """The registrar's poll messages (all, or only those still queued), oldest first."""
    registrar = _registrar(who, "view")
    return await core.db.snapshot(lambda tx: in_batches(export_repo.iter_poll_messages(tx.conn, registrar,
                                                                                       unacked_only), sink))


async def export_transfers(core: Core, who: Principal, sink: Sink) -> int:
    """Every transfer the registrar gained or lost, oldest first."""
    registrar = _registrar(who, "view")
    return await core.db.snapshot(lambda tx: in_batches(export_repo.iter_transfers(tx.conn, registrar), sink))
