"""PayPal Orders v2 over aiohttp (PayPal has no Python SDK we want): an OAuth2 client-credentials
token kept until shortly before it expires, an order created with intent CAPTURE (the buyer
approves it at PayPal), captured once approved, refunds of its capture, and webhooks verified the
way PayPal asks: by its verify-webhook-signature call. Every write carries a PayPal-Request-Id,
PayPal's idempotency key."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import aiohttp

from storefront.payments.model import GatewayEvent, Payment, PaymentError, PaymentStart, RefundReceipt, SignatureInvalid
from storefront.payments.money import currency_code, paypal_amount, paypal_value
from storefront.payments.settings import PayPalSettings

TOKEN_MARGIN = 60.0  # seconds before its expiry a token is renewed
# https://developer.paypal.com/api/rest/webhooks/rest/ (headers of a webhook delivery)
SIGNATURE_HEADERS = {"auth_algo": "PAYPAL-AUTH-ALGO", "cert_url": "PAYPAL-CERT-URL",
                     "transmission_id": "PAYPAL-TRANSMISSION-ID", "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
                     "transmission_time": "PAYPAL-TRANSMISSION-TIME"}
APPROVED = "CHECKOUT.ORDER.APPROVED"
KINDS = {"PAYMENT.CAPTURE.COMPLETED": "succeeded", "PAYMENT.CAPTURE.DENIED": "failed",
         "PAYMENT.CAPTURE.DECLINED": "failed"}


class PayPalGateway:
    name = "paypal"

    def __init__(self, settings: PayPalSettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._token: tuple[str, float] | None = None  # (access token, monotonic expiry)
        self._token_lock = asyncio.Lock()

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.settings.timeout))

    async def stop(self, grace: float = 0.0) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def open_payment(self, order_ref: str, amount: Decimal, currency: str, key: str) -> PaymentStart:
        context = {"return_url": self.settings.return_url, "cancel_url": self.settings.cancel_url,
                   "user_action": "PAY_NOW", "shipping_preference": "NO_SHIPPING"}
        if self.settings.brand_name:
            context["brand_name"] = self.settings.brand_name
        unit = {"reference_id": order_ref, "custom_id": order_ref,
                "amount": {"currency_code": currency_code(currency), "value": paypal_value(amount, currency)}}
        body = {"intent": "CAPTURE", "purchase_units": [unit],
                "payment_source": {"paypal": {"experience_context": context}}}
        order = await self.call("POST", "/v2/checkout/orders", request_id=f"order-{key}", body=body)
        return _start(order, order_ref)

    async def resume_payment(self, payment: Payment) -> PaymentStart:
        return _start(await self.call("GET", f"/v2/checkout/orders/{payment.reference}"), payment.order_ref)

    async def capture(self, reference: str) -> GatewayEvent:
        """Capture an approved order; the answer settles like a webhook event (once, see settlement)."""
        try:
            order = await self.call("POST", f"/v2/checkout/orders/{reference}/capture",
                                    request_id=f"capture-{reference}", body={})
        except PayPalRefused as refused:
            if refused.issue != "ORDER_ALREADY_CAPTURED":
                raise
            order = await self.call("GET", f"/v2/checkout/orders/{reference}")
        capture = _capture_of(order)
        kind: Any = "succeeded" if capture.get("status") == "COMPLETED" else "failed"
        amount = capture.get("amount", {})
        return GatewayEvent("paypal", f"capture-{capture['id']}", "CHECKOUT.ORDER.CAPTURED", kind, reference,
                            paypal_amount(str(amount.get("value"))), currency_code(str(amount.get("currency_code"))))

    async def event_from(self, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        """The event of a webhook delivery once PayPal said its signature is its own."""
        try:
            event = json.loads(body)
        except ValueError:
            raise SignatureInvalid("the PayPal webhook body is not JSON") from None
        signed = {field: headers.get(name) for field, name in SIGNATURE_HEADERS.items()}
        if not isinstance(event, dict) or not all(signed.values()) or not self.settings.webhook_id:
            raise SignatureInvalid("the PayPal webhook lacks its signature headers")
        # the event goes back byte for byte as it came: PayPal checks its signature over those bytes
        head = json.dumps({**signed, "webhook_id": self.settings.webhook_id})[:-1].encode()
        answer = await self.call("POST", "/v1/notifications/verify-webhook-signature",
                                 raw=head + b', "webhook_event": ' + body + b"}")
        if answer.get("verification_status") != "SUCCESS":
            raise SignatureInvalid("PayPal did not verify the webhook signature")
        return paypal_event(event)

    async def call(self, method: str, path: str, *, body: Any = None, raw: bytes | None = None,
                   request_id: str | None = None) -> dict[str, Any]:
        """One REST call with the bearer token (renewed once if PayPal no longer takes it)."""
        for renew in (False, True):
            headers = {"Authorization": f"Bearer {await self._access_token(renew)}",
                       "Content-Type": "application/json", "Prefer": "return=representation"}
            if request_id:
                headers["PayPal-Request-Id"] = request_id
            data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
            async with self._client().request(method, self.settings.api_base + path, data=data,
                                              headers=headers) as response:
                if response.status == 401 and not renew:
                    continue
                return await _json_answer(response, f"{method} {path}")
        raise AssertionError("unreachable")

    async def _access_token(self, renew: bool) -> str:
        async with self._token_lock:
            if self._token is None or renew or time.monotonic() >= self._token[1]:
                self._token = await self._new_token()
            return self._token[0]

    async def _new_token(self) -> tuple[str, float]:
        # RFC 6749 section 2.3.1: the client's credentials in HTTP Basic (RFC 7617)
        pair = f"{self.settings.client_id}:{self.settings.client_secret}".encode()
        headers = {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        async with self._client().post(self.settings.api_base + "/v1/oauth2/token", headers=headers,
                                       data={"grant_type": "client_credentials"}) as response:
            answer = await _json_answer(response, "POST /v1/oauth2/token")
        try:
            return str(answer["access_token"]), time.monotonic() + float(answer["expires_in"]) - TOKEN_MARGIN
        except (KeyError, TypeError, ValueError):
            raise PaymentError("PayPal's token answer has no access_token and expires_in") from None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise PaymentError("the PayPal gateway is not started")
        return self._session


class PayPalRefused(PaymentError):
    """PayPal answered with an error: its HTTP status and the issue it names (ORDER_NOT_APPROVED ...)."""

    def __init__(self, what: str, status: int, answer: Any) -> None:
        answer = answer if isinstance(answer, dict) else {}
        details = answer.get("details") or [{}]
        self.status, self.issue = status, str(details[0].get("issue") or answer.get("error") or "")
        super().__init__(f"PayPal {what}: HTTP {status} {answer.get('name', '')} {self.issue}"
                         f" (debug id {answer.get('debug_id')})")


async def _json_answer(response: aiohttp.ClientResponse, what: str) -> dict[str, Any]:
    try:
        answer = await response.json(content_type=None)
    except ValueError:
        answer = None
    if response.status >= 400 or not isinstance(answer, dict):
        raise PayPalRefused(what, response.status, answer)
    return answer


def _start(order: dict[str, Any], order_ref: str) -> PaymentStart:
    unit = order["purchase_units"][0]
    approve = next((link["href"] for link in order.get("links", ()) if link.get("rel") in ("payer-action", "approve")),
                   None)
    currency = currency_code(unit["amount"]["currency_code"])
    return PaymentStart("paypal", str(order["id"]), order_ref, paypal_amount(unit["amount"]["value"]), currency,
                        approve_url=approve)


def _capture_of(order: dict[str, Any]) -> dict[str, Any]:
    try:
        capture: dict[str, Any] = order["purchase_units"][0]["payments"]["captures"][0]
    except (KeyError, IndexError, TypeError):
        raise PaymentError(f"PayPal order {order.get('id')} has no capture") from None
    return capture


def paypal_event(event: dict[str, Any]) -> GatewayEvent:
    event_type, resource = str(event.get("event_type")), event.get("resource") or {}
    if event_type == APPROVED and resource.get("id"):  # the buyer approved: the order is ready to capture
        return GatewayEvent("paypal", str(event.get("id")), event_type, "other", str(resource["id"]))
    kind: Any = KINDS.get(event_type)
    order_id = (resource.get("supplementary_data") or {}).get("related_ids", {}).get("order_id")
    if kind is None or not order_id:
        return GatewayEvent("paypal", str(event.get("id")), event_type, "other")
    amount = resource.get("amount") or {}
    return GatewayEvent("paypal", str(event["id"]), event_type, kind, str(order_id),
                        paypal_amount(str(amount.get("value"))), currency_code(str(amount.get("currency_code"))))


class PayPalRefunder:
    """Refunds an order's capture (all of it or part), under a PayPal-Request-Id."""

    gateway = "paypal"

    def __init__(self, paypal: PayPalGateway) -> None:
        self.paypal = paypal

    async def refund(self, reference: str, amount: Decimal, *, key: str | None = None) -> RefundReceipt:
        capture = _capture_of(await self.paypal.call("GET", f"/v2/checkout/orders/{reference}"))
        currency = currency_code(capture["amount"]["currency_code"])
        value = paypal_value(amount, currency)
        if amount > paypal_amount(capture["amount"]["value"]):
            raise PaymentError(f"cannot refund {value} {currency} of a {reference} paying less")
        made = await self.paypal.call("POST", f"/v2/payments/captures/{capture['id']}/refund",
                                      request_id=key or f"refund-{reference}-{value}",
                                      body={"amount": {"value": value, "currency_code": currency}})
        return RefundReceipt("paypal", reference, str(made["id"]), amount, currency, str(made.get("status")))
