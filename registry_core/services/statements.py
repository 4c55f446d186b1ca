"""A registrar's monthly statement (opening balance, every ledger row of the month, closing
balance, read from one snapshot) and its low-balance threshold, which the console sets:
a debit that takes the balance below it writes a registrar.balance.low notification
(services/billing.py, in the debit's own transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import billing_export as repo
from registry_core.db.repo import objects
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, ObjectNotFound, PermissionDenied
from registry_core.model.accounts import Principal, allowed
from registry_core.services.console_domains import Origin, console_actor

MAX_ALERT = Decimal("999999999999.99")  # numeric(14, 2)


@dataclass(frozen=True)
class Statement:
    registrar_id: str
    registrar_name: str
    currency: str
    start: datetime  # the month's first instant (UTC)
    end: datetime  # the next month's first instant
    opening: Decimal
    rows: tuple[dict[str, Any], ...]
    closing: Decimal
    issued_at: datetime


@dataclass(frozen=True)
class BillingSettings:
    balance: Decimal
    currency: str
    low_balance_alert: Decimal | None


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    if not 2000 <= year <= 9998 or not 1 <= month <= 12:
        raise InvalidValue("a month as YYYY-MM", object_type="statement", field="month", value=f"{year}-{month}")
    start = datetime(year, month, 1, tzinfo=UTC)
    return start, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


async def _settings(tx: Tx, registrar_id: str) -> dict[str, Any]:
    found = await repo.fetch_billing_settings(tx.conn, registrar_id)
    if found is None:
        raise ObjectNotFound("no such registrar", object_type="registrar", name=registrar_id)
    return found


async def monthly_statement(core: Core, who: Principal, registrar_id: str, year: int, month: int) -> Statement:
    if not allowed(who, "billing.view", registrar_id):
        raise PermissionDenied("this user may not see the registrar's billing", object_type="registrar",
                               name=registrar_id)
    start, end = month_bounds(year, month)

    async def run(tx: Tx) -> Statement:
        found = await _settings(tx, registrar_id)
        opening = await repo.fetch_opening_balance(tx.conn, registrar_id, start)
        rows = tuple(await repo.fetch_period_ledger(tx.conn, registrar_id, start, end))
        return Statement(registrar_id, found["name"], found["currency"], start, end, opening, rows,
                         opening + sum((r["amount"] for r in rows), Decimal(0)), tx.now)
    return await core.db.snapshot(run)


async def billing_settings(core: Core, who: Principal, registrar_id: str) -> BillingSettings:
    if not allowed(who, "billing.view", registrar_id):
        raise PermissionDenied("this user may not see the registrar's billing", object_type="registrar",
                               name=registrar_id)

    async def run(tx: Tx) -> BillingSettings:
        found = await _settings(tx, registrar_id)
        return BillingSettings(found["balance"], found["currency"], found["low_balance_alert"])
    return await core.db.transaction(run, readonly=True)


def alert_amount(text: str) -> Decimal | None:
    """A threshold as typed: an amount with at most two decimals, or empty for none."""
    if not text.strip():
        return None
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount.as_tuple().exponent < -2 or abs(amount) > MAX_ALERT:  # type: ignore[operator]
        raise InvalidValue("the threshold is an amount such as 250 or 99.50 (or empty: no alert)",
                           object_type="registrar", field="low_balance_alert", value=text[:40])
    return amount.quantize(Decimal("0.01"))


async def set_low_balance_alert(core: Core, who: Principal, registrar_id: str, alert: Decimal | None,
                                origin: Origin = ()) -> Decimal | None:
    """Set (None: clear) the threshold, with its history row, in one transaction."""
    if not allowed(who, "billing.write", registrar_id):
        raise PermissionDenied("this user may not change the registrar's billing settings",
                               object_type="registrar", name=registrar_id)

    async def run(tx: Tx) -> Decimal | None:
        before = (await _settings(tx, registrar_id))["low_balance_alert"]
        await repo.update_low_balance_alert(tx.conn, registrar_id, alert, tx.now)
        await objects.insert_history(tx.conn, console_actor(who, registrar_id, origin), tx.now, "registrar", None,
                                     registrar_id, "update", {"low_balance_alert": before},
                                     {"low_balance_alert": alert})
        return alert
    return await core.db.transaction(run)
