"""Grace periods inside a command's transaction: open one with the charge it may give
back, and refund open ones (a delete inside them, a lapsed restore, an undone auto-renew)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from registry_core.db.repo import lifecycle as repo
from registry_core.db.tx import Tx
from registry_core.model.actor import Actor
from registry_core.model.lifecycle import Charge, GracePeriod
from registry_core.model.pricing import FeeQuote
from registry_core.services.billing import charge


async def open_grace(tx: Tx, domain_id: int, kind: str, registrar_id: str, sv_trid: str, length: timedelta,
                     quote: FeeQuote, years: int | None = None) -> None:
    """Start a grace period of `length` from now; none opens when the TLD sets it to zero."""
    if length <= timedelta(0):
        return
    await repo.insert_grace_period(tx.conn, {
        "domain_id": domain_id, "kind": kind, "registrar_id": registrar_id, "starts_at": tx.now,
        "ends_at": tx.now + length, "amount": quote.total, "currency": quote.currency,
        "period_years": years if years is not None else (quote.years or 0), "sv_trid": sv_trid})


async def refund_graces(tx: Tx, actor: Actor, row: dict[str, Any], graces: list[GracePeriod],
                        description: str) -> list[Charge]:
    """Give back the charge of each grace period to the registrar that paid it and close
    them; returns the credits (negative amounts) for the command's response."""
    credits = []
    for grace in graces:
        await charge(tx, actor, grace.registrar_id, grace.amount, grace.currency, "refund",
                     ("domain", row["id"], row["name"]), grace.period_years or None,
                     f"{grace.kind} {description}")
        credits.append(Charge(grace.kind, -grace.amount, grace.period_years or None))
    await repo.delete_grace_periods(tx.conn, [g.id for g in graces], tx.now)
    return credits
