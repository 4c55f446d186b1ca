"""Registrant verification (NIS2 Art. 28(2)-(3)): the states a contact's verification moves
through, which step leads where, and how long a request stays open."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from registry_core.errors import PolicyViolation

STATES = ("unverified", "requested", "pending_review", "verified", "failed", "expired")
METHODS = ("email", "document")
REQUEST_LIFETIME = timedelta(days=14)  # a request not answered by then is expired
CODE_BYTES = 9  # 72 bits, a URL-safe 12-character code
MAX_TEXT = 500
FIELDS = ("name", "organization", "email", "voice", "postal")

# (state, step) -> next state
_STEPS = {
    ("unverified", "request"): "requested", ("failed", "request"): "requested",
    ("expired", "request"): "requested", ("verified", "request"): "requested",
    ("requested", "request"): "requested",  # asked again: a new code, a new deadline
    ("requested", "confirm_email"): "verified",
    ("requested", "submit_document"): "pending_review",
    ("pending_review", "approve"): "verified", ("pending_review", "reject"): "failed",
    ("requested", "expire"): "expired", ("pending_review", "expire"): "expired",
}


@dataclass(frozen=True)
class Verification:
    handle: str
    state: str
    method: str | None
    fields: tuple[str, ...]
    requested_at: datetime | None
    expires_at: datetime | None
    document_ref: str | None
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


def next_state(state: str, step: str, handle: str) -> str:
    found = _STEPS.get((state, step))
    if found is None:
        raise PolicyViolation(f"a verification that is {state} cannot {step.replace('_', ' ')}",
                              object_type="contact", name=handle, field="verification", value=state)
    return found


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def code_digest(handle: str, code: str) -> bytes:
    return hashlib.sha256(f"verify:{handle}:{code.strip()}".encode()).digest()


def code_matches(stored: bytes | None, handle: str, code: str) -> bool:
    return stored is not None and hmac.compare_digest(bytes(stored), code_digest(handle, code))
