"""What a channel is handed: one delivery of one event to one audience, and how it fails.

A channel (email, webhook) has `name`, `async start()`, `async stop(grace)` and
`async deliver(delivery, target)`; `deliver` returns when the peer took the message and
raises DeliveryFailed otherwise, saying whether a later attempt may succeed."""

from __future__ import annotations

from registry_core.model.notification import Delivery

__all__ = ["Delivery", "DeliveryFailed"]  # Delivery is the core's value: the dispatcher hands it over as is


class DeliveryFailed(Exception):
    """The peer did not take the delivery. `retryable`: a later attempt may succeed
    (timeouts, SMTP 4xx, HTTP 429/5xx); otherwise it goes to the dead letters at once."""

    def __init__(self, detail: str, retryable: bool) -> None:
        super().__init__(detail, retryable)  # both in args: it pickles (crosses processes) whole
        self.detail = detail
        self.retryable = retryable

    def __str__(self) -> str:
        return self.detail
