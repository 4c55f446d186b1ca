"""Registrars and TLDs as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal


@dataclass(frozen=True)
class Registrar:
    id: str
    name: str
    iana_id: int | None
    status: str
    balance: Decimal
    credit_limit: Decimal
    currency: str
    ip_allowlist: tuple[str, ...]
    fingerprints: tuple[str, ...]
    email: str | None = None
    url: str | None = None
    whois_server: str | None = None
    abuse_email: str | None = None
    abuse_phone: str | None = None


@dataclass(frozen=True)
class Tld:
    name: str
    roid_suffix: str
    contact_policy: str
    currency: str
    min_period_years: int
    max_period_years: int
    transfer_period_years: int
    transfer_auto_approve_days: float
    auto_renew: bool
    whois_enabled: bool
    rdap_icann_profile: bool
    prices: dict[str, Decimal] = field(default_factory=dict)
    add_grace: timedelta = timedelta(days=5)
    renew_grace: timedelta = timedelta(days=5)
    autorenew_grace: timedelta = timedelta(days=45)
    transfer_grace: timedelta = timedelta(days=5)
    redemption_period: timedelta = timedelta(days=30)
    pending_delete_period: timedelta = timedelta(days=5)
    pending_restore_period: timedelta = timedelta(days=7)
    # whether the TLD has any reserved / premium names (cached with the policy; a domain
    # check skips the lookups a TLD without such lists cannot need)
    has_reserved: bool = True
    has_premium: bool = True
    # whether the TLD runs create-time risk checks (a create on a TLD without skips their query)
    has_risk_policy: bool = True
    # registry lock still lets DS (secDNS) changes through (key rollovers)
    lock_allows_ds: bool = False
    # NIS2 Art. 28 registrant verification: none | email | document; within how many days of
    # the domain's creation the registrant must be verified, else serverHold (None: no deadline)
    verification: str = "none"
    verification_days: int | None = None
