"""The notification outbox: services write events inside their own transaction (`emit`),
the dispatcher claims due deliveries and records what happened, the operator inspects,
retries and replays.

An event goes to one audience (a registrar or the operator). Its deliveries are fixed
when it is written: the EPP poll message when the event has one (delivered at once, in
the same transaction: the poll queue is a table), and one row per e-mail address and
webhook endpoint the audience's preferences name, sent after commit by the dispatcher.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from registry_core.context import Core
from registry_core.db.repo import notifications as repo
from registry_core.db.repo import notify_prefs as pref_repo
from registry_core.db.tx import Tx
from registry_core.errors import ObjectNotFound
from registry_core.model.notification import (
    OPERATOR,
    ClaimedDelivery,
    Delivery,
    DeliveryOutcome,
    Event,
    NotifyPref,
    OutboxStatus,
    PollEntry,
    RetryPolicy,
    WebhookTarget,
    event_key,
    registrar_audience,
    registrar_of,
)

REQUEUE_STATUSES = ("failed", "dead")
REPLAY_STATUSES = ("sent", "failed", "dead")


async def contact_audience(tx: Tx, contact: dict[str, Any], event_type: str) -> str:
    """The audience `contact:HANDLE` for a message that goes to a contact itself (a
    verification or registry lock code), its own address recorded as where `event_type`
    goes for that audience."""
    audience = f"contact:{contact['handle']}"
    await pref_repo.upsert_pref(tx.conn, NotifyPref(audience, event_type, (contact["email"],), ()))
    return audience


async def emit(tx: Tx, sv_trid: str, event: Event) -> None:
    """Write `event` and its deliveries in the caller's transaction (a key seen before: nothing)."""
    await repo.insert_event(tx.conn, event, event_key(event, sv_trid), registrar_of(event.audience), tx.now)


def domain_event(event_type: str, registrar_id: str, row: dict[str, Any], payload: dict[str, Any],
                 poll: PollEntry | None = None, key: str | None = None) -> Event:
    """An event about a domain (row: its database row) for one registrar. The poll message
    keeps the payload it always had ({"name": ..., **payload}); the event adds `domain`,
    `registrar` and (with an exDate) `expiry`."""
    legacy = {"name": row["name"], **payload}
    body = {**legacy, "domain": row["name"], "registrar": registrar_id}
    if payload.get("exDate") is not None:
        body["expiry"] = payload["exDate"]
    entry = None if poll is None else PollEntry(poll.kind, poll.message, legacy)
    return Event(event_type, registrar_audience(registrar_id), body, "domain", row["name"], row.get("roid"),
                 entry, key)


def operator_alert(event_type: str, summary: str, component: str, detail: str, key: str,
                   **extra: Any) -> Event:
    return Event(event_type, OPERATOR, {"summary": summary, "component": component, "detail": detail[:2000],
                                        **extra}, key=key)


async def alert_operator(core: Core, event: Event) -> None:
    """An operator alert in its own transaction (its key keeps a repeated alert from repeating)."""
    async def run(tx: Tx) -> None:
        await emit(tx, "operator", event)
    await core.db.transaction(run)


def _target(row: dict[str, Any], endpoints: dict[int, dict[str, Any]], core: Core,
            now: datetime) -> str | WebhookTarget | None:
    if row["channel"] != "webhook":
        return str(row["target"])
    found = endpoints.get(int(row["target"]))
    if found is None:
        return None
    context = f"webhook:{found['id']}"
    secrets = [core.cipher.decrypt(found["secret"], context)]
    if found["previous_secret"] and found["previous_valid_until"] and found["previous_valid_until"] > now:
        secrets.append(core.cipher.decrypt(found["previous_secret"], context))
    return WebhookTarget(str(found["id"]), found["url"], tuple(secrets))


@dataclass(frozen=True)
class ClaimRequest:
    """What a dispatcher asks for: up to `limit` deliveries on `channels`, at most
    `per_target` per target, none for the `busy` targets ("channel target")."""

    token: UUID
    limit: int
    lease: timedelta
    channels: tuple[str, ...]
    per_target: int
    busy: tuple[str, ...] = ()


async def claim_deliveries(core: Core, ask: ClaimRequest) -> list[ClaimedDelivery]:
    """Lease due deliveries to `ask.token`, in one short transaction (the sending happens
    after it committed)."""
    async def run(tx: Tx) -> list[ClaimedDelivery]:
        rows = await repo.claim_due(tx.conn, tx.now, ask.limit, ask.token, ask.lease, list(ask.channels),
                                    ask.per_target, list(ask.busy))
        hooks = [int(r["target"]) for r in rows if r["channel"] == "webhook"]
        endpoints = await repo.fetch_endpoints(tx.conn, hooks) if hooks else {}
        return [ClaimedDelivery(r["id"], r["channel"], r["target"], _target(r, endpoints, core, tx.now),
                                Delivery(r["key"], r["type"], r["occurred_at"], r["audience"], r["payload"],
                                         r["attempts"]))
                for r in rows]
    return await core.db.transaction(run)


async def record_outcomes(core: Core, token: UUID, outcomes: list[DeliveryOutcome], policy: RetryPolicy,
                          rand: Callable[[], float] = random.random) -> int:
    """Mark what was sent and schedule (or dead-letter) what failed; only rows still under
    `token`'s lease change. Returns how many were marked sent."""
    async def run(tx: Tx) -> int:
        sent = [o.row_id for o in outcomes if o.error is None]
        done = await repo.mark_sent(tx.conn, token, sent, tx.now) if sent else 0
        failed = [o for o in outcomes if o.error is not None]
        if failed:
            created = await repo.fetch_created_at(tx.conn, [o.row_id for o in failed])
            for outcome in failed:
                retry_at = policy.next_attempt(outcome.attempt, created[outcome.row_id], tx.now, rand()) \
                    if outcome.retryable else None
                await repo.mark_failed(tx.conn, token, outcome, retry_at)
        return done
    return await core.db.transaction(run)


@contextlib.asynccontextmanager
async def listen_session(core: Core, on_wake: Callable[..., None]) -> AsyncIterator[None]:
    """A dedicated session LISTENing for queued deliveries (`on_wake` is called after each
    commit that queued some); outside the pool where it can be, closed at the end."""
    async with core.db.dedicated_session() as session:
        await session.add_listener(repo.CHANNEL, on_wake)
        yield


async def next_due(core: Core, channels: list[str]) -> datetime | None:
    async def run(tx: Tx) -> datetime | None:
        return await repo.fetch_next_due(tx.conn, channels)
    return await core.db.transaction(run, readonly=True)


async def outbox_status(core: Core) -> OutboxStatus:
    async def run(tx: Tx) -> OutboxStatus:
        counts, age = await repo.fetch_status(tx.conn, tx.now)
        return OutboxStatus(counts, age)
    return await core.db.transaction(run, readonly=True)


async def list_notifications(core: Core, status: str | None = None, audience: str | None = None,
                             limit: int = 50) -> list[dict[str, Any]]:
    async def run(tx: Tx) -> list[dict[str, Any]]:
        return await repo.fetch_notifications(tx.conn, status, audience, limit)
    return await core.db.transaction(run, readonly=True)


async def show_notification(core: Core, row_id: int) -> dict[str, Any]:
    async def run(tx: Tx) -> dict[str, Any]:
        found = await repo.fetch_notification_by_id(tx.conn, row_id)
        if found is None:
            raise ObjectNotFound("no such notification", object_type="notification", name=str(row_id))
        return found
    return await core.db.transaction(run, readonly=True)


async def retry_notification(core: Core, row_id: int) -> None:
    """Queue a failed or dead delivery again, now, with a fresh day of retries."""
    async def run(tx: Tx) -> None:
        if not await repo.requeue(tx.conn, row_id, None, tx.now, list(REQUEUE_STATUSES)):
            raise ObjectNotFound("no failed or dead notification with that id", object_type="notification",
                                 name=str(row_id))
    await core.db.transaction(run)


async def replay_notifications(core: Core, since: datetime, *, include_sent: bool = True) -> int:
    """Queue again every e-mail and webhook delivery created since `since` (same ids: a
    receiver that kept them recognizes them); returns how many."""
    statuses = list(REPLAY_STATUSES if include_sent else REQUEUE_STATUSES)

    async def run(tx: Tx) -> int:
        return await repo.requeue(tx.conn, None, since, tx.now, statuses)
    return await core.db.transaction(run)


async def emit_many(tx: Tx, sv_trid: str, events: list[Event]) -> None:
    """Write events without poll entries in one statement (reminders, DNS publications)."""
    await repo.insert_events(tx.conn, [(e, event_key(e, sv_trid), registrar_of(e.audience)) for e in events], tx.now)


PRUNE_BATCH = 5000  # events deleted per transaction: short transactions, no long lock on the outbox


async def prune_notifications(core: Core, keep: timedelta, batch: int = PRUNE_BATCH) -> int:
    """Forget events older than `keep` whose deliveries are all finished (sent or dead), with
    their delivery rows, one short transaction per batch; returns how many events went.
    Undelivered ones stay whatever their age; EPP poll messages are never touched."""
    total = 0
    while True:
        async def run(tx: Tx) -> int:
            return await repo.delete_finished_events(tx.conn, tx.now - keep, batch)
        deleted: int = await core.db.transaction(run)
        total += deleted
        if deleted < batch:
            return total
