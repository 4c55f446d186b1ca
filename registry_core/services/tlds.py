"""TLD administration: policy and prices."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import objects
from registry_core.db.repo import tlds as repo
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, ObjectNotFound, PolicyViolation
from registry_core.model import names
from registry_core.model.registrar import Tld
from registry_core.services.staff import StaffChange, authorize

PRICED_ACTIONS = ("create", "renew", "transfer", "restore")
POLICY_KEYS = frozenset({"contact_policy", "currency", "min_period_years", "max_period_years",
                         "transfer_period_years", "transfer_auto_approve", "add_grace", "renew_grace",
                         "autorenew_grace", "transfer_grace", "redemption_period", "pending_delete_period",
                         "pending_restore_period", "auto_renew", "whois_enabled", "rdap_icann_profile",
                         "expiry_reminder_days", "lock_allows_ds", "verification", "verification_days"})
MAX_REMINDER_DAYS = 366
VERIFICATION_POLICIES = ("none", "email", "document")


def tld_name(name: str) -> str:
    labels = [names.to_a_label(label, field="tld") for label in name.strip().strip(".").split(".")]
    return ".".join(labels)


async def find_tld(tx: Tx, name: str) -> tuple[str, Tld]:
    """Normalize a domain name and find the TLD it registers under (one label below it)."""
    normalized = names.normalize_object_name(name, "domain")
    split = names.split_registrable(normalized, await repo.fetch_tld_names(tx))
    if split is None:
        raise PolicyViolation("name is not one label below a TLD this registry serves",
                              object_type="domain", name=normalized, field="name", value=normalized)
    tld = await repo.fetch_tld_by_name(tx, split[1])
    assert tld is not None
    return normalized, tld


def _policy(settings: dict[str, Any]) -> dict[str, Any]:
    unknown = set(settings) - POLICY_KEYS
    if unknown:
        raise InvalidValue("unknown TLD setting", object_type="tld", field=sorted(unknown)[0])
    policy = {k: (timedelta(days=float(v)) if k.endswith(("_grace", "_period", "_approve")) and
                  not isinstance(v, timedelta) else v) for k, v in settings.items()}
    if "expiry_reminder_days" in policy:
        policy["expiry_reminder_days"] = reminder_days(policy["expiry_reminder_days"])
    if policy.get("verification", "none") not in VERIFICATION_POLICIES:
        raise InvalidValue("verification is none, email or document", object_type="tld", field="verification",
                           value=str(policy["verification"]))
    if policy.get("verification_days") == 0:
        policy["verification_days"] = None  # 0 on the command line: no deadline
    return policy


def reminder_days(value: Any) -> list[int]:
    """Days before expiry for the reminders: "30,7,1", 30, [30, 7, 1] or "" (none); largest first."""
    items = value.split(",") if isinstance(value, str) else [value] if isinstance(value, int) else list(value)
    try:
        days = sorted({int(str(d).strip()) for d in items if str(d).strip()}, reverse=True)
    except ValueError:
        days = [0]
    if any(not 0 < d <= MAX_REMINDER_DAYS for d in days):
        raise InvalidValue(f"reminder days are whole numbers from 1 to {MAX_REMINDER_DAYS}", object_type="tld",
                           field="expiry_reminder_days", value=str(value))
    return days


async def add_tld(core: Core, name: str, *, roid_suffix: str | None = None,
                  prices: dict[str, Decimal] | None = None, **settings: Any) -> Tld:
    tld = tld_name(name)
    suffix = roid_suffix or tld.replace(".", "_").replace("-", "_").upper()[:8]

    async def run(tx: Tx) -> Tld:
        await repo.insert_tld(tx, tld, suffix, _policy(settings))
        for action, amount in (prices or {}).items():
            await set_price_in(tx, tld, action, amount)
        await objects.insert_history(tx.conn, None, tx.now, "tld", None, tld, "create", None,
                                     {"settings": settings, "prices": {k: str(v) for k, v in (prices or {}).items()}},
                                     sv_trid="admin")
        created = await repo.fetch_tld_by_name(tx, tld)
        assert created is not None
        return created
    try:
        return await core.db.transaction(run)
    finally:
        core.db.tld_cache.invalidate()  # again after commit or rollback: no reader may keep a stale copy


async def set_price_in(tx: Tx, tld: str, action: str, amount: Decimal) -> None:
    if action not in PRICED_ACTIONS:
        raise InvalidValue("prices exist for create, renew, transfer and restore", object_type="tld",
                           field="action", value=action)
    await repo.upsert_price(tx, tld, action, Decimal(amount))


async def configure_tld(core: Core, name: str, *, prices: dict[str, Decimal] | None = None,
                        change: StaffChange | None = None, **settings: Any) -> Tld:
    """Change a TLD's policy and prices, with a history row of the old and new values
    (`change`: a staff member's, checked for the admin role and a reason)."""
    tld = tld_name(name)
    authorized = authorize(change, "registry.policy", "tld", tld)

    async def run(tx: Tx) -> Tld:
        before = await repo.fetch_tld_by_name(tx, tld)
        if before is None:
            raise ObjectNotFound("no such TLD", object_type="tld", name=tld)
        if settings:
            await repo.update_tld(tx, tld, _policy(settings))
        for action, amount in (prices or {}).items():
            await set_price_in(tx, tld, action, amount)
        updated = await repo.fetch_tld_by_name(tx, tld)
        assert updated is not None
        old = {k: getattr(before, k) for k in settings if hasattr(before, k)}
        await objects.insert_history(tx.conn, authorized.actor, tx.now, "tld", None, tld, "update",
                                     {"settings": old, "prices": {k: str(v) for k, v in before.prices.items()}},
                                     authorized.noted({"settings": settings,
                                                       "prices": {k: str(v) for k, v in (prices or {}).items()}}),
                                     sv_trid=authorized.sv_trid)
        return updated
    try:
        return await core.db.transaction(run)
    finally:
        core.db.tld_cache.invalidate()  # again after commit or rollback: no reader may keep a stale copy


async def get_tld(core: Core, name: str) -> Tld:
    async def run(tx: Tx) -> Tld:
        tld = await repo.fetch_tld_by_name(tx, tld_name(name))
        if tld is None:
            raise ObjectNotFound("no such TLD", object_type="tld", name=name)
        return tld
    return await core.db.transaction(run, readonly=True)


async def list_tlds(core: Core) -> list[Tld]:
    async def run(tx: Tx) -> list[Tld]:
        return await repo.fetch_all_tlds(tx)
    return await core.db.transaction(run, readonly=True)


async def tld_reminder_days(core: Core, name: str) -> list[int]:
    """The days before expiry on which the TLD's registrants are reminded."""
    async def run(tx: Tx) -> list[int]:
        days = await repo.fetch_reminder_days(tx, tld_name(name))
        if days is None:
            raise ObjectNotFound("no such TLD", object_type="tld", name=name)
        return days
    return await core.db.transaction(run, readonly=True)
