"""A payment's life in our tables: opened once per order attempt, settled once per payment.

`start_payment` asks the gateway for a payment under an idempotency key of the attempt and
stores it; asked again for the same attempt it answers with the stored payment. `settle_event`
handles one verified gateway event in ONE transaction: the event id is stored (a replay finds it
and does nothing), the payment row is locked, and a success of the expected amount and currency
marks it paid and calls `on_paid` before commit. So `on_paid` runs once per payment: a second
event about the same payment is a duplicate, and an `on_paid` that fails rolls everything back
for the gateway's next delivery. (Were the commit itself to fail after `on_paid` returned, the
next delivery calls it again: the shop's `mark_paid` must treat "already paid" as done.)"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Literal, Protocol

import asyncpg

from storefront.payments import repo
from storefront.payments.model import AttemptConflict, GatewayEvent, OnPaid, Payment, PaymentStart

_log = logging.getLogger("storefront.payments")

Outcome = Literal["paid", "duplicate", "failed", "refused", "ignored", "replay"]


class OpeningGateway(Protocol):
    name: str

    async def open_payment(self, order_ref: str, amount: Decimal, currency: str, key: str) -> PaymentStart: ...

    async def resume_payment(self, payment: Payment) -> PaymentStart: ...


def attempt_key(order_ref: str | int, attempt: int) -> str:
    return f"order-{order_ref}-attempt-{attempt}"


async def start_payment(pool: asyncpg.Pool, gateway: OpeningGateway, order_ref: str | int, amount: Decimal,
                        currency: str, attempt: int = 1) -> PaymentStart:
    """Open (or find again) the payment of one attempt to pay an order."""
    key, ref, currency = attempt_key(order_ref, attempt), str(order_ref), currency.upper()
    async with pool.acquire() as conn:
        known = await repo.fetch_payment_by_attempt(conn, gateway.name, key)
    if known is None:  # no connection is held while the gateway answers
        start = await gateway.open_payment(ref, amount, currency, key)
        async with pool.acquire() as conn:
            known = await repo.insert_payment(conn, gateway.name, start.reference, key, ref, amount, currency)
    if (known.amount, known.currency) != (amount, currency):
        raise AttemptConflict(f"{key} was opened for {known.amount} {known.currency}, not {amount} {currency}")
    _log.info("payment %s %s opened for order %s: %s %s", gateway.name, known.reference, ref, amount, currency)
    return await gateway.resume_payment(known)


async def payment_of(pool: asyncpg.Pool, gateway: str, reference: str) -> Payment | None:
    async with pool.acquire() as conn:
        return await repo.fetch_payment_by_reference(conn, gateway, reference)


async def settle_event(pool: asyncpg.Pool, event: GatewayEvent, on_paid: OnPaid) -> Outcome:
    async with pool.acquire() as conn, conn.transaction():
        payment = None
        if event.reference is not None:
            payment = await repo.fetch_payment_by_reference(conn, event.gateway, event.reference, lock=True)
        outcome = _outcome(event, payment)
        if not await repo.insert_payment_event(conn, event, outcome):
            _log.info("%s event %s seen before: nothing to do", event.gateway, event.event_id)
            return "replay"
        if payment is not None:
            await _apply(conn, event, payment, outcome, on_paid)
        return outcome


def _outcome(event: GatewayEvent, payment: Payment | None) -> Outcome:
    if payment is None or event.kind == "other":
        return "ignored"
    if payment.notified or payment.state == "paid":
        return "duplicate"
    if event.kind == "failed":
        return "failed"
    if (event.amount, event.currency) != (payment.amount, payment.currency) or payment.state == "mismatch":
        return "refused"
    return "paid"


async def _apply(conn: asyncpg.Connection, event: GatewayEvent, payment: Payment, outcome: Outcome,
                 on_paid: OnPaid) -> None:
    if outcome == "paid":
        await repo.update_payment_state(conn, payment.id, "paid", notified=True)
        await on_paid(payment.order_ref, payment.gateway, payment.reference, payment.amount, payment.currency)
        _log.info("payment %s %s paid: order %s told", payment.gateway, payment.reference, payment.order_ref)
    elif outcome == "failed":
        await repo.update_payment_state(conn, payment.id, "failed", notified=False)
        _log.info("payment %s %s failed (%s)", payment.gateway, payment.reference, event.event_type)
    elif outcome == "refused":
        await repo.update_payment_state(conn, payment.id, "mismatch", notified=False)
        _log.warning("payment %s %s refused: event %s says %s %s, the order %s expects %s %s", payment.gateway,
                     payment.reference, event.event_id, event.amount, event.currency, payment.order_ref,
                     payment.amount, payment.currency)
    elif outcome == "duplicate":
        _log.info("payment %s %s already paid: event %s changes nothing", payment.gateway, payment.reference,
                  event.event_id)
