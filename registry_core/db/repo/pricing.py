"""SQL for premium names, reserved names and registrar price groups."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from registry_core.db.tx import Tx
from registry_core.model.pricing import PremiumPrice

_PREMIUM_COLUMNS = "name, create_price, renew_price, transfer_price, restore_price"


def _premium(row: Any) -> PremiumPrice:
    return PremiumPrice(row["name"], row["create_price"], row["renew_price"], row["transfer_price"],
                        row["restore_price"])


async def fetch_premium_list(conn: Any, tld: str) -> list[PremiumPrice]:
    rows = await conn.fetch(f"SELECT {_PREMIUM_COLUMNS} FROM premium_name WHERE tld = $1 ORDER BY name", tld)
    return [_premium(r) for r in rows]


async def delete_premium_list(tx: Tx, tld: str) -> int:
    tx.tld_cache.invalidate()  # the TLD cache knows whether reserved/premium lists exist
    status = await tx.conn.execute("DELETE FROM premium_name WHERE tld = $1", tld)
    return int(status.split()[-1])


async def upsert_premium_prices(tx: Tx, tld: str, prices: list[PremiumPrice], now: datetime) -> None:
    tx.tld_cache.invalidate()  # the TLD cache knows whether reserved/premium lists exist
    await tx.conn.executemany(
        f"""INSERT INTO premium_name (tld, {_PREMIUM_COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (name) DO UPDATE SET create_price = EXCLUDED.create_price,
                renew_price = EXCLUDED.renew_price, transfer_price = EXCLUDED.transfer_price,
                restore_price = EXCLUDED.restore_price, updated_at = EXCLUDED.updated_at""",
        [(tld, p.name, p.create, p.renew, p.transfer, p.restore, now) for p in prices])


async def fetch_reserved(conn: Any, names: list[str]) -> dict[str, str]:
    """{name: reason} for the reserved names among `names`."""
    rows = await conn.fetch("SELECT name, reason FROM reserved_name WHERE name = ANY($1)", names)
    return {r["name"]: r["reason"] for r in rows}


async def fetch_reserved_list(conn: Any, tld: str) -> list[tuple[str, str]]:
    rows = await conn.fetch("SELECT name, reason FROM reserved_name WHERE tld = $1 ORDER BY name", tld)
    return [(r["name"], r["reason"]) for r in rows]


async def upsert_reserved(tx: Tx, tld: str, names: list[str], reason: str, now: datetime) -> None:
    tx.tld_cache.invalidate()  # the TLD cache knows whether reserved/premium lists exist
    await tx.conn.executemany(
        """INSERT INTO reserved_name (name, tld, reason, created_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (name) DO UPDATE SET reason = EXCLUDED.reason""",
        [(n, tld, reason, now) for n in names])


async def delete_reserved(tx: Tx, names: list[str]) -> int:
    tx.tld_cache.invalidate()  # the TLD cache knows whether reserved/premium lists exist
    status = await tx.conn.execute("DELETE FROM reserved_name WHERE name = ANY($1)", names)
    return int(status.split()[-1])


async def fetch_name_prices(conn: Any, registrar_id: str, tld: str,
                            name: str) -> tuple[PremiumPrice | None, dict[str, Decimal]]:
    """In one round trip: the name's premium prices and the registrar's group prices."""
    row = await conn.fetchrow(
        f"""SELECT (SELECT coalesce(jsonb_object_agg(p.action, p.amount::text), '{{}}')
                    FROM registrar_price_group g JOIN price_group_price p ON p.group_name = g.group_name
                    WHERE g.registrar_id = $1 AND p.tld = $2) AS groups, n.*
            FROM (SELECT 1) AS one
            LEFT JOIN (SELECT {_PREMIUM_COLUMNS} FROM premium_name WHERE name = $3) AS n ON true""",
        registrar_id, tld, name)
    premium = _premium(row) if row["name"] is not None else None
    return premium, {k: Decimal(v) for k, v in row["groups"].items()}


async def upsert_group_price(conn: Any, group: str, tld: str, action: str, amount: Decimal) -> None:
    await conn.execute(
        """INSERT INTO price_group_price (group_name, tld, action, amount) VALUES ($1, $2, $3, $4)
           ON CONFLICT (group_name, tld, action) DO UPDATE SET amount = EXCLUDED.amount""",
        group, tld, action, amount)


async def set_registrar_group(conn: Any, registrar_id: str, group: str | None) -> None:
    if group is None:
        await conn.execute("DELETE FROM registrar_price_group WHERE registrar_id = $1", registrar_id)
        return
    await conn.execute(
        """INSERT INTO registrar_price_group (registrar_id, group_name) VALUES ($1, $2)
           ON CONFLICT (registrar_id) DO UPDATE SET group_name = EXCLUDED.group_name""",
        registrar_id, group)


async def fetch_group_prices(conn: Any, tld: str) -> list[tuple[str, str, Decimal]]:
    rows = await conn.fetch("""SELECT group_name, action, amount FROM price_group_price WHERE tld = $1
                               ORDER BY group_name, action""", tld)
    return [(r["group_name"], r["action"], r["amount"]) for r in rows]


async def fetch_registrar_group(conn: Any, registrar_id: str) -> str | None:
    value = await conn.fetchval("SELECT group_name FROM registrar_price_group WHERE registrar_id = $1", registrar_id)
    return None if value is None else str(value)
