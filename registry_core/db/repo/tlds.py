"""SQL for TLDs and their prices."""

from __future__ import annotations

import dataclasses
import time
from decimal import Decimal
from typing import Any

from registry_core.db.repo.errors import unique_as_exists
from registry_core.model.registrar import Tld

_TLD_COLUMNS = """name, roid_suffix, contact_policy, currency, min_period_years, max_period_years,
    transfer_period_years, extract(epoch FROM transfer_auto_approve) / 86400.0 AS auto_days,
    auto_renew, whois_enabled, rdap_icann_profile, add_grace, renew_grace, autorenew_grace, transfer_grace,
    redemption_period, pending_delete_period, pending_restore_period"""
_PERIODS = ("add_grace", "renew_grace", "autorenew_grace", "transfer_grace", "redemption_period",
            "pending_delete_period", "pending_restore_period")


def _tld(row: Any, prices: dict[str, Decimal]) -> Tld:
    return Tld(row["name"], row["roid_suffix"], row["contact_policy"], row["currency"],
               row["min_period_years"], row["max_period_years"], row["transfer_period_years"],
               float(row["auto_days"]), row["auto_renew"], row["whois_enabled"],
               row["rdap_icann_profile"], prices, *(row[p] for p in _PERIODS))


# TLD policy is read by nearly every command and changes rarely: keep it in memory for a few
# seconds. Writes through this module drop the cache at once; a change made by another process
# (the operator CLI) is seen within CACHE_SECONDS.
CACHE_SECONDS = 5.0
_cache: tuple[float, dict[str, Tld]] | None = None


def invalidate_cache() -> None:
    global _cache
    _cache = None


async def _all_tlds(conn: Any) -> dict[str, Tld]:
    global _cache
    now = time.monotonic()
    if _cache is not None and now - _cache[0] < CACHE_SECONDS:
        return _cache[1]
    rows = await conn.fetch(
        f"""SELECT {_TLD_COLUMNS},
                   EXISTS (SELECT 1 FROM reserved_name r WHERE r.tld = tld.name) AS has_reserved,
                   EXISTS (SELECT 1 FROM premium_name p WHERE p.tld = tld.name) AS has_premium
            FROM tld ORDER BY name""")
    prices: dict[str, dict[str, Decimal]] = {}
    for price in await conn.fetch("SELECT tld, action, amount FROM tld_price"):
        prices.setdefault(price["tld"], {})[price["action"]] = price["amount"]
    result = {row["name"]: dataclasses.replace(_tld(row, prices.get(row["name"], {})),
                                               has_reserved=row["has_reserved"], has_premium=row["has_premium"])
              for row in rows}
    _cache = (now, result)
    return result


async def fetch_tld_by_name(conn: Any, name: str) -> Tld | None:
    return (await _all_tlds(conn)).get(name)


async def fetch_tld_names(conn: Any) -> frozenset[str]:
    return frozenset(await _all_tlds(conn))


async def fetch_all_tlds(conn: Any) -> list[Tld]:
    return list((await _all_tlds(conn)).values())


async def insert_tld(conn: Any, name: str, roid_suffix: str, settings: dict[str, Any]) -> None:
    columns = ["name", "roid_suffix", *settings]
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    invalidate_cache()
    with unique_as_exists("tld", name):
        await conn.execute(f"INSERT INTO tld ({', '.join(columns)}) VALUES ({params})",
                           name, roid_suffix, *settings.values())


async def update_tld(conn: Any, name: str, settings: dict[str, Any]) -> bool:
    invalidate_cache()
    sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(settings, start=2))
    status = await conn.execute(f"UPDATE tld SET {sets} WHERE name = $1", name, *settings.values())
    return bool(status != "UPDATE 0")


async def upsert_price(conn: Any, tld: str, action: str, amount: Decimal) -> None:
    invalidate_cache()
    await conn.execute(
        """INSERT INTO tld_price (tld, action, amount) VALUES ($1, $2, $3)
           ON CONFLICT (tld, action) DO UPDATE SET amount = EXCLUDED.amount""",
        tld, action, amount)
