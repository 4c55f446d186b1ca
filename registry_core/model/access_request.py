"""Access requests for redacted registration data (NIS2 Art. 28(5)): answered within 72
hours of receipt; which fields may be asked for and what a decision may be."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ANSWER_WITHIN = timedelta(hours=72)  # NIS2 Directive (EU) 2022/2555, Art. 28(5)
REDACTED_FIELDS = ("name", "organization", "email", "voice", "fax", "postal")
DECISIONS = ("granted", "partial", "refused")
MAX_TEXT = 500
OVERDUE = "operator.alert.access_request_overdue"


@dataclass(frozen=True)
class AccessRequest:
    id: int
    domain: str
    requester: str
    requester_email: str
    purpose: str
    fields_requested: tuple[str, ...]
    received_at: datetime
    due_at: datetime
    decision: str | None
    fields_disclosed: tuple[str, ...]
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    overdue: bool


def overdue_at(due_at: datetime, decision: str | None, now: datetime) -> bool:
    return decision is None and now > due_at


def unknown_fields(fields: tuple[str, ...]) -> list[str]:
    return sorted(set(fields) - set(REDACTED_FIELDS))
