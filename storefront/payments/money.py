"""Amounts between the shop's Decimals and each gateway's form: Stripe counts in the currency's
smallest unit (cents; yen as they are), PayPal sends a decimal string with the currency's digits.
An amount finer than the currency allows is refused, never rounded."""

from __future__ import annotations

from decimal import Decimal

from storefront.payments.model import PaymentError

# Stripe's zero-decimal currencies (https://docs.stripe.com/currencies#zero-decimal)
STRIPE_ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF",
                                 "UGX", "VND", "VUV", "XAF", "XOF", "XPF"})
# PayPal's currencies without decimals (PayPal REST API currency codes)
PAYPAL_ZERO_DECIMAL = frozenset({"HUF", "JPY", "TWD"})


def currency_code(currency: str) -> str:
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise PaymentError(f"not an ISO 4217 currency code: {currency!r}")
    return code


def _digits(currency: str, zero_decimal: frozenset[str]) -> int:
    return 0 if currency_code(currency) in zero_decimal else 2


def _exact(amount: Decimal, digits: int, currency: str) -> Decimal:
    if amount <= 0:
        raise PaymentError(f"an amount must be positive, got {amount} {currency}")
    quantum = Decimal(1).scaleb(-digits)
    if amount != amount.quantize(quantum):
        raise PaymentError(f"{amount} {currency} is finer than the currency's {digits} decimals")
    return amount.quantize(quantum)


def stripe_minor_units(amount: Decimal, currency: str) -> int:
    digits = _digits(currency, STRIPE_ZERO_DECIMAL)
    return int(_exact(amount, digits, currency).scaleb(digits))


def stripe_amount(minor: int, currency: str) -> Decimal:
    digits = _digits(currency, STRIPE_ZERO_DECIMAL)
    return Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def paypal_value(amount: Decimal, currency: str) -> str:
    return str(_exact(amount, _digits(currency, PAYPAL_ZERO_DECIMAL), currency))


def paypal_amount(value: str) -> Decimal:
    try:
        return Decimal(value)
    except ArithmeticError:
        raise PaymentError(f"PayPal sent an amount that is not a number: {value!r}") from None
