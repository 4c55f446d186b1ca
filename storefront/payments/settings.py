"""The shop's payment settings: the `[storefront.stripe]` and `[storefront.paypal]` sections of
the suite's TOML file, typed, loaded once and passed down. A gateway without its keys is off.
Secrets stay out of every repr (so out of logs and tracebacks)."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storefront.payments.model import PaymentError


class PaymentSettingsError(PaymentError):
    pass


@dataclass(frozen=True)
class StripeSettings:
    secret_key: str = field(default="", repr=False)  # sk_live_... / sk_test_...
    publishable_key: str = ""  # pk_..., for Stripe.js on the checkout page
    webhook_secret: str = field(default="", repr=False)  # whsec_..., the endpoint's signing secret
    api_base: str = "https://api.stripe.com"  # the SDK's "api" base address (tests: localstripe)
    timeout: float = 30.0  # seconds per API request
    network_retries: int = 2  # the SDK retries with the same idempotency key
    # Stripe's own default: a signed timestamp older than this is refused (replay window)
    webhook_tolerance: int = 300

    @property
    def enabled(self) -> bool:
        return bool(self.secret_key)


@dataclass(frozen=True)
class PayPalSettings:
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    webhook_id: str = ""  # the id PayPal gave the webhook subscription (its verification needs it)
    api_base: str = "https://api-m.sandbox.paypal.com"  # live: https://api-m.paypal.com
    return_url: str = "http://127.0.0.1:8083/payments/paypal/return"
    cancel_url: str = "http://127.0.0.1:8083/payments/paypal/cancel"
    brand_name: str = ""
    timeout: float = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.client_id and self.client_secret)


@dataclass(frozen=True)
class PaymentSettings:
    stripe: StripeSettings = field(default_factory=StripeSettings)
    paypal: PayPalSettings = field(default_factory=PayPalSettings)
    # a gateway's event is a few KiB; Stripe's largest objects stay far under this
    webhook_max_bytes: int = 256 * 1024
    webhook_concurrency: int = 4  # events settled at once per process (each holds a connection)


def _typed(section: str, cls: type, values: Mapping[str, Any]) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(fields)
    if unknown:
        raise PaymentSettingsError(f"unknown key(s) in [storefront.{section}]: {', '.join(sorted(unknown))}")
    typed = {}
    for key, value in values.items():
        kind = type(fields[key].default)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            if not (kind is float and isinstance(value, int) and not isinstance(value, bool)):
                raise PaymentSettingsError(f"storefront.{section}.{key}: expected {kind.__name__}")
            value = float(value)
        if kind in (int, float) and value < 0:
            raise PaymentSettingsError(f"storefront.{section}.{key}: must not be negative")
        typed[key] = value
    return cls(**typed)


def payment_settings_from_mapping(storefront: Mapping[str, Any]) -> PaymentSettings:
    """From the `[storefront]` table: its `stripe` and `paypal` tables and `payments` keys."""
    payments = _typed("payments", PaymentSettings, {k: v for k, v in storefront.get("payments", {}).items()
                                                     if k not in ("stripe", "paypal")})
    stripe = _typed("stripe", StripeSettings, storefront.get("stripe", {}))
    paypal = _typed("paypal", PayPalSettings, storefront.get("paypal", {}))
    return dataclasses.replace(payments, stripe=stripe, paypal=paypal)


def load_payment_settings(path: Path) -> PaymentSettings:
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PaymentSettingsError(f"{path}: {exc}") from exc
    return payment_settings_from_mapping(raw.get("storefront", {}))
