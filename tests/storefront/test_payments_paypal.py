"""PayPal Orders v2 over aiohttp against a STAND-IN of PayPal's REST API (tests/storefront/
paypal_standin.py), because PayPal has no local emulator: the stand-in serves, on a loopback
port, the token, orders, capture, refund and verify-webhook-signature endpoints as PayPal
documents them. Real HTTP both ways, real PostgreSQL: an order is created, approved by the buyer,
captured (the shop's callback runs once), PayPal's signed webhook about the same capture arrives
and changes nothing, a replay changes nothing, a forged one is 400, and a refund reaches PayPal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import asyncpg
import pytest

from storefront.payments.gateways import PaymentGateways
from storefront.payments.model import PaymentError
from storefront.payments.paypal_gateway import PayPalGateway, PayPalRefunder
from storefront.payments.settings import PaymentSettings, PayPalSettings
from storefront.payments.settlement import settle_event, start_payment
from storefront.payments.webhooks import WebhookDesk, webhook_app
from tests.storefront.payment_peers import PaidCalls, ShopSide
from tests.storefront.paypal_standin import PayPalStandIn

CLIENT_ID, CLIENT_SECRET, WEBHOOK_ID = "shop-client", "shop-client-secret-xyz", "WH-SHOP-1"


@pytest.fixture
async def paypal_api() -> AsyncIterator[PayPalStandIn]:
    standin = PayPalStandIn(CLIENT_ID, CLIENT_SECRET, WEBHOOK_ID)
    await standin.start()
    yield standin
    await standin.stop()


@pytest.fixture
async def paypal(paypal_api: PayPalStandIn) -> AsyncIterator[PayPalGateway]:
    gateway = PayPalGateway(PayPalSettings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, webhook_id=WEBHOOK_ID,
                                           api_base=paypal_api.url, brand_name="Example Shop"))
    await gateway.start()
    yield gateway
    await gateway.stop()


@pytest.fixture
async def shop(shop_pool: asyncpg.Pool, paypal: PayPalGateway) -> AsyncIterator[tuple[ShopSide, PaidCalls]]:
    paid = PaidCalls()
    side = ShopSide(shop_pool, webhook_app(WebhookDesk(shop_pool, paid, paypal=paypal)))
    await side.start()
    yield side, paid
    await side.stop()


async def buyer_approves(approve_url: str) -> None:
    """The buyer logs in at PayPal and approves (the stand-in's approve link)."""
    async with aiohttp.ClientSession() as session, session.post(approve_url) as response:
        assert response.status == 200


async def outcomes(pool: asyncpg.Pool, reference: str) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT outcome FROM storefront.payment_event WHERE reference = $1 ORDER BY id",
                                reference)
    return [r["outcome"] for r in rows]


async def test_create_approve_capture_tells_the_shop_once_and_the_webhook_changes_nothing(
        shop: tuple[ShopSide, PaidCalls], paypal: PayPalGateway, paypal_api: PayPalStandIn) -> None:
    side, paid = shop
    start = await start_payment(side.pool, paypal, 7, Decimal("30.00"), "USD")
    assert start.approve_url and start.reference in paypal_api.orders
    unit = paypal_api.orders[start.reference]["purchase_units"][0]
    assert unit["amount"] == {"currency_code": "USD", "value": "30.00"} and unit["custom_id"] == "7"
    with pytest.raises(PaymentError, match="422"):  # not approved yet
        await paypal.capture(start.reference)
    await buyer_approves(start.approve_url)
    captured = await paypal.capture(start.reference)
    assert (captured.kind, captured.amount, captured.currency) == ("succeeded", Decimal("30.00"), "USD")
    assert await settle_event(side.pool, captured, paid) == "paid"
    assert paid.calls == [("7", "paypal", start.reference, Decimal("30.00"), "USD")]

    body, headers = paypal_api.signed(paypal_api.capture_completed(start.reference))
    status, answer = await side.post("/payments/paypal/webhook", body, headers)
    assert (status, answer["outcome"]) == (200, "duplicate")
    status, answer = await side.post("/payments/paypal/webhook", body, headers)
    assert (status, answer["outcome"]) == (200, "replay")
    assert paid.calls == [("7", "paypal", start.reference, Decimal("30.00"), "USD")]
    assert await outcomes(side.pool, start.reference) == ["paid", "duplicate"]
    assert paypal_api.verifications == ["SUCCESS", "SUCCESS"]
    assert paypal_api.tokens_issued == 1  # kept and reused


async def test_the_webhook_alone_settles_a_capture(shop: tuple[ShopSide, PaidCalls], paypal: PayPalGateway,
                                                   paypal_api: PayPalStandIn) -> None:
    """The buyer approved and PayPal captured, but the shop's capture answer was lost."""
    side, paid = shop
    start = await start_payment(side.pool, paypal, "B-1", Decimal("1500"), "JPY")
    assert paypal_api.orders[start.reference]["purchase_units"][0]["amount"]["value"] == "1500"
    assert start.approve_url
    await buyer_approves(start.approve_url)
    await paypal.capture(start.reference)
    body, headers = paypal_api.signed(paypal_api.capture_completed(start.reference))
    status, answer = await side.post("/payments/paypal/webhook", body, headers)
    assert (status, answer["outcome"]) == (200, "paid")
    paypal_api.forget_request_ids()
    again = await paypal.capture(start.reference)  # PayPal: ORDER_ALREADY_CAPTURED; the order has it
    assert (again.kind, again.amount) == ("succeeded", Decimal("1500"))
    assert await settle_event(side.pool, again, paid) == "duplicate"
    assert paid.calls == [("B-1", "paypal", start.reference, Decimal("1500"), "JPY")]


async def test_an_approval_webhook_captures_when_the_buyer_never_returns(
        shop: tuple[ShopSide, PaidCalls], paypal: PayPalGateway, paypal_api: PayPalStandIn) -> None:
    side, paid = shop
    start = await start_payment(side.pool, paypal, "C-3", Decimal("8.00"), "GBP")
    assert start.approve_url
    await buyer_approves(start.approve_url)
    body, headers = paypal_api.signed(paypal_api.order_approved(start.reference))
    status, answer = await side.post("/payments/paypal/webhook", body, headers)
    assert (status, answer["outcome"]) == (200, "ignored")  # the approval itself; its capture settled
    assert paypal_api.orders[start.reference]["status"] == "COMPLETED"
    assert paid.calls == [("C-3", "paypal", start.reference, Decimal("8.00"), "GBP")]
    late = await paypal.capture(start.reference)  # the buyer comes back after all: the same capture
    assert await settle_event(side.pool, late, paid) == "replay"
    status, answer = await side.post("/payments/paypal/webhook", body, headers)
    assert (status, answer["outcome"]) == (200, "replay")
    assert len(paid.calls) == 1 and await outcomes(side.pool, start.reference) == ["paid", "ignored"]


async def test_an_approval_paypal_cannot_capture_now_is_503_and_delivered_again(
        shop: tuple[ShopSide, PaidCalls], paypal: PayPalGateway, paypal_api: PayPalStandIn) -> None:
    side, paid = shop
    start = await start_payment(side.pool, paypal, "C-4", Decimal("8.00"), "EUR")
    body, headers = paypal_api.signed(paypal_api.order_approved(start.reference))  # not approved at PayPal yet
    status, _ = await side.post("/payments/paypal/webhook", body, headers)
    assert status == 503 and await outcomes(side.pool, start.reference) == []
    assert start.approve_url
    await buyer_approves(start.approve_url)
    status, answer = await side.post("/payments/paypal/webhook", body, headers)
    assert (status, answer["outcome"]) == (200, "ignored") and len(paid.calls) == 1


async def test_a_forged_paypal_webhook_is_400_and_stores_nothing(
        shop: tuple[ShopSide, PaidCalls], paypal: PayPalGateway, paypal_api: PayPalStandIn) -> None:
    side, paid = shop
    start = await start_payment(side.pool, paypal, 8, Decimal("12.00"), "EUR")
    assert start.approve_url
    await buyer_approves(start.approve_url)
    await paypal.capture(start.reference)
    event = paypal_api.capture_completed(start.reference)
    body, headers = paypal_api.signed(event)
    tampered = body.replace(b'"12.00"', b'"1.00"')
    status, _ = await side.post("/payments/paypal/webhook", tampered, headers)
    assert status == 400
    unsigned = {k: v for k, v in headers.items() if k != "PAYPAL-TRANSMISSION-SIG"}
    status, _ = await side.post("/payments/paypal/webhook", body, unsigned)
    assert status == 400
    other = PayPalStandIn(CLIENT_ID, CLIENT_SECRET, WEBHOOK_ID)  # same shape, another key: not PayPal's
    _, forged_headers = other.signed(event)
    status, _ = await side.post("/payments/paypal/webhook", body, forged_headers)
    assert status == 400
    assert paypal_api.verifications == ["FAILURE", "FAILURE"]  # the unsigned one is refused before asking
    assert await outcomes(side.pool, start.reference) == [] and paid.calls == []


async def test_a_refund_of_the_capture_reaches_paypal(shop: tuple[ShopSide, PaidCalls], paypal: PayPalGateway,
                                                      paypal_api: PayPalStandIn) -> None:
    side, paid = shop
    start = await start_payment(side.pool, paypal, 9, Decimal("25.00"), "EUR")
    assert start.approve_url
    await buyer_approves(start.approve_url)
    captured = await paypal.capture(start.reference)
    await settle_event(side.pool, captured, paid)
    refunder = PayPalRefunder(paypal)
    receipt = await refunder.refund(start.reference, Decimal("10.00"))
    again = await refunder.refund(start.reference, Decimal("10.00"))  # a retry: the same PayPal-Request-Id
    assert again.refund_id == receipt.refund_id
    capture_id = captured.event_id.removeprefix("capture-")
    assert paypal_api.refunds[capture_id] == [{"id": receipt.refund_id, "status": "COMPLETED",
                                               "amount": {"value": "10.00", "currency_code": "EUR"}}]
    assert (receipt.amount, receipt.currency, receipt.status) == (Decimal("10.00"), "EUR", "COMPLETED")
    with pytest.raises(PaymentError):
        await refunder.refund(start.reference, Decimal("25.01"))


async def test_an_expired_token_is_renewed_once(shop: tuple[ShopSide, PaidCalls], paypal: PayPalGateway,
                                                paypal_api: PayPalStandIn) -> None:
    side, _ = shop
    first = await start_payment(side.pool, paypal, 10, Decimal("5.00"), "EUR")
    paypal_api.revoke_tokens()
    second = await start_payment(side.pool, paypal, 11, Decimal("5.00"), "EUR")
    assert first.reference != second.reference and paypal_api.tokens_issued == 2


async def test_wrong_credentials_fail_without_saying_the_secret(paypal_api: PayPalStandIn,
                                                                shop_pool: asyncpg.Pool) -> None:
    gateway = PayPalGateway(PayPalSettings(client_id=CLIENT_ID, client_secret="not-the-secret-abc",
                                           webhook_id=WEBHOOK_ID, api_base=paypal_api.url))
    await gateway.start()
    try:
        with pytest.raises(PaymentError) as refused:
            await start_payment(shop_pool, gateway, 12, Decimal("5.00"), "EUR")
    finally:
        await gateway.stop()
    assert "401" in str(refused.value) and "not-the-secret-abc" not in str(refused.value)
    assert "not-the-secret-abc" not in repr(gateway.settings)


async def test_the_shops_calls_through_payment_gateways(shop_pool: asyncpg.Pool, paypal_api: PayPalStandIn) -> None:
    """The return page's capture and the pipeline's refund, through what the shop holds."""
    gateways = PaymentGateways(PaymentSettings(paypal=PayPalSettings(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, webhook_id=WEBHOOK_ID, api_base=paypal_api.url)))
    assert gateways.enabled == ("paypal",)
    paid = PaidCalls()
    await gateways.start()
    try:
        start = await gateways.start_payment(shop_pool, "paypal", 90, Decimal("19.90"), "EUR")
        assert start.approve_url
        await buyer_approves(start.approve_url)
        assert await gateways.capture_paypal(shop_pool, start.reference, paid) == "paid"
        receipt = await gateways.refund("paypal", start.reference, Decimal("19.90"))
        with pytest.raises(PaymentError, match="stripe"):
            await gateways.refund("stripe", "pi_x", Decimal("1.00"))
    finally:
        await gateways.stop()
    assert paid.calls == [("90", "paypal", start.reference, Decimal("19.90"), "EUR")]
    assert receipt.status == "COMPLETED"
