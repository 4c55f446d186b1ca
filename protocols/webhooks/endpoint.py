"""A registrar's webhook endpoint, as the webhook channel is handed it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebhookEndpoint:
    id: str
    url: str  # https:// (http:// only with webhooks.allow_http)
    secrets: tuple[str, ...]  # whsec_<base64>; two during a rotation: every delivery is signed with each
