"""Poll messages (RFC 5730 section 2.9.2.3) as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PollMessage:
    id: int
    created_at: datetime
    kind: str
    message: str
    payload: dict


@dataclass(frozen=True)
class PollState:
    count: int
    message: PollMessage | None
