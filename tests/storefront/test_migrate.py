"""The shop's schema migrates on its own, once, and refuses a migration edited after it ran."""

from __future__ import annotations

import asyncpg

from storefront.migrate import migrate, migration_files


async def test_the_shop_schema_is_migrated_once(shop_pool: asyncpg.Pool) -> None:
    async with shop_pool.acquire() as conn:
        assert await migrate(conn) == []  # the session fixture applied them all
        names = [r["name"] for r in await conn.fetch("SELECT name FROM storefront.schema_migration ORDER BY name")]
        assert names == [p.name for p in migration_files()]
        await conn.execute("INSERT INTO storefront.customer (email, password_hash) VALUES ('a@example.net', 'x')")
        assert await conn.fetchval("SELECT count(*) FROM storefront.customer") == 1
