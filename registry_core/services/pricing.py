"""Fee quotes (RFC 8748 <fee:check>) and the pricing every charging command shares.

`quote_in` prices one command inside the caller's transaction; `charge_quote` books
it on the ledger line by line; `quote_fees` answers a fee check for many names.
"""

from __future__ import annotations

from typing import Any

from registry_core.context import Core
from registry_core.db.repo import domains as domain_repo
from registry_core.db.repo import pricing as repo
from registry_core.db.repo import tlds
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, NameReserved
from registry_core.model import names
from registry_core.model.actor import Actor
from registry_core.model.pricing import (
    FREE_ACTIONS,
    PRICED_ACTIONS,
    FeeQuote,
    PriceBook,
    quote_action,
)
from registry_core.model.registrar import Tld
from registry_core.services.billing import charge


async def price_book(tx: Tx, registrar_id: str, name: str, tld: Tld) -> PriceBook:
    premium, groups = await repo.fetch_name_prices(tx.conn, registrar_id, tld.name, name)
    return PriceBook(tld.currency, tld.prices, groups, premium)


async def quote_in(tx: Tx, registrar_id: str, name: str, tld: Tld, action: str, years: int | None,
                   *, with_renew: int = 0) -> FeeQuote:
    """The fee `registrar_id` pays for `action` on `name` (`years` is ignored for restore)."""
    book = await price_book(tx, registrar_id, name, tld)
    return quote_action(name, action, years or 0, book, with_renew=with_renew)


async def charge_quote(tx: Tx, actor: Actor, registrar_id: str, quote: FeeQuote, obj: tuple[str, int, str],
                       ledger_action: str | None = None) -> None:
    """Debit every line of a quote: one ledger row each (a restore books its renewal apart).
    `ledger_action` renames the action of a one-line quote (an auto-renew is priced as renew)."""
    for fee in quote.fees:
        action = ledger_action or fee.description
        await charge(tx, actor, registrar_id, -fee.amount, quote.currency, action, obj, fee.years,
                     f"{quote.fee_class} {fee.description}")


async def require_not_reserved(tx: Tx, name: str) -> None:
    reason = (await repo.fetch_reserved(tx.conn, [name])).get(name)
    if reason is not None:
        raise NameReserved(f"{name} is reserved: {reason}", object_type="domain", name=name, field="name",
                           value=name)


async def quote_fees(core: Core, actor: Actor, raw_names: list[str], action: str, years: int | None = None,
                     *, currency: str | None = None) -> list[FeeQuote]:
    """RFC 8748 fee check: one quote per name for `action` over `years` (None: the TLD's
    default; restore has no period). Names that cannot be quoted come back with
    available=False and a reason (invalid, not served, reserved, period, currency)."""
    async def run(tx: Tx) -> list[FeeQuote]:
        served = await tlds.fetch_tld_names(tx)
        return [await _quote_one(tx, actor, raw, served, action, years, currency) for raw in raw_names]
    return await core.db.transaction(run, readonly=True)


def _unavailable(name: str, action: str, years: int | None, currency: str, reason: str) -> FeeQuote:
    return FeeQuote(name, action, years, currency, available=False, reason=reason)


async def _quote_one(tx: Tx, actor: Actor, raw: str, served: frozenset[str], action: str, years: int | None,
                     currency: str | None) -> FeeQuote:
    try:
        name = names.normalize_name(raw)
    except InvalidValue:
        return _unavailable(raw, action, years, currency or "", "Invalid domain name")
    split = names.split_registrable(name, served)
    if split is None:
        return _unavailable(name, action, years, currency or "", "Not in a TLD served here")
    tld = await tlds.fetch_tld_by_name(tx, split[1])
    assert tld is not None
    problem = await _quote_problem(tx, tld, name, action, years, currency)
    if problem:
        return _unavailable(name, action, years, tld.currency, problem)
    period = _default_years(tld, action, years)
    renew = await _restore_renewal(tx, name) if action == "restore" else 0
    return await quote_in(tx, actor.registrar_id, name, tld, action, period, with_renew=renew)


async def _quote_problem(tx: Tx, tld: Tld, name: str, action: str, years: int | None,
                         currency: str | None) -> str | None:
    if action not in PRICED_ACTIONS + FREE_ACTIONS:
        return "Command not priced by this registry"
    if currency is not None and currency.upper() != tld.currency:
        return f"Fees are only quoted in {tld.currency}"
    if years is not None and not _period_ok(tld, action, years):
        return "Period out of range"
    if action == "create":
        reserved = (await repo.fetch_reserved(tx.conn, [name])).get(name)
        if reserved is not None:
            return reserved
    return None


def _period_ok(tld: Tld, action: str, years: int) -> bool:
    if action == "transfer":
        return 0 <= years <= tld.max_period_years
    if action in ("create", "renew"):
        return tld.min_period_years <= years <= tld.max_period_years
    return True


def _default_years(tld: Tld, action: str, years: int | None) -> int | None:
    if action in FREE_ACTIONS or action == "restore":
        return None
    if years is not None:
        return years
    return tld.transfer_period_years if action == "transfer" else tld.min_period_years


async def _restore_renewal(tx: Tx, name: str) -> int:
    """A restore of an expired domain includes a year's renewal."""
    row: dict[str, Any] | None = await domain_repo.fetch_domain_by_name(tx.conn, name)
    return 1 if row is not None and row["expires_at"] <= tx.now else 0
