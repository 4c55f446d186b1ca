"""The values the gateways hand back and the two interfaces the shop plugs in: the callback told
that an order is paid (OnPaid) and the refunds it asks for (Refunder)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

EventKind = Literal["succeeded", "failed", "other"]


class OnPaid(Protocol):
    """Told once per payment that its order is paid; runs inside the transaction that records
    the webhook event, so an exception rolls the event back and the gateway delivers it again."""

    async def __call__(self, order_ref: str, gateway: str, reference: str, amount: Decimal,
                       currency: str) -> None: ...


@dataclass(frozen=True)
class PaymentStart:
    """A payment opened at a gateway for one order attempt: what the buyer's page needs."""

    gateway: str
    reference: str  # the gateway's id: a Stripe PaymentIntent (pi_...), a PayPal order
    order_ref: str
    amount: Decimal
    currency: str
    client_secret: str | None = None  # Stripe: for Stripe.js confirmCardPayment
    approve_url: str | None = None  # PayPal: where the buyer approves


@dataclass(frozen=True)
class Payment:
    """A row of storefront.payment."""

    id: int
    gateway: str
    reference: str
    attempt_key: str
    order_ref: str
    amount: Decimal
    currency: str
    state: str  # created | paid | failed | mismatch
    notified: bool


@dataclass(frozen=True)
class GatewayEvent:
    """A verified notification from a gateway, reduced to what settles a payment."""

    gateway: str
    event_id: str
    event_type: str
    kind: EventKind
    reference: str | None = None
    amount: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class RefundReceipt:
    gateway: str
    reference: str
    refund_id: str
    amount: Decimal
    currency: str
    status: str  # the gateway's word: succeeded, pending, COMPLETED ...


class Refunder(Protocol):
    """Gives money back for a payment. `key` makes a retried refund the same refund (the default
    key is the reference and amount: pass another to refund the same amount twice on purpose)."""

    async def refund(self, reference: str, amount: Decimal, *, key: str | None = None) -> RefundReceipt: ...


class PaymentError(Exception):
    """A gateway refused or could not be reached; the message never carries a secret."""


class SignatureInvalid(PaymentError):
    """A webhook whose signature does not verify (or that is not the gateway's at all)."""


class AttemptConflict(PaymentError):
    """An order attempt asked again with another amount or currency than the first time."""
