"""The shop's payment settings come from the suite's TOML file ([storefront.stripe],
[storefront.paypal]); the registry's own loader leaves that section to them; secrets never show in
a repr; amounts convert to each gateway's form exactly or not at all."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from protocols.config import ConfigError, load_config
from storefront.payments.model import PaymentError
from storefront.payments.money import paypal_value, stripe_amount, stripe_minor_units
from storefront.payments.settings import PaymentSettingsError, load_payment_settings

TOML = """
[epp]
port = 7700

[storefront.stripe]
secret_key = "sk_test_abc123secret"
webhook_secret = "whsec_shhh"
api_base = "http://127.0.0.1:8420"
timeout = 5

[storefront.paypal]
client_id = "shop"
client_secret = "paypal-secret-value"
webhook_id = "WH-1"

[storefront.payments]
webhook_max_bytes = 65536
"""


def test_the_sections_load_typed_and_the_registry_loader_passes_them(tmp_path: Path) -> None:
    path = tmp_path / "registry.toml"
    path.write_text(TOML)
    settings = load_payment_settings(path)
    assert settings.stripe.enabled and settings.stripe.api_base == "http://127.0.0.1:8420"
    assert settings.stripe.timeout == 5.0 and settings.stripe.webhook_tolerance == 300
    assert settings.paypal.enabled and settings.paypal.webhook_id == "WH-1"
    assert settings.webhook_max_bytes == 65536
    shown = repr(settings)
    assert "sk_test_abc123secret" not in shown and "whsec_shhh" not in shown and "paypal-secret-value" not in shown
    assert load_config(path, environ={}).epp.port == 7700


def test_unknown_keys_and_wrong_types_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "registry.toml"
    path.write_text('[storefront.stripe]\nsecret_kee = "x"\n')
    with pytest.raises(PaymentSettingsError, match="secret_kee"):
        load_payment_settings(path)
    path.write_text('[storefront.paypal]\ntimeout = "soon"\n')
    with pytest.raises(PaymentSettingsError, match="timeout"):
        load_payment_settings(path)
    path.write_text("[shop]\nx = 1\n")
    with pytest.raises(ConfigError, match="shop"):
        load_config(path, environ={})


def test_without_keys_a_gateway_is_off(tmp_path: Path) -> None:
    path = tmp_path / "registry.toml"
    path.write_text("")
    settings = load_payment_settings(path)
    assert not settings.stripe.enabled and not settings.paypal.enabled


@pytest.mark.parametrize(("amount", "currency", "minor"), [("12.50", "EUR", 1250), ("1500", "JPY", 1500),
                                                           ("0.01", "usd", 1), ("99999.99", "GBP", 9999999)])
def test_stripe_counts_in_the_smallest_unit(amount: str, currency: str, minor: int) -> None:
    assert stripe_minor_units(Decimal(amount), currency) == minor
    assert stripe_amount(minor, currency) == Decimal(amount)


@pytest.mark.parametrize(("amount", "currency"), [("12.505", "EUR"), ("1500.5", "JPY"), ("0", "EUR"),
                                                  ("-1.00", "EUR"), ("1.00", "EURO")])
def test_amounts_a_currency_cannot_carry_are_refused(amount: str, currency: str) -> None:
    with pytest.raises(PaymentError):
        stripe_minor_units(Decimal(amount), currency)


def test_paypal_values_carry_the_currencys_digits() -> None:
    assert paypal_value(Decimal("30"), "USD") == "30.00"
    assert paypal_value(Decimal("1500"), "HUF") == "1500"
    with pytest.raises(PaymentError):
        paypal_value(Decimal("10.5"), "TWD")
