"""A transfer request as plain values (RFC 5730 section 2.9.3.4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TransferInfo:
    name: str
    status: str
    gaining_id: str
    requested_at: datetime
    losing_id: str
    action_due: datetime
    expires_at: datetime | None = None
    charged: str | None = None  # what the gaining registrar paid (decimal text), for RFC 8748 trnData
    currency: str | None = None  # set on the request's answer
