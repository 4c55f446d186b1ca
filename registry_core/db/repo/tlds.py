"""SQL for TLDs and their prices."""

from __future__ import annotations

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


async def fetch_tld_by_name(conn: Any, name: str) -> Tld | None:
    row = await conn.fetchrow(f"SELECT {_TLD_COLUMNS} FROM tld WHERE name = $1", name)
    if row is None:
        return None
    prices = await conn.fetch("SELECT action, amount FROM tld_price WHERE tld = $1", name)
    return _tld(row, {p["action"]: p["amount"] for p in prices})


async def fetch_tld_names(conn: Any) -> frozenset[str]:
    return frozenset(r["name"] for r in await conn.fetch("SELECT name FROM tld"))


async def fetch_all_tlds(conn: Any) -> list[Tld]:
    names = sorted(await fetch_tld_names(conn))
    return [t for t in [await fetch_tld_by_name(conn, n) for n in names] if t is not None]


async def insert_tld(conn: Any, name: str, roid_suffix: str, settings: dict[str, Any]) -> None:
    columns = ["name", "roid_suffix", *settings]
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    with unique_as_exists("tld", name):
        await conn.execute(f"INSERT INTO tld ({', '.join(columns)}) VALUES ({params})",
                           name, roid_suffix, *settings.values())


async def update_tld(conn: Any, name: str, settings: dict[str, Any]) -> bool:
    sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(settings, start=2))
    status = await conn.execute(f"UPDATE tld SET {sets} WHERE name = $1", name, *settings.values())
    return bool(status != "UPDATE 0")


async def upsert_price(conn: Any, tld: str, action: str, amount: Decimal) -> None:
    await conn.execute(
        """INSERT INTO tld_price (tld, action, amount) VALUES ($1, $2, $3)
           ON CONFLICT (tld, action) DO UPDATE SET amount = EXCLUDED.amount""",
        tld, action, amount)
