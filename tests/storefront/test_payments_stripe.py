"""Stripe end to end against localstripe as a real process: the official SDK's async client
opens a PaymentIntent for an order, the buyer confirms it with a test card, localstripe sends the
signed `payment_intent.succeeded` webhook over real HTTP to the shop's webhook route, the SDK's
check verifies it, and the shop's callback runs once; replays, a second event about the same
payment, forged signatures, wrong amounts and oversized bodies change nothing; a refund made
through the SDK is read back from localstripe."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from storefront.payments.gateways import PaymentGateways
from storefront.payments.model import AttemptConflict, PaymentError
from storefront.payments.settings import PaymentSettings, StripeSettings
from storefront.payments.settlement import start_payment
from storefront.payments.stripe_gateway import StripeGateway, StripeRefunder
from storefront.payments.webhooks import WebhookDesk, webhook_app
from tests.storefront.payment_peers import (
    HeaderRecorder,
    LocalStripe,
    PaidCalls,
    ShopSide,
    localstripe_missing,
    stripe_signature,
)

SECRET = "whsec_test_shop_signing_secret"
API_KEY = "sk_test_shop_secret_key_123"


@pytest.fixture(scope="module")
async def localstripe(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalStripe]:
    missing = localstripe_missing()
    if missing:
        pytest.skip(missing)
    emulator = LocalStripe(Path(tmp_path_factory.mktemp("localstripe")) / "localstripe.log")
    try:
        await emulator.start()
    except (OSError, RuntimeError) as exc:
        pytest.skip(f"localstripe could not start: {exc}")
    yield emulator
    await emulator.stop()


@pytest.fixture
async def stripe_gateway(localstripe: LocalStripe) -> AsyncIterator[StripeGateway]:
    gateway = StripeGateway(StripeSettings(secret_key=API_KEY, webhook_secret=SECRET, api_base=localstripe.url,
                                           network_retries=0))
    await gateway.start()
    yield gateway
    await gateway.stop()


@pytest.fixture
async def shop(shop_pool: asyncpg.Pool, stripe_gateway: StripeGateway,
               localstripe: LocalStripe) -> AsyncIterator[tuple[ShopSide, PaidCalls]]:
    paid = PaidCalls()
    side = ShopSide(shop_pool, webhook_app(WebhookDesk(shop_pool, paid, stripe=stripe_gateway, max_bytes=64 * 1024)))
    await side.start()
    # one endpoint per test (localstripe keeps them by name): the shop, and a recorder to replay from
    await localstripe.webhook("shop", side.url("/payments/stripe/webhook"), SECRET)
    await localstripe.webhook("record", side.url("/record"), SECRET)
    yield side, paid
    await side.stop()


async def buyer_pays(gateway: StripeGateway, reference: str, card: str = "pm_card_visa") -> str:
    """What Stripe.js does on the checkout page: attach the card, confirm the PaymentIntent."""
    await gateway.client.v1.payment_intents.update_async(reference, params={"payment_method": card})
    intent = await gateway.client.v1.payment_intents.confirm_async(reference)
    return str(intent.status)


async def stored(pool: asyncpg.Pool, query: str, *args: object) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(await conn.fetch(query, *args))


async def paid_once(shop: tuple[ShopSide, PaidCalls], gateway: StripeGateway, order: int,
                    amount: Decimal) -> str:
    side, paid = shop
    start = await start_payment(side.pool, gateway, order, amount, "EUR")
    assert await buyer_pays(gateway, start.reference) == "succeeded"
    await asyncio.wait_for(side.answered.wait(), 30)
    await asyncio.wait_for(side.record_arrived.wait(), 30)
    assert paid.calls and side.answers == [("/payments/stripe/webhook", 200)]
    return start.reference


async def test_a_paid_intent_tells_the_shop_once_through_the_signed_webhook(
        shop: tuple[ShopSide, PaidCalls], stripe_gateway: StripeGateway, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    side, paid = shop
    start = await start_payment(side.pool, stripe_gateway, 42, Decimal("12.50"), "eur")
    assert start.reference.startswith("pi_") and start.client_secret and start.currency == "EUR"
    assert start.amount == Decimal("12.50")
    assert await buyer_pays(stripe_gateway, start.reference) == "succeeded"
    await asyncio.wait_for(side.answered.wait(), 30)
    assert side.answers == [("/payments/stripe/webhook", 200)]
    assert paid.calls == [("42", "stripe", start.reference, Decimal("12.50"), "EUR")]
    rows = await stored(side.pool, "SELECT state, notified_at FROM storefront.payment WHERE reference = $1",
                        start.reference)
    assert rows[0]["state"] == "paid" and rows[0]["notified_at"] is not None
    events = await stored(side.pool, "SELECT event_type, outcome FROM storefront.payment_event"
                          " WHERE reference = $1", start.reference)
    assert [(e["event_type"], e["outcome"]) for e in events] == [("payment_intent.succeeded", "paid")]
    assert API_KEY not in caplog.text and SECRET not in caplog.text


async def test_the_same_attempt_opens_one_intent_and_refuses_another_amount(
        shop: tuple[ShopSide, PaidCalls], stripe_gateway: StripeGateway) -> None:
    pool = shop[0].pool
    first = await start_payment(pool, stripe_gateway, "A-7", Decimal("20.00"), "EUR", attempt=1)
    again = await start_payment(pool, stripe_gateway, "A-7", Decimal("20.00"), "EUR", attempt=1)
    other = await start_payment(pool, stripe_gateway, "A-7", Decimal("20.00"), "EUR", attempt=2)
    assert again.reference == first.reference and again.client_secret == first.client_secret
    assert other.reference != first.reference
    assert len(await stored(pool, "SELECT 1 FROM storefront.payment WHERE order_ref = 'A-7'")) == 2
    with pytest.raises(AttemptConflict):
        await start_payment(pool, stripe_gateway, "A-7", Decimal("25.00"), "EUR", attempt=1)
    with pytest.raises(PaymentError):
        await start_payment(pool, stripe_gateway, "A-8", Decimal("20.005"), "EUR")


async def test_a_replayed_webhook_and_a_second_event_for_the_payment_call_nothing_again(
        shop: tuple[ShopSide, PaidCalls], stripe_gateway: StripeGateway) -> None:
    side, paid = shop
    reference = await paid_once(shop, stripe_gateway, 43, Decimal("9.99"))
    delivered = next(d for d in side.recorded if json.loads(d.body)["type"] == "payment_intent.succeeded")
    status, answer = await side.post("/payments/stripe/webhook", delivered.body,
                                     {"Stripe-Signature": delivered.headers["Stripe-Signature"]})
    assert (status, answer["outcome"]) == (200, "replay")
    second = json.loads(delivered.body)
    second["id"] = "evt_second_delivery_of_the_same_payment"
    body = json.dumps(second).encode()
    signed = {"Stripe-Signature": stripe_signature(body, SECRET)}
    status, answer = await side.post("/payments/stripe/webhook", body, signed)
    assert (status, answer["outcome"]) == (200, "duplicate")
    assert paid.calls == [("43", "stripe", reference, Decimal("9.99"), "EUR")]
    events = await stored(side.pool, "SELECT outcome FROM storefront.payment_event WHERE reference = $1"
                          " ORDER BY id", reference)
    assert [e["outcome"] for e in events] == ["paid", "duplicate"]


async def test_a_forged_signature_is_400_and_stores_nothing(shop: tuple[ShopSide, PaidCalls],
                                                             stripe_gateway: StripeGateway) -> None:
    side, paid = shop
    start = await start_payment(side.pool, stripe_gateway, 44, Decimal("15.00"), "EUR")
    event = {"id": "evt_forged", "object": "event", "type": "payment_intent.succeeded",
             "data": {"object": {"id": start.reference, "object": "payment_intent", "amount": 1500,
                                 "currency": "eur"}}}
    body = json.dumps(event).encode()
    for signature in (stripe_signature(body, "whsec_not_the_shops"), "", "t=1,v1=00",
                      stripe_signature(body, SECRET, timestamp=1_000_000_000)):  # signed long ago: a replay
        status, _ = await side.post("/payments/stripe/webhook", body, {"Stripe-Signature": signature})
        assert status == 400
    assert await stored(side.pool, "SELECT 1 FROM storefront.payment_event") == []
    assert paid.calls == []
    rows = await stored(side.pool, "SELECT state FROM storefront.payment WHERE reference = $1", start.reference)
    assert rows[0]["state"] == "created"


async def test_an_amount_or_currency_other_than_the_orders_is_refused_and_logged(
        shop: tuple[ShopSide, PaidCalls], stripe_gateway: StripeGateway, caplog: pytest.LogCaptureFixture) -> None:
    side, paid = shop
    start = await start_payment(side.pool, stripe_gateway, 45, Decimal("15.00"), "EUR")
    for event_id, amount, currency in (("evt_short", 1499, "eur"), ("evt_dollars", 1500, "usd")):
        event = {"id": event_id, "object": "event", "type": "payment_intent.succeeded",
                 "data": {"object": {"id": start.reference, "object": "payment_intent", "amount": amount,
                                     "currency": currency}}}
        body = json.dumps(event).encode()
        with caplog.at_level(logging.WARNING, logger="storefront.payments"):
            status, answer = await side.post("/payments/stripe/webhook", body,
                                             {"Stripe-Signature": stripe_signature(body, SECRET)})
        assert (status, answer["outcome"]) == (422, "refused")
        assert f"event {event_id} says" in caplog.text
    assert paid.calls == []
    rows = await stored(side.pool, "SELECT state, notified_at FROM storefront.payment WHERE reference = $1",
                        start.reference)
    assert (rows[0]["state"], rows[0]["notified_at"]) == ("mismatch", None)


async def test_a_body_over_the_bound_is_413(shop: tuple[ShopSide, PaidCalls]) -> None:
    side, _ = shop
    body = b'{"id": "evt_big", "pad": "' + b"x" * (64 * 1024) + b'"}'
    status, _ = await side.post("/payments/stripe/webhook", body, {"Stripe-Signature": stripe_signature(body, SECRET)})
    assert status == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the bound counts what arrives
        for _ in range(10):
            yield b"x" * 8192
    status, _ = await side.post("/payments/stripe/webhook", chunks(), {"Stripe-Signature": "t=1,v1=00"})
    assert status == 413
    assert await stored(side.pool, "SELECT 1 FROM storefront.payment_event") == []


async def test_a_refund_through_the_sdk_is_in_localstripe(shop: tuple[ShopSide, PaidCalls],
                                                           stripe_gateway: StripeGateway) -> None:
    reference = await paid_once(shop, stripe_gateway, 46, Decimal("30.00"))
    refunder = StripeRefunder(stripe_gateway)
    receipt = await refunder.refund(reference, Decimal("12.50"))
    assert (receipt.gateway, receipt.reference, receipt.amount, receipt.currency) == \
        ("stripe", reference, Decimal("12.50"), "EUR")
    assert receipt.refund_id.startswith("re_") and receipt.status == "succeeded"
    found = await stripe_gateway.client.v1.refunds.list_async(params={"payment_intent": reference})
    assert [(r.id, r.amount, r.currency) for r in found.data] == [(receipt.refund_id, 1250, "eur")]
    with pytest.raises(PaymentError):
        await refunder.refund(reference, Decimal("30.01"))


async def test_the_shops_calls_through_payment_gateways(shop_pool: asyncpg.Pool, localstripe: LocalStripe) -> None:
    """What the shop's app does: gateways from its settings, the webhook app under /payments."""
    settings = PaymentSettings(stripe=StripeSettings(secret_key=API_KEY, webhook_secret=SECRET,
                                                     api_base=localstripe.url))
    gateways = PaymentGateways(settings)
    assert gateways.enabled == ("stripe",)
    paid = PaidCalls()
    side = ShopSide(shop_pool, gateways.webhook_app(shop_pool, paid))
    await gateways.start()
    await side.start()
    try:
        await localstripe.webhook("shop", side.url("/payments/stripe/webhook"), SECRET)
        await localstripe.webhook("record", side.url("/record"), SECRET)
        start = await gateways.start_payment(shop_pool, "stripe", 77, Decimal("4.20"), "EUR")
        assert gateways.stripe is not None
        assert await buyer_pays(gateways.stripe, start.reference) == "succeeded"
        await asyncio.wait_for(side.answered.wait(), 30)
        receipt = await gateways.refund("stripe", start.reference, Decimal("4.20"))
        with pytest.raises(PaymentError, match="paypal"):
            await gateways.start_payment(shop_pool, "paypal", 78, Decimal("4.20"), "EUR")
    finally:
        await side.stop()
        await gateways.stop()
    assert paid.calls == [("77", "stripe", start.reference, Decimal("4.20"), "EUR")]
    assert (receipt.amount, receipt.status) == (Decimal("4.20"), "succeeded")


async def test_each_write_carries_the_idempotency_key_of_its_attempt(shop_pool: asyncpg.Pool,
                                                                     localstripe: LocalStripe) -> None:
    recorder = HeaderRecorder(localstripe.url)
    await recorder.start()
    gateway = StripeGateway(StripeSettings(secret_key=API_KEY, webhook_secret=SECRET, api_base=recorder.url))
    try:
        start = await start_payment(shop_pool, gateway, 50, Decimal("7.00"), "EUR", attempt=3)
        await buyer_pays(gateway, start.reference)
        await StripeRefunder(gateway).refund(start.reference, Decimal("2.00"))
    finally:
        await gateway.stop()
        await recorder.stop()
    writes = {(path, key) for method, path, key in recorder.seen if method == "POST" and "/confirm" not in path
              and path != f"/v1/payment_intents/{start.reference}"}
    assert writes == {("/v1/payment_intents", "pi-order-50-attempt-3"),
                      ("/v1/refunds", f"refund-{start.reference}-200")}
