"""Stripe through its official SDK, asynchronously (StripeClient on the SDK's aiohttp client),
at a configurable API base (tests: localstripe). A payment is a PaymentIntent created under an
idempotency key of the order attempt; the buyer's page confirms it with Stripe.js and its client
secret; Stripe's signed `payment_intent.succeeded` webhook settles it. Refunds go through the SDK."""

from __future__ import annotations

from collections.abc import Awaitable
from decimal import Decimal
from typing import Any, TypeVar

import stripe

from storefront.payments.model import GatewayEvent, Payment, PaymentError, PaymentStart, RefundReceipt, SignatureInvalid
from storefront.payments.money import currency_code, stripe_amount, stripe_minor_units
from storefront.payments.settings import StripeSettings

T = TypeVar("T")
KINDS = {"payment_intent.succeeded": "succeeded", "payment_intent.payment_failed": "failed"}


class StripeGateway:
    name = "stripe"

    def __init__(self, settings: StripeSettings) -> None:
        self.settings = settings
        self._http = stripe.AIOHTTPClient(timeout=settings.timeout)
        self.client = stripe.StripeClient(settings.secret_key, base_addresses={"api": settings.api_base},
                                          http_client=self._http, max_network_retries=settings.network_retries)

    async def start(self) -> None:
        """Nothing to open: the SDK's HTTP session starts with the first request."""

    async def stop(self, grace: float = 0.0) -> None:
        await self._http.close_async()

    async def open_payment(self, order_ref: str, amount: Decimal, currency: str, key: str) -> PaymentStart:
        params: Any = {"amount": stripe_minor_units(amount, currency), "currency": currency.lower(),
                       "payment_method_types": ["card"], "metadata": {"order_ref": order_ref, "attempt": key}}
        intent = await _answer(self.client.v1.payment_intents.create_async(
            params=params, options={"idempotency_key": f"pi-{key}"}))
        return _start(intent, order_ref)

    async def resume_payment(self, payment: Payment) -> PaymentStart:
        intent = await _answer(self.client.v1.payment_intents.retrieve_async(payment.reference))
        return _start(intent, payment.order_ref)

    def event_from(self, body: bytes, signature: str | None) -> GatewayEvent:
        """The verified event of a webhook delivery (the SDK checks the Stripe-Signature header)."""
        try:
            event = self.client.construct_event(body, signature, self.settings.webhook_secret,
                                                tolerance=self.settings.webhook_tolerance)
        except (stripe.SignatureVerificationError, ValueError):
            raise SignatureInvalid("the Stripe-Signature does not verify") from None
        return stripe_event(event.to_dict())


def stripe_event(event: dict[str, Any]) -> GatewayEvent:
    thing = event.get("data", {}).get("object", {})
    kind: Any = KINDS.get(event.get("type", ""), "other")
    if thing.get("object") != "payment_intent":
        return GatewayEvent("stripe", str(event["id"]), str(event.get("type")), "other")
    currency = currency_code(str(thing["currency"]))
    received = thing.get("amount_received") or thing["amount"]
    return GatewayEvent("stripe", str(event["id"]), str(event["type"]), kind, str(thing["id"]),
                        stripe_amount(int(received), currency), currency)


def _start(intent: stripe.PaymentIntent, order_ref: str) -> PaymentStart:
    currency = currency_code(intent.currency)
    return PaymentStart("stripe", intent.id, order_ref, stripe_amount(intent.amount, currency), currency,
                        client_secret=intent.client_secret)


async def _answer(call: Awaitable[T]) -> T:
    try:
        return await call
    except stripe.StripeError as exc:
        raise PaymentError(f"Stripe refused: {type(exc).__name__}: {exc.user_message or exc.code or ''}") from None


class StripeRefunder:
    """Refunds a PaymentIntent (all of it or part), under an idempotency key."""

    gateway = "stripe"

    def __init__(self, stripe_gateway: StripeGateway) -> None:
        self.client = stripe_gateway.client

    async def refund(self, reference: str, amount: Decimal, *, key: str | None = None) -> RefundReceipt:
        intent = await _answer(self.client.v1.payment_intents.retrieve_async(reference))
        currency = currency_code(intent.currency)
        minor = stripe_minor_units(amount, currency)
        if minor > intent.amount:
            raise PaymentError(f"cannot refund {amount} {currency} of a {reference} paying less")
        made = await _answer(self.client.v1.refunds.create_async(
            params={"payment_intent": reference, "amount": minor},
            options={"idempotency_key": key or f"refund-{reference}-{minor}"}))
        return RefundReceipt("stripe", reference, made.id, stripe_amount(made.amount, currency), currency,
                             str(made.status))
