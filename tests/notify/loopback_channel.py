"""A minimal webhook channel for the dispatcher tests: POSTs the event as JSON, signed with
the standardwebhooks package (every secret of the endpoint), to the endpoint's URL.

A stand-in for protocols/webhooks (the SSRF-guarded sender another branch builds), so the
dispatcher is tested over real HTTP before that adapter is merged; it is not the product's
sender and does none of its checks. `registry notify run` loads it through
`[notify] channels = ["webhook=tests.notify.loopback_channel:build_channel"]`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import aiohttp
from standardwebhooks import Webhook

from protocols.notify.channels import DeliveryFailed
from registry_core.model.notification import Delivery, WebhookTarget


def body_of(delivery: Delivery) -> str:
    return json.dumps({"type": delivery.event, "timestamp": delivery.occurred_at.isoformat(),
                       "data": delivery.payload}, sort_keys=True)


class LoopbackWebhookChannel:
    name = "webhook"

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def stop(self, grace: float) -> None:
        if self.session is not None:
            await self.session.close()

    async def deliver(self, delivery: Delivery, target: Any) -> None:
        assert self.session is not None and isinstance(target, WebhookTarget)
        body, now = body_of(delivery), datetime.now(UTC)
        signatures = " ".join(Webhook(s).sign(delivery.id, now, body) for s in target.secrets)
        headers = {"webhook-id": delivery.id, "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": signatures, "content-type": "application/json"}
        try:
            async with self.session.post(target.url, data=body, headers=headers) as answer:
                if answer.status >= 300:
                    raise DeliveryFailed(f"HTTP {answer.status}", retryable=answer.status >= 500)
        except aiohttp.ClientError as exc:
            raise DeliveryFailed(f"{exc.__class__.__name__}: {exc}", retryable=True) from exc


def build_channel(_config: Any) -> LoopbackWebhookChannel:
    return LoopbackWebhookChannel()
