"""What the shop holds: the gateways its settings enable, started and stopped together, with the
four calls its pages and pipeline make: start a payment for an order, capture a PayPal order on
the return page, refund, and the webhook sub-application to mount under /payments."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
from aiohttp import web

from storefront.payments.model import OnPaid, PaymentError, PaymentStart, Refunder, RefundReceipt
from storefront.payments.paypal_gateway import PayPalGateway, PayPalRefunder
from storefront.payments.settings import PaymentSettings
from storefront.payments.settlement import OpeningGateway, Outcome, settle_event, start_payment
from storefront.payments.stripe_gateway import StripeGateway, StripeRefunder
from storefront.payments.webhooks import WebhookDesk, webhook_app


class PaymentGateways:
    def __init__(self, settings: PaymentSettings) -> None:
        self.settings = settings
        self.stripe = StripeGateway(settings.stripe) if settings.stripe.enabled else None
        self.paypal = PayPalGateway(settings.paypal) if settings.paypal.enabled else None
        self.refunders: dict[str, Refunder] = {}
        if self.stripe is not None:
            self.refunders["stripe"] = StripeRefunder(self.stripe)
        if self.paypal is not None:
            self.refunders["paypal"] = PayPalRefunder(self.paypal)

    @property
    def enabled(self) -> tuple[str, ...]:
        return tuple(self.refunders)

    async def start(self) -> None:
        for gateway in (self.stripe, self.paypal):
            if gateway is not None:
                await gateway.start()

    async def stop(self, grace: float = 0.0) -> None:
        for gateway in (self.paypal, self.stripe):
            if gateway is not None:
                await gateway.stop(grace)

    def _opening(self, name: str) -> OpeningGateway:
        gateway: OpeningGateway | None = {"stripe": self.stripe, "paypal": self.paypal}.get(name)
        if gateway is None:
            raise PaymentError(f"the payment gateway {name!r} is not configured")
        return gateway

    async def start_payment(self, pool: asyncpg.Pool, gateway: str, order_ref: str | int, amount: Decimal,
                            currency: str, attempt: int = 1) -> PaymentStart:
        """Open the payment of an order attempt (again: the same payment for the same attempt)."""
        return await start_payment(pool, self._opening(gateway), order_ref, amount, currency, attempt)

    async def capture_paypal(self, pool: asyncpg.Pool, reference: str, on_paid: OnPaid) -> Outcome:
        """The buyer is back from PayPal: capture the order and settle it (once, like a webhook)."""
        if self.paypal is None:
            raise PaymentError("the payment gateway 'paypal' is not configured")
        return await settle_event(pool, await self.paypal.capture(reference), on_paid)

    async def refund(self, gateway: str, reference: str, amount: Decimal, *, key: str | None = None) -> RefundReceipt:
        refunder = self.refunders.get(gateway)
        if refunder is None:
            raise PaymentError(f"the payment gateway {gateway!r} is not configured")
        return await refunder.refund(reference, amount, key=key)

    def webhook_app(self, pool: asyncpg.Pool, on_paid: OnPaid) -> web.Application:
        """Mount with `app.add_subapp("/payments", gateways.webhook_app(pool, on_paid))`."""
        return webhook_app(WebhookDesk(pool, on_paid, stripe=self.stripe, paypal=self.paypal,
                                       max_bytes=self.settings.webhook_max_bytes,
                                       concurrency=self.settings.webhook_concurrency))
