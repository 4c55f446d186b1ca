"""A STAND-IN for PayPal's REST API, not PayPal: PayPal offers no local emulator (its sandbox is a
SaaS on the internet), so the tests serve, on a loopback port, the few endpoints the shop uses,
as PayPal documents them: the OAuth2 client-credentials token, Orders v2 (create with intent
CAPTURE, read, capture once approved), a capture's refund, and verify-webhook-signature. It keeps
state like PayPal (orders, captures, refunds, tokens), honours PayPal-Request-Id, and signs the
webhooks it builds the way PayPal does (RSA-SHA256 over transmission id|time|webhook id|CRC32 of
the body), checking them back in verify-webhook-signature. The buyer's approval at PayPal is one
POST to the approve link."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

JSON = dict[str, Any]


def _paypal_id(prefix: str = "") -> str:
    return prefix + secrets.token_hex(8).upper()


def _error(status: int, name: str, issue: str) -> web.Response:
    return web.json_response({"name": name, "details": [{"issue": issue}], "debug_id": secrets.token_hex(6)},
                             status=status)


@dataclass
class PayPalStandIn:
    client_id: str
    client_secret: str
    webhook_id: str
    port: int = 0
    tokens: set[str] = field(default_factory=set)
    tokens_issued: int = 0
    orders: dict[str, JSON] = field(default_factory=dict)
    refunds: dict[str, list[JSON]] = field(default_factory=dict)  # by capture id
    verifications: list[str] = field(default_factory=list)  # SUCCESS / FAILURE, in order
    _replies: dict[tuple[str, str], tuple[int, JSON]] = field(default_factory=dict)
    _key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._bearer])
        app.router.add_post("/v1/oauth2/token", self._token)
        app.router.add_post("/v2/checkout/orders", self._create)
        app.router.add_get("/v2/checkout/orders/{id}", self._read)
        app.router.add_post("/v2/checkout/orders/{id}/capture", self._capture)
        app.router.add_post("/v2/payments/captures/{id}/refund", self._refund)
        app.router.add_post("/v1/notifications/verify-webhook-signature", self._verify)
        app.router.add_post("/checkoutnow/{id}/approve", self._approve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def forget_request_ids(self) -> None:
        """PayPal keeps a PayPal-Request-Id's answer for a while only (hours to days)."""
        self._replies.clear()

    @web.middleware
    async def _bearer(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith(("/v2/", "/v1/notifications/")):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme != "Bearer" or token not in self.tokens:
                return web.json_response({"error": "invalid_token"}, status=401)
        return await handler(request)

    async def _token(self, request: web.Request) -> web.Response:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        form = await request.post()
        granted = form.get("grant_type") == "client_credentials"
        if request.headers.get("Authorization") != f"Basic {expected}" or not granted:
            return web.json_response({"error": "invalid_client"}, status=401)
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        self.tokens_issued += 1
        return web.json_response({"access_token": token, "token_type": "Bearer", "expires_in": 32400})

    async def _idempotent(self, request: web.Request, make: Any) -> web.Response:
        key = (request.path, request.headers.get("PayPal-Request-Id", ""))
        if key[1] and key in self._replies:
            status, body = self._replies[key]
            return web.json_response(body, status=status)
        answer = await make(request)
        if key[1] and answer.status < 300:  # an error is not kept: the same id may be tried again
            self._replies[key] = (answer.status, json.loads(answer.text or "{}"))
        return answer

    async def _create(self, request: web.Request) -> web.Response:
        return await self._idempotent(request, self._new_order)

    async def _new_order(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("intent") != "CAPTURE" or len(body.get("purchase_units", [])) != 1:
            return _error(400, "INVALID_REQUEST", "INVALID_PARAMETER_VALUE")
        order_id = _paypal_id()
        self.orders[order_id] = {"id": order_id, "status": "PAYER_ACTION_REQUIRED", "intent": "CAPTURE",
                                 "purchase_units": body["purchase_units"],
                                 "links": [{"rel": "payer-action", "method": "GET",
                                            "href": f"{self.url}/checkoutnow/{order_id}/approve"}]}
        return web.json_response(self.orders[order_id], status=201)

    async def _read(self, request: web.Request) -> web.Response:
        order = self.orders.get(request.match_info["id"])
        return web.json_response(order) if order else _error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")

    async def _approve(self, request: web.Request) -> web.Response:
        order = self.orders[request.match_info["id"]]
        order["status"] = "APPROVED"
        return web.Response(text="approved")

    async def _capture(self, request: web.Request) -> web.Response:
        return await self._idempotent(request, self._capture_now)

    async def _capture_now(self, request: web.Request) -> web.Response:
        order = self.orders.get(request.match_info["id"])
        if order is None:
            return _error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
        if order["status"] == "COMPLETED":
            return _error(422, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED")
        if order["status"] != "APPROVED":
            return _error(422, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED")
        unit = order["purchase_units"][0]
        capture = {"id": _paypal_id("CAP"), "status": "COMPLETED", "amount": dict(unit["amount"]),
                   "final_capture": True, "custom_id": unit.get("custom_id")}
        unit["payments"] = {"captures": [capture]}
        order["status"] = "COMPLETED"
        return web.json_response(order, status=201)

    async def _refund(self, request: web.Request) -> web.Response:
        return await self._idempotent(request, self._refund_now)

    async def _refund_now(self, request: web.Request) -> web.Response:
        capture = self.capture_by_id(request.match_info["id"])
        if capture is None:
            return _error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
        amount = (await request.json())["amount"]
        done = sum(Decimal(r["amount"]["value"]) for r in self.refunds.get(capture["id"], []))
        if amount["currency_code"] != capture["amount"]["currency_code"] or \
                Decimal(amount["value"]) + done > Decimal(capture["amount"]["value"]):
            return _error(422, "UNPROCESSABLE_ENTITY", "REFUND_AMOUNT_EXCEEDED")
        refund = {"id": _paypal_id("REF"), "status": "COMPLETED", "amount": amount}
        self.refunds.setdefault(capture["id"], []).append(refund)
        return web.json_response(refund, status=201)

    def capture_by_id(self, capture_id: str) -> JSON | None:
        for order in self.orders.values():
            for capture in order["purchase_units"][0].get("payments", {}).get("captures", []):
                if capture["id"] == capture_id:
                    return dict(capture)
        return None

    # -- webhooks --------------------------------------------------------------------------------

    def capture_completed(self, order_id: str) -> JSON:
        """The PAYMENT.CAPTURE.COMPLETED event PayPal sends once an order is captured."""
        capture = self.orders[order_id]["purchase_units"][0]["payments"]["captures"][0]
        resource = {**capture, "supplementary_data": {"related_ids": {"order_id": order_id}}}
        return {"id": _paypal_id("WH-"), "event_version": "1.0", "resource_type": "capture",
                "event_type": "PAYMENT.CAPTURE.COMPLETED", "create_time": datetime.now(UTC).isoformat(),
                "resource": resource}

    def order_approved(self, order_id: str) -> JSON:
        """The CHECKOUT.ORDER.APPROVED event PayPal sends once the buyer approved."""
        return {"id": _paypal_id("WH-"), "event_version": "1.0", "resource_type": "checkout-order",
                "event_type": "CHECKOUT.ORDER.APPROVED", "create_time": datetime.now(UTC).isoformat(),
                "resource": dict(self.orders[order_id])}

    def signed(self, event: JSON) -> tuple[bytes, dict[str, str]]:
        """A delivery of `event`: its body and the headers PayPal signs it with."""
        body = json.dumps(event).encode()
        transmission_id, when = secrets.token_hex(16), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        signature = self._key.sign(self._signed_text(transmission_id, when, body), padding.PKCS1v15(),
                                   hashes.SHA256())
        return body, {"Content-Type": "application/json", "PAYPAL-AUTH-ALGO": "SHA256withRSA",
                      "PAYPAL-CERT-URL": f"{self.url}/v1/notifications/certs/CERT-standin",
                      "PAYPAL-TRANSMISSION-ID": transmission_id, "PAYPAL-TRANSMISSION-TIME": when,
                      "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode()}

    def _signed_text(self, transmission_id: str, when: str, body: bytes) -> bytes:
        return f"{transmission_id}|{when}|{self.webhook_id}|{binascii.crc32(body)}".encode()

    async def _verify(self, request: web.Request) -> web.Response:
        asked = await request.json()
        body = json.dumps(asked["webhook_event"]).encode()  # the deliveries are json.dumps output
        status = "FAILURE"
        if asked.get("webhook_id") == self.webhook_id and asked.get("auth_algo") == "SHA256withRSA":
            try:
                self._key.public_key().verify(base64.b64decode(asked["transmission_sig"]), self._signed_text(
                    asked["transmission_id"], asked["transmission_time"], body), padding.PKCS1v15(), hashes.SHA256())
                status = "SUCCESS"
            except (InvalidSignature, ValueError, binascii.Error):
                pass
        self.verifications.append(status)
        return web.json_response({"verification_status": status})
