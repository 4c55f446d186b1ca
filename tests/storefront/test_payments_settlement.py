"""Once-only settlement on real PostgreSQL, with no gateway in the way (the events are what a
verified webhook yields): the same event delivered twice at the same moment calls the shop once,
a callback that fails rolls the event back so the next delivery settles it, a failure event does
not tell the shop, and a later success after a failed card does."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import asyncpg
import pytest

from storefront.payments import repo
from storefront.payments.model import GatewayEvent
from storefront.payments.settlement import settle_event
from tests.storefront.payment_peers import PaidCalls


async def a_payment(pool: asyncpg.Pool, reference: str, amount: str = "10.00") -> None:
    async with pool.acquire() as conn:
        await repo.insert_payment(conn, "stripe", reference, f"order-{reference}-attempt-1", f"o-{reference}",
                                  Decimal(amount), "EUR")


def succeeded(event_id: str, reference: str, amount: str = "10.00") -> GatewayEvent:
    return GatewayEvent("stripe", event_id, "payment_intent.succeeded", "succeeded", reference, Decimal(amount), "EUR")


class SlowPaid(PaidCalls):
    """A callback that takes a while, so a second delivery arrives while the first is inside."""

    async def __call__(self, order_ref: str, gateway: str, reference: str, amount: Decimal, currency: str) -> None:
        await asyncio.sleep(0.2)
        await super().__call__(order_ref, gateway, reference, amount, currency)


async def test_the_same_event_delivered_twice_at_once_calls_the_shop_once(shop_pool: asyncpg.Pool) -> None:
    await a_payment(shop_pool, "pi_twice")
    paid = SlowPaid()
    outcomes = await asyncio.gather(settle_event(shop_pool, succeeded("evt_1", "pi_twice"), paid),
                                    settle_event(shop_pool, succeeded("evt_1", "pi_twice"), paid),
                                    settle_event(shop_pool, succeeded("evt_2", "pi_twice"), paid))
    assert sorted(outcomes) == ["duplicate", "paid", "replay"]
    assert paid.calls == [("o-pi_twice", "stripe", "pi_twice", Decimal("10.00"), "EUR")]


async def test_a_failing_callback_rolls_back_and_the_next_delivery_settles(shop_pool: asyncpg.Pool) -> None:
    await a_payment(shop_pool, "pi_retry")

    async def broken(order_ref: str, gateway: str, reference: str, amount: Decimal, currency: str) -> None:
        raise ConnectionError("the orders' database went away")

    with pytest.raises(ConnectionError):
        await settle_event(shop_pool, succeeded("evt_r", "pi_retry"), broken)
    async with shop_pool.acquire() as conn:
        assert await repo.fetch_event_outcome(conn, "stripe", "evt_r") is None
        payment = await repo.fetch_payment_by_reference(conn, "stripe", "pi_retry")
    assert payment is not None and (payment.state, payment.notified) == ("created", False)
    paid = PaidCalls()
    assert await settle_event(shop_pool, succeeded("evt_r", "pi_retry"), paid) == "paid"
    assert len(paid.calls) == 1


async def test_a_declined_card_then_a_good_one(shop_pool: asyncpg.Pool) -> None:
    await a_payment(shop_pool, "pi_declined")
    paid = PaidCalls()
    failed = GatewayEvent("stripe", "evt_f", "payment_intent.payment_failed", "failed", "pi_declined",
                          Decimal("10.00"), "EUR")
    assert await settle_event(shop_pool, failed, paid) == "failed"
    assert paid.calls == []
    assert await settle_event(shop_pool, succeeded("evt_ok", "pi_declined"), paid) == "paid"
    assert len(paid.calls) == 1


async def test_events_about_other_things_are_recorded_and_ignored(shop_pool: asyncpg.Pool) -> None:
    paid = PaidCalls()
    unknown = succeeded("evt_unknown", "pi_not_ours")
    other = GatewayEvent("stripe", "evt_cus", "customer.created", "other")
    assert await settle_event(shop_pool, unknown, paid) == "ignored"
    assert await settle_event(shop_pool, other, paid) == "ignored"
    assert await settle_event(shop_pool, other, paid) == "replay"
    assert paid.calls == []
