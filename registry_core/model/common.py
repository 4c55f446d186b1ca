"""Values shared by every service: who acts, and check answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Actor:
    """The registrar a command runs for, and the transaction ids it is recorded under."""

    registrar_id: str
    sv_trid: str
    cl_trid: str | None = None


@dataclass(frozen=True)
class CheckResult:
    name: str
    available: bool
    reason: str | None = None


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
