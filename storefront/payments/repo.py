"""SQL of the payment tables (storefront.payment, storefront.payment_event), and nothing else."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from storefront.payments.model import AttemptConflict, GatewayEvent, Payment

_BY_REFERENCE = """SELECT id, gateway, reference, attempt_key, order_ref, amount, currency, state,
                         notified_at IS NOT NULL AS notified
                  FROM storefront.payment WHERE gateway = $1 AND reference = $2"""
_BY_REFERENCE_LOCKED = """SELECT id, gateway, reference, attempt_key, order_ref, amount, currency, state,
                                notified_at IS NOT NULL AS notified
                         FROM storefront.payment WHERE gateway = $1 AND reference = $2 FOR UPDATE"""


def _payment(row: asyncpg.Record | None) -> Payment | None:
    return None if row is None else Payment(**dict(row))


async def insert_payment(conn: asyncpg.Connection, gateway: str, reference: str, attempt_key: str,
                         order_ref: str, amount: Decimal, currency: str) -> Payment:
    """The payment of an attempt; the one stored first when two raced for the same attempt."""
    row = await conn.fetchrow(
        """INSERT INTO storefront.payment (gateway, reference, attempt_key, order_ref, amount, currency)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
           RETURNING id, gateway, reference, attempt_key, order_ref, amount, currency, state,
                     notified_at IS NOT NULL AS notified""",
        gateway, reference, attempt_key, order_ref, amount, currency)
    found = _payment(row) or await fetch_payment_by_attempt(conn, gateway, attempt_key)
    if found is None or found.reference != reference:
        raise AttemptConflict(f"{gateway} {reference} is stored for another attempt than {attempt_key}")
    return found


async def fetch_payment_by_attempt(conn: asyncpg.Connection, gateway: str, attempt_key: str) -> Payment | None:
    return _payment(await conn.fetchrow(
        """SELECT id, gateway, reference, attempt_key, order_ref, amount, currency, state,
                  notified_at IS NOT NULL AS notified
           FROM storefront.payment WHERE gateway = $1 AND attempt_key = $2""", gateway, attempt_key))


async def fetch_payment_by_reference(conn: asyncpg.Connection, gateway: str, reference: str,
                                     *, lock: bool = False) -> Payment | None:
    query = _BY_REFERENCE_LOCKED if lock else _BY_REFERENCE
    return _payment(await conn.fetchrow(query, gateway, reference))


async def update_payment_state(conn: asyncpg.Connection, payment_id: int, state: str, *, notified: bool) -> None:
    await conn.execute(
        """UPDATE storefront.payment SET state = $2, updated_at = now(),
               notified_at = CASE WHEN $3 THEN now() ELSE notified_at END
           WHERE id = $1""", payment_id, state, notified)


async def insert_payment_event(conn: asyncpg.Connection, event: GatewayEvent, outcome: str) -> bool:
    """Record the event; False when it was recorded before (a replay)."""
    row = await conn.fetchval(
        """INSERT INTO storefront.payment_event (gateway, event_id, event_type, reference, outcome)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (gateway, event_id) DO NOTHING RETURNING id""",
        event.gateway, event.event_id, event.event_type, event.reference, outcome)
    return row is not None


async def fetch_event_outcome(conn: asyncpg.Connection, gateway: str, event_id: str) -> str | None:
    return await conn.fetchval("SELECT outcome FROM storefront.payment_event WHERE gateway = $1 AND event_id = $2",
                               gateway, event_id)
