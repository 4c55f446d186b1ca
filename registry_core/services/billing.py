"""Money: the ledger row and balance change of a charge, refund or credit, and list prices."""

from __future__ import annotations

from decimal import Decimal

from registry_core.db.repo import registrars
from registry_core.db.tx import Tx
from registry_core.model import notification as note
from registry_core.model.actor import Actor
from registry_core.model.registrar import Tld
from registry_core.services import notifications


async def charge(tx: Tx, actor: Actor, registrar_id: str, amount: Decimal, currency: str, action: str,
                 obj: tuple[str, int, str], period_years: int | None = None,
                 description: str | None = None) -> None:
    """Move money: a negative `amount` charges, a positive one refunds or credits. Writes
    the ledger row in the same transaction and warns the registrar when the balance falls
    under its alert threshold."""
    if amount == 0:
        return
    balance, alert = await registrars.change_balance(tx.conn, registrar_id, amount)
    object_type, object_id, object_name = obj
    await registrars.insert_ledger_row(tx.conn, {
        "registrar_id": registrar_id, "at": tx.now, "amount": amount, "currency": currency,
        "balance_after": balance, "action": action, "object_type": object_type or None,
        "object_id": object_id or None, "object_name": object_name or None,
        "period_years": period_years, "sv_trid": actor.sv_trid, "description": description})
    if alert is not None and amount < 0 and balance < alert <= balance - amount:
        await notifications.emit(tx, actor.sv_trid, note.Event(
            note.BALANCE_LOW, note.registrar_audience(registrar_id),
            {"registrar": registrar_id, "balance": str(balance), "currency": currency, "threshold": str(alert)},
            "registrar", registrar_id,
            poll=note.PollEntry("lowBalance", f"Balance {balance} {currency} is below the alert threshold {alert}",
                                {"balance": str(balance), "threshold": str(alert)})))


def price(tld: Tld, action: str, years: int) -> Decimal:
    """The TLD's list price of `action` for `years` years."""
    return tld.prices.get(action, Decimal(0)) * years
