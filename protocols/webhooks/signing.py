"""Standard Webhooks signatures, pure.

The signed content is `<webhook-id>.<webhook-timestamp>.<body>`; the signature is
`v1,<base64 of HMAC-SHA256 over it>` with the secret's bytes (base64 after the `whsec_`
prefix). During a secret rotation the endpoint has two (or more) secrets and
`webhook-signature` carries one signature per secret, separated by spaces: a receiver that
knows either secret verifies."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from datetime import datetime
from typing import Any

import orjson

SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix of every secret, not one)
# the spec asks for secrets of 24 to 64 random bytes
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
NEW_SECRET_BYTES = 32


class BadSecret(ValueError):
    """Not a `whsec_<base64>` secret of 24 to 64 bytes."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(os.urandom(NEW_SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadSecret("a webhook secret is whsec_ and base64") from exc
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise BadSecret(f"a webhook secret has {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes, not {len(key)}")
    return key


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = b"%s.%d.%s" % (message_id.encode(), timestamp, body)
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def signed_headers(secrets: tuple[str, ...], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    if not secrets:
        raise BadSecret("the endpoint has no secret")
    signatures = " ".join(signature(secret_key(s), message_id, timestamp, body) for s in secrets)
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signatures}


def event_body(event: str, occurred_at: datetime, payload: dict[str, Any]) -> bytes:
    """The spec's suggested shape: {"type", "timestamp", "data"}; keys sorted, so a retry
    sends the same bytes."""
    stamp = occurred_at.isoformat().replace("+00:00", "Z")
    return orjson.dumps({"type": event, "timestamp": stamp, "data": payload}, option=orjson.OPT_SORT_KEYS)
