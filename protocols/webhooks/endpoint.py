"""A registrar's webhook endpoint, as the webhook channel is handed it: the core's
WebhookTarget (id, url: https:// unless webhooks.allow_http, secrets: whsec_<base64>, the
newest first; two during a rotation, and every delivery is signed with each)."""

from __future__ import annotations

from registry_core.model.notification import WebhookTarget as WebhookEndpoint

__all__ = ["WebhookEndpoint"]
