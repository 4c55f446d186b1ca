"""Rules every service shares: who may act, authInfo proofs, money, history."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import objects, registrars, tlds
from registry_core.db.tx import Tx
from registry_core.errors import (
    AuthInfoInvalid,
    InvalidValue,
    NotSponsor,
    ObjectNotFound,
    PolicyViolation,
    StatusProhibits,
)
from registry_core.model import names
from registry_core.model.common import Actor
from registry_core.model.registrar import Tld
from registry_core.model.statuses import CLIENT_SETTABLE, blocking_status


def require_sponsor(actor: Actor, row: dict[str, Any], object_type: str, name: str) -> None:
    if row["sponsor_id"] != actor.registrar_id:
        raise NotSponsor("only the sponsoring registrar may do this", object_type=object_type, name=name)


def require_allowed(operation: str, statuses: list[str], object_type: str, name: str,
                    *, pending_transfer: bool = False) -> None:
    present = list(statuses) + (["pendingTransfer"] if pending_transfer else [])
    status = blocking_status(operation, present)
    if status:
        raise StatusProhibits(f"{status} prohibits {operation}", object_type=object_type, name=name,
                              field="status", value=status)


def proves_auth_info(core: Core, actor: Actor, row: dict[str, Any], auth_info: str | None,
                     context: str, object_type: str) -> bool:
    """True for the sponsor or a caller with the right authInfo; a wrong authInfo is an error."""
    if row["sponsor_id"] == actor.registrar_id and auth_info is None:
        return True
    if auth_info is None:
        return False
    if not core.cipher.matches(row["auth_info"], auth_info, context):
        raise AuthInfoInvalid("authorization information does not match", object_type=object_type,
                              name=str(row.get("name") or row.get("handle")))
    return True


def check_status_change(kind: str, add: frozenset[str], rem: frozenset[str], current: list[str],
                        name: str) -> list[str]:
    """Apply client status changes; only client-settable values, no duplicates, no ghosts."""
    for status in add | rem:
        if status not in CLIENT_SETTABLE[kind]:
            raise PolicyViolation("status is not client-settable", object_type=kind, name=name,
                                  field="status", value=status)
    for status in add:
        if status in current and status not in rem:
            raise PolicyViolation("status already present", object_type=kind, name=name,
                                  field="status", value=status)
    for status in rem:
        if status not in current:
            raise PolicyViolation("status not present", object_type=kind, name=name,
                                  field="status", value=status)
    return sorted((set(current) - rem) | add)


def update_allowed(statuses: list[str], rem: frozenset[str], kind: str, name: str,
                   *, pending_transfer: bool = False) -> None:
    """clientUpdateProhibited lets through only an update that removes it (RFC 5731 2.3)."""
    effective = [s for s in statuses if not (s == "clientUpdateProhibited" and s in rem)]
    require_allowed("update", effective, kind, name, pending_transfer=pending_transfer)


async def find_tld(tx: Tx, name: str) -> tuple[str, Tld]:
    """Normalize a domain name and find the TLD it registers under (one label below it)."""
    normalized = normalize_or_invalid(name, "domain")
    split = names.split_registrable(normalized, await tlds.fetch_tld_names(tx.conn))
    if split is None:
        raise PolicyViolation("name is not one label below a TLD this registry serves",
                              object_type="domain", name=normalized, field="name", value=normalized)
    tld = await tlds.fetch_tld_by_name(tx.conn, split[1])
    assert tld is not None
    return normalized, tld


def normalize_or_invalid(name: str, object_type: str) -> str:
    try:
        return names.normalize_name(name)
    except InvalidValue as exc:
        raise InvalidValue(exc.detail, object_type=object_type, name=name, field="name", value=name) from exc


def not_found(object_type: str, name: str) -> ObjectNotFound:
    return ObjectNotFound(f"{object_type} does not exist", object_type=object_type, name=name)


def new_auth_info() -> str:
    return secrets.token_urlsafe(12)


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
        await objects.insert_poll_message(
            tx.conn, registrar_id, tx.now, "lowBalance",
            f"Balance {balance} {currency} is below the alert threshold {alert}",
            {"balance": str(balance), "threshold": str(alert)})


def price(tld: Tld, action: str, years: int) -> Decimal:
    return tld.prices.get(action, Decimal(0)) * years
