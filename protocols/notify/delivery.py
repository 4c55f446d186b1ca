"""What a channel is handed: one delivery of one event to one audience, and how it fails.

A channel (email, webhook) has `name`, `async start()`, `async stop(grace)` and
`async deliver(delivery, target)`; `deliver` returns when the peer took the message and
raises DeliveryFailed otherwise, saying whether a later attempt may succeed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Delivery:
    id: str  # idempotency key: the webhook-id, and the basis of the Message-ID, on every attempt
    event: str  # "domain.created", "domain.transfer.requested", "registrar.balance.low", ...
    occurred_at: datetime  # tz-aware UTC
    audience: str  # "registrar:<clid>" or "operator"
    payload: dict[str, Any] = field(default_factory=dict)  # JSON-safe: domain, registrar, expiry, amounts
    attempt: int = 1


class DeliveryFailed(Exception):
    """The peer did not take the delivery. `retryable`: a later attempt may succeed
    (timeouts, SMTP 4xx, HTTP 429/5xx); otherwise it goes to the dead letters at once."""

    def __init__(self, detail: str, retryable: bool) -> None:
        super().__init__(detail, retryable)  # both in args: it pickles (crosses processes) whole
        self.detail = detail
        self.retryable = retryable

    def __str__(self) -> str:
        return self.detail
