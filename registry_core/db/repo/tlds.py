"""SQL for TLDs and their prices."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from registry_core.db.repo.errors import unique_as_exists
from registry_core.db.tx import Tx
from registry_core.model.registrar import Tld

_TLD_COLUMNS = """name, roid_suffix, contact_policy, currency, min_period_years, max_period_years,
    transfer_period_years, extract(epoch FROM transfer_auto_approve) / 86400.0 AS auto_days,
    auto_renew, whois_enabled, rdap_icann_profile, add_grace, renew_grace, autorenew_grace, transfer_grace,
    redemption_period, pending_delete_period, pending_restore_period, lock_allows_ds, verification,
    verification_days"""
_PERIODS = ("add_grace", "renew_grace", "autorenew_grace", "transfer_grace", "redemption_period",
            "pending_delete_period", "pending_restore_period")


def _tld(row: Any, prices: dict[str, Decimal]) -> Tld:
    return Tld(row["name"], row["roid_suffix"], row["contact_policy"], row["currency"],
               row["min_period_years"], row["max_period_years"], row["transfer_period_years"],
               float(row["auto_days"]), row["auto_renew"], row["whois_enabled"],
               row["rdap_icann_profile"], prices, **{p: row[p] for p in _PERIODS},
               lock_allows_ds=row["lock_allows_ds"], verification=row["verification"],
               verification_days=row["verification_days"])


# TLD policy is read by nearly every command and changes rarely: the readers below keep it in
# the cache of the transaction's database (`Tx.tld_cache`) for a few seconds. Writes through
# this module drop that cache at once; a change made by another process (the operator CLI) is
# seen within TLD_CACHE_SECONDS (registry_core.db.tx).


async def _all_tlds(tx: Tx) -> dict[str, Tld]:
    return await tx.tld_cache.get(lambda: _load_tlds(tx.conn))


async def _load_tlds(conn: Any) -> dict[str, Tld]:
    rows = await conn.fetch(
        f"""SELECT {_TLD_COLUMNS},
                   EXISTS (SELECT 1 FROM reserved_name r WHERE r.tld = tld.name) AS has_reserved,
                   EXISTS (SELECT 1 FROM premium_name p WHERE p.tld = tld.name) AS has_premium,
                   EXISTS (SELECT 1 FROM tld_risk_policy k WHERE k.tld = tld.name) AS has_risk_policy
            FROM tld ORDER BY name""")
    prices: dict[str, dict[str, Decimal]] = {}
    for price in await conn.fetch("SELECT tld, action, amount FROM tld_price"):
        prices.setdefault(price["tld"], {})[price["action"]] = price["amount"]
    return {row["name"]: dataclasses.replace(_tld(row, prices.get(row["name"], {})),
                                             has_reserved=row["has_reserved"], has_premium=row["has_premium"],
                                             has_risk_policy=row["has_risk_policy"])
            for row in rows}


async def fetch_tld_by_name(tx: Tx, name: str) -> Tld | None:
    return (await _all_tlds(tx)).get(name)


async def fetch_tld_names(tx: Tx) -> frozenset[str]:
    return frozenset(await _all_tlds(tx))


async def fetch_all_tlds(tx: Tx) -> list[Tld]:
    return list((await _all_tlds(tx)).values())


async def insert_tld(tx: Tx, name: str, roid_suffix: str, settings: dict[str, Any]) -> None:
    columns = ["name", "roid_suffix", *settings]
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    tx.tld_cache.invalidate()
    with unique_as_exists("tld", name):
        await tx.conn.execute(f"INSERT INTO tld ({', '.join(columns)}) VALUES ({params})",
                              name, roid_suffix, *settings.values())


async def update_tld(tx: Tx, name: str, settings: dict[str, Any]) -> bool:
    tx.tld_cache.invalidate()
    sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(settings, start=2))
    status = await tx.conn.execute(f"UPDATE tld SET {sets} WHERE name = $1", name, *settings.values())
    return bool(status != "UPDATE 0")


async def upsert_price(tx: Tx, tld: str, action: str, amount: Decimal) -> None:
    tx.tld_cache.invalidate()
    await tx.conn.execute(
        """INSERT INTO tld_price (tld, action, amount) VALUES ($1, $2, $3)
           ON CONFLICT (tld, action) DO UPDATE SET amount = EXCLUDED.amount""",
        tld, action, amount)


async def fetch_reminder_days(tx: Tx, name: str) -> list[int] | None:
    value = await tx.conn.fetchval("SELECT expiry_reminder_days FROM tld WHERE name = $1", name)
    return None if value is None else list(value)
