"""Prices and fee quotes (RFC 8748) as plain values, and the rule for a client's fee.

A price is per year. For one name, action and registrar it comes from, in order: the
name's premium price for that action, the registrar's price group for the TLD, the TLD's
price list. A quote is `premium` when the first applies, otherwise `standard`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from registry_core.errors import FeeCurrencyMismatch, FeeTooLow, PremiumFeeNotAcknowledged
from registry_core.model.lifecycle import Charge

PRICED_ACTIONS = ("create", "renew", "transfer", "restore")
FREE_ACTIONS = ("delete", "update")
STANDARD = "standard"
PREMIUM = "premium"


@dataclass(frozen=True)
class PremiumPrice:
    """A premium name's own yearly prices; None = the standard price for that action."""

    name: str
    create: Decimal | None = None
    renew: Decimal | None = None
    transfer: Decimal | None = None
    restore: Decimal | None = None

    def for_action(self, action: str) -> Decimal | None:
        value: Decimal | None = getattr(self, action, None)
        return value


@dataclass(frozen=True)
class PriceBook:
    """Everything that prices one name for one registrar."""

    currency: str
    tld_prices: dict[str, Decimal] = field(default_factory=dict)
    group_prices: dict[str, Decimal] = field(default_factory=dict)
    premium: PremiumPrice | None = None

    def yearly(self, action: str) -> tuple[Decimal, str]:
        """(price per year, fee class) of `action`."""
        special = self.premium.for_action(action) if self.premium else None
        if special is not None:
            return special, PREMIUM
        if action in self.group_prices:
            return self.group_prices[action], STANDARD
        return self.tld_prices.get(action, Decimal(0)), STANDARD


@dataclass(frozen=True)
class FeeQuote:
    """The fee for one command on one name (RFC 8748 fee:cd). `available` False means no
    quote can be given; `reason` says why (reserved, invalid period, unknown TLD ...)."""

    name: str
    action: str
    years: int | None
    currency: str
    fee_class: str = STANDARD
    fees: tuple[Charge, ...] = ()
    available: bool = True
    reason: str | None = None

    @property
    def total(self) -> Decimal:
        return sum((f.amount for f in self.fees), Decimal(0))

    @property
    def premium(self) -> bool:
        return self.fee_class == PREMIUM


def quote_action(name: str, action: str, years: int, book: PriceBook, *, with_renew: int = 0) -> FeeQuote:
    """The quote for `years` of `action`; a restore is one restore fee plus `with_renew`
    years of renewal (charged when the domain has expired by the time it is restored)."""
    if action in FREE_ACTIONS:
        return FeeQuote(name, action, None, book.currency, STANDARD, (Charge(action, Decimal(0)),))
    if action == "restore":
        restore, fee_class = book.yearly("restore")
        fees = [Charge("restore", restore)]
        if with_renew:
            renew, renew_class = book.yearly("renew")
            fees.append(Charge("renew", renew * with_renew, with_renew))
            fee_class = PREMIUM if PREMIUM in (fee_class, renew_class) else STANDARD
        return FeeQuote(name, action, None, book.currency, fee_class, tuple(fees))
    yearly, fee_class = book.yearly(action)
    return FeeQuote(name, action, years, book.currency, fee_class, (Charge(action, yearly * years, years),))


def accept_fee(quote: FeeQuote, accepted: Decimal | None, currency: str | None = None) -> None:
    """Refuse a command whose fee acknowledgement does not cover the quote: a premium
    price needs one, any given one must be in the TLD's currency and not below the fee.
    A fee above the price is accepted; the registry charges its own price."""
    if currency is not None and currency.upper() != quote.currency:
        raise FeeCurrencyMismatch(f"fees for this name are charged in {quote.currency}", name=quote.name,
                                  field="currency", value=currency, expected=quote.total,
                                  currency=quote.currency)
    if accepted is None:
        if quote.premium:
            raise PremiumFeeNotAcknowledged(
                f"premium name: {quote.action} costs {quote.total} {quote.currency}; send the fee",
                name=quote.name, expected=quote.total, currency=quote.currency)
        return
    if accepted < quote.total:
        raise FeeTooLow(f"{quote.action} costs {quote.total} {quote.currency}", name=quote.name,
                        value=str(accepted), expected=quote.total, currency=quote.currency)
