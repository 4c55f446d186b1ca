"""The gateways' webhooks as an aiohttp sub-application, mounted by the shop's web app under
/payments: POST /payments/stripe/webhook and POST /payments/paypal/webhook.

Each delivery: the body is read within a bound, its signature verified (Stripe: the SDK's
check of Stripe-Signature; PayPal: its verify-webhook-signature call), then settled once
(settlement.settle_event). Answers: 200 when handled or seen before, 400 for a signature that does
not verify (nothing stored), 413 for a body over the bound, 422 for a payment whose amount or
currency is not the order's (stored, logged, the order not told), 503 when PayPal could not be
asked (the gateway delivers again), 500 when the shop's callback failed (rolled back; again)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

import asyncpg
from aiohttp import web

from storefront.payments.model import GatewayEvent, OnPaid, PaymentError, SignatureInvalid
from storefront.payments.paypal_gateway import APPROVED, PayPalGateway
from storefront.payments.settlement import payment_of, settle_event
from storefront.payments.stripe_gateway import StripeGateway

_log = logging.getLogger("storefront.payments")
CHUNK = 16 * 1024


async def bounded_body(request: web.Request, limit: int) -> bytes:
    """The request body, refused with 413 past `limit` bytes (declared or sent)."""
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    body = bytearray()
    async for chunk in request.content.iter_chunked(CHUNK):
        body += chunk
        if len(body) > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(body))
    return bytes(body)


class WebhookDesk:
    """Receives the gateways' deliveries; at most `concurrency` settle at once (each holds a
    database connection while the shop's callback runs)."""

    def __init__(self, pool: asyncpg.Pool, on_paid: OnPaid, *, stripe: StripeGateway | None = None,
                 paypal: PayPalGateway | None = None, max_bytes: int = 256 * 1024, concurrency: int = 4) -> None:
        self.pool, self.on_paid, self.stripe, self.paypal = pool, on_paid, stripe, paypal
        self.max_bytes = max_bytes
        self._settling = asyncio.Semaphore(concurrency)

    async def stripe_webhook(self, request: web.Request) -> web.Response:
        body = await bounded_body(request, self.max_bytes)
        return await self._handle("stripe", self._stripe_event(body, request.headers.get("Stripe-Signature")))

    async def paypal_webhook(self, request: web.Request) -> web.Response:
        assert self.paypal is not None  # the route exists only then
        body = await bounded_body(request, self.max_bytes)
        return await self._handle("paypal", self.paypal.event_from(body, request.headers))

    async def _stripe_event(self, body: bytes, signature: str | None) -> GatewayEvent:
        assert self.stripe is not None  # the route exists only then
        return self.stripe.event_from(body, signature)

    async def _handle(self, gateway: str, verifying: Awaitable[GatewayEvent]) -> web.Response:
        try:
            event = await verifying
            if event.event_type == APPROVED:
                await self._capture_approved(event)
        except SignatureInvalid as exc:
            _log.warning("%s webhook refused: %s", gateway, exc)
            return web.json_response({"error": "signature"}, status=400)
        except PaymentError as exc:
            _log.warning("%s webhook not handled now: %s", gateway, exc)
            return web.json_response({"error": "unavailable"}, status=503)
        async with self._settling:
            outcome = await settle_event(self.pool, event, self.on_paid)
        return web.json_response({"event": event.event_id, "outcome": outcome},
                                 status=422 if outcome == "refused" else 200)

    async def _capture_approved(self, event: GatewayEvent) -> None:
        """A PayPal order the buyer approved is captured here too, in case the buyer never came
        back to the shop's return page; the capture settles once like any other event (a capture
        PayPal cannot make now answers 503, so PayPal delivers the approval again)."""
        assert self.paypal is not None and event.reference is not None
        payment = await payment_of(self.pool, "paypal", event.reference)
        if payment is None or payment.notified:
            return
        captured = await self.paypal.capture(event.reference)
        async with self._settling:
            outcome = await settle_event(self.pool, captured, self.on_paid)
        _log.info("paypal order %s approved and captured: %s", event.reference, outcome)


def webhook_app(desk: WebhookDesk) -> web.Application:
    """Mount with `app.add_subapp("/payments", webhook_app(desk))`."""
    app = web.Application()
    if desk.stripe is not None:
        app.router.add_post("/stripe/webhook", desk.stripe_webhook)
    if desk.paypal is not None:
        app.router.add_post("/paypal/webhook", desk.paypal_webhook)
    return app
