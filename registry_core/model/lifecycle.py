"""Domain lifecycle values (RFC 3915 grace periods and redemption) and their pure rules.

A live domain may be inside one or more grace periods (addPeriod, renewPeriod,
autoRenewPeriod, transferPeriod): a delete inside one gives back the charge that opened
it. A deleted domain (outside the add grace period) is not removed at once: it waits in
redemptionPeriod (out of the zone, EPP status pendingDelete) where its sponsor may ask to
restore it (pendingRestore, until the restore report arrives), then in pendingDelete,
and is purged when that ends; only then is the name free again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

# RFC 3915 section 2 rgpStatus values, in the order a client sees them.
GRACE_KINDS = ("addPeriod", "renewPeriod", "autoRenewPeriod", "transferPeriod")
RGP_STATES = ("redemptionPeriod", "pendingRestore", "pendingDelete")
RGP_ORDER = GRACE_KINDS + RGP_STATES
PENDING_RESTORE = "pendingRestore"

# Transitions the lifecycle runner applies (also the history action names).
AUTO_RENEW = "autoRenew"
EXPIRE = "expire"
REDEMPTION_END = "redemptionEnd"
RESTORE_LAPSE = "restoreLapse"
PURGE = "purge"


@dataclass(frozen=True)
class GracePeriod:
    """An open grace period: `amount` is what a delete inside it refunds to `registrar_id`."""

    id: int
    kind: str
    registrar_id: str
    ends_at: datetime
    amount: Decimal
    currency: str
    period_years: int


@dataclass(frozen=True)
class RestoreReport:
    """RFC 3915 section 4.3.2: what the registrar tells the registry when restoring."""

    pre_data: str
    post_data: str
    deleted_at: datetime
    restored_at: datetime
    reason: str
    statements: tuple[str, ...]
    other: str | None = None


@dataclass(frozen=True)
class Charge:
    """One line of a fee: what it is for, how much (negative = credit) and for how many years."""

    description: str
    amount: Decimal
    years: int | None = None


@dataclass(frozen=True)
class DomainDeleted:
    """`pending` is False when the name was freed at once (delete inside the add grace
    period, EPP 1000), True when the domain entered redemption (EPP 1001)."""

    name: str
    pending: bool
    credits: tuple[Charge, ...] = ()
    currency: str = ""

    @property
    def refunded(self) -> Decimal:
        """The total given back (credits are negative, this is positive)."""
        return -sum((c.amount for c in self.credits), Decimal(0))


@dataclass(frozen=True)
class RestoreRequested:
    name: str
    rgp_statuses: tuple[str, ...]
    fees: tuple[Charge, ...]
    currency: str
    expires_at: datetime

    @property
    def charged(self) -> Decimal:
        return sum((f.amount for f in self.fees), Decimal(0))


@dataclass(frozen=True)
class RestoreCompleted:
    name: str
    rgp_statuses: tuple[str, ...]
    expires_at: datetime


@dataclass(frozen=True)
class LifecycleReport:
    """What one pass of the lifecycle runner did; `skipped` counts due objects another
    runner or command held at the time (the next pass picks them up)."""

    auto_renewed: int = 0
    expired: int = 0
    transfers_approved: int = 0
    redemptions_ended: int = 0
    restores_lapsed: int = 0
    purged: int = 0
    skipped: int = 0
    failed: int = 0
    reminders: int = 0  # expiry and certificate reminders written (not transitions: not in total())
    verification_holds: int = 0  # domains put on serverHold: registrant not verified in time
    access_alerts: int = 0  # operator alerts about overdue access requests (not in total())

    def total(self) -> int:
        return (self.auto_renewed + self.expired + self.transfers_approved + self.redemptions_ended
                + self.restores_lapsed + self.purged + self.verification_holds)


def rgp_statuses(graces: Iterable[GracePeriod], rgp_state: str | None, now: datetime) -> tuple[str, ...]:
    """The rgpStatus values of a domain at `now`: open grace periods and its redemption state."""
    return rgp_statuses_of(((g.kind, g.ends_at) for g in graces), rgp_state, now)


def rgp_statuses_of(graces: Iterable[tuple[str, datetime]], rgp_state: str | None,
                    now: datetime) -> tuple[str, ...]:
    """rgp_statuses over (kind, end) pairs."""
    present = {kind for kind, ends_at in graces if ends_at > now and kind in GRACE_KINDS}
    if rgp_state:
        present.add(rgp_state)
    return tuple(s for s in RGP_ORDER if s in present)


def refundable(graces: Iterable[GracePeriod], now: datetime) -> list[GracePeriod]:
    """Grace periods a delete at `now` refunds (a pending restore is not a delete refund)."""
    return [g for g in graces if g.ends_at > now and g.kind in GRACE_KINDS]


def in_add_grace(graces: Iterable[GracePeriod], now: datetime) -> bool:
    return any(g.kind == "addPeriod" and g.ends_at > now for g in graces)
