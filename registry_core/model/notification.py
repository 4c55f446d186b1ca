"""Notifications as plain values, and their pure rules: event keys, the audience of a
registrar, the retry schedule (exponential backoff with jitter for about a day, then the
dead letter) and webhook secrets in the Standard Webhooks form ("whsec_" + base64)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

OPERATOR = "operator"
CHANNELS = ("poll", "email", "webhook")
STATUSES = ("queued", "sent", "failed", "dead")

# Event types (what a webhook's payload says in "type", what a preference names): dotted,
# family first, so a mail template of a family (domain.transfer) serves each member.
DOMAIN_CREATED = "domain.created"
DOMAIN_RENEWED = "domain.renewed"
DOMAIN_AUTO_RENEWED = "domain.auto_renewed"
DOMAIN_DELETED = "domain.deleted"
DOMAIN_REDEMPTION = "domain.redemption.entered"  # expired, not auto-renewed
DOMAIN_REDEMPTION_ENDED = "domain.redemption.ended"
DOMAIN_RESTORE_LAPSED = "domain.restore.lapsed"
DOMAIN_RESTORED = "domain.restored"
DOMAIN_PURGED = "domain.purged"
DOMAIN_NAMESERVER_PURGED = "domain.nameserver.purged"
DOMAIN_EXPIRY_REMINDER = "domain.expiry.reminder"
DOMAIN_DNS_PUBLISHED = "domain.dns.published"
DOMAIN_HELD_FOR_REVIEW = "domain.review.held"  # created on serverHold by a risk check
ABUSE_REPORTED = "domain.abuse.reported"  # an abuse case the sponsor is asked to act on
ABUSE_REPORT_RECEIVED = "abuse.report.received"  # to a reporter: the report is recorded as a case
BALANCE_LOW = "registrar.balance.low"
CREDIT_ADDED = "registrar.credit.added"
CERTIFICATE_EXPIRING = "registrar.certificate.expiring"
PUBLISHER_PARKED = "operator.alert.publisher_parked"
LIFECYCLE_FAILING = "operator.alert.lifecycle_failing"
ESCROW_FAILED = "operator.alert.escrow_failed"  # a deposit failed its check, its upload or its report
# <object>.transfer.<step>, to the gaining and the losing registrar
TRANSFER_STEPS = {"pending": "requested", "clientApproved": "approved", "clientRejected": "rejected",
                  "clientCancelled": "cancelled", "serverApproved": "auto_approved",
                  "serverCancelled": "server_cancelled"}
CERTIFICATE_REMINDER_DAYS = (30, 7)
# What a registrar did itself (or hears of anyway): no e-mail unless a preference asks for it.
QUIET_BY_DEFAULT = (DOMAIN_CREATED, DOMAIN_RENEWED, DOMAIN_DELETED, DOMAIN_RESTORED, DOMAIN_DNS_PUBLISHED)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32  # Standard Webhooks: between 24 and 64 random bytes


def transfer_event(object_type: str, tr_status: str) -> str:
    return f"{object_type}.transfer.{TRANSFER_STEPS[tr_status]}"


def registrar_audience(registrar_id: str) -> str:
    return f"registrar:{registrar_id}"


def registrar_of(audience: str) -> str | None:
    return audience.partition(":")[2] if audience.startswith("registrar:") else None


@dataclass(frozen=True)
class PollEntry:
    """What the EPP poll queue shows for an event: kind, message and payload exactly as
    before the outbox (payload None: the event's own)."""

    kind: str
    message: str
    payload: dict[str, Any] | None = None


@dataclass(frozen=True)
class Event:
    """One event for one audience, as a service writes it. The payload is JSON-safe once
    written (times become text) and names what the mail templates use: `domain`,
    `registrar`, `expiry`, `gaining`/`losing`/`action_by` (transfers), `balance`/`currency`/
    `threshold`, `summary`/`component`/`detail` (operator alerts)."""

    type: str
    audience: str
    payload: dict[str, Any]
    object_kind: str | None = None
    object_name: str | None = None
    object_roid: str | None = None
    poll: PollEntry | None = None
    key: str | None = None  # set for events whose reruns must not repeat them (reminders)


def jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def event_key(event: Event, sv_trid: str) -> str:
    """The idempotency key: the event's own, or type, audience, object, transaction and a
    digest of the payload (two distinct events of one command differ in their payloads)."""
    if event.key:
        return event.key
    digest = hashlib.sha256(json.dumps(jsonable(event.payload), sort_keys=True).encode()).hexdigest()[:16]
    return f"{event.type}/{event.audience}/{event.object_roid or event.object_name or ''}/{sv_trid}/{digest}"


@dataclass(frozen=True)
class Delivery:
    """What a channel delivers: id is the idempotency key (the webhook-id), stable across
    retries; attempt counts from 1."""

    id: str  # idempotency key: the webhook-id, and the basis of the Message-ID, on every attempt
    event: str  # "domain.created", "domain.transfer.requested", "registrar.balance.low", ...
    occurred_at: datetime  # tz-aware UTC
    audience: str  # "registrar:<clid>" or "operator"
    payload: dict[str, Any] = field(default_factory=dict)  # JSON-safe: domain, registrar, expiry, amounts
    attempt: int = 1


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook endpoint as the webhook channel needs it: sign with every secret (the
    newest first; two during a rollover). id is the endpoint's id, as text."""

    id: str
    url: str
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery a dispatcher holds under its lease. target: the e-mail address, or the
    endpoint (None when it was removed since)."""

    row_id: int
    channel: str
    target_key: str
    target: str | WebhookTarget | None
    delivery: Delivery


@dataclass(frozen=True)
class DeliveryOutcome:
    row_id: int
    error: str | None = None  # None: sent
    retryable: bool = True
    attempt: int = 1  # the attempt that ended so (the claim counted it)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: the n-th failure waits base * factor**(n-1), at most
    cap, times a random factor in [1 - jitter, 1 + jitter); past `give_up_after` since the
    delivery was queued it is dead-lettered instead."""

    base: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    cap: timedelta = timedelta(hours=6)
    jitter: float = 0.3
    give_up_after: timedelta = timedelta(days=1)

    def next_attempt(self, attempts: int, created_at: datetime, now: datetime,
                     rand: float) -> datetime | None:
        """When to try again after `attempts` failures (rand in [0, 1)); None: dead."""
        raw = self.base.total_seconds() * self.factor ** max(0, attempts - 1)
        wait = min(raw, self.cap.total_seconds()) * (1 - self.jitter + 2 * self.jitter * rand)
        due = now + timedelta(seconds=wait)
        return None if due > created_at + self.give_up_after else due


def new_webhook_secret(size: int = SECRET_BYTES) -> str:
    if not 24 <= size <= 64:
        raise ValueError("a Standard Webhooks secret has 24 to 64 bytes")
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(size)).decode("ascii")


@dataclass(frozen=True)
class WebhookEndpoint:
    """An endpoint as the CLI lists it (never its secrets)."""

    id: int
    audience: str
    url: str
    created_at: datetime
    rotated_at: datetime | None
    previous_valid_until: datetime | None


@dataclass(frozen=True)
class NotifyPref:
    audience: str
    event_type: str
    emails: tuple[str, ...] | None
    webhooks: tuple[int, ...] | None


@dataclass(frozen=True)
class OutboxStatus:
    counts: dict[str, int] = field(default_factory=dict)  # "channel/status": rows
    oldest_queued_seconds: float = 0.0
