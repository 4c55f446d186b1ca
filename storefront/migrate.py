"""The shop's own tables live in their own PostgreSQL schema, `storefront`, migrated by this
runner from `storefront/migrations/NNNN_*.sql` (each file once, recorded with its digest in
`storefront.schema_migration`). The shop is a registrar, so it never shares the registry's
migrations: in production it may well sit on another database server."""

from __future__ import annotations

import hashlib
from pathlib import Path

import asyncpg

MIGRATIONS = Path(__file__).parent / "migrations"
SCHEMA = "storefront"
_LOCK_KEY = 0x5348_4F50  # "SHOP"


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql"))


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply the shop's pending migrations; return the names applied now."""
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS storefront")
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS storefront.schema_migration (
                   name text PRIMARY KEY, sha256 text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        rows = await conn.fetch("SELECT name, sha256 FROM storefront.schema_migration")
        done = {r["name"]: r["sha256"] for r in rows}
        applied = []
        for path in migration_files():
            sql = path.read_text("utf-8")
            digest = hashlib.sha256(sql.encode()).hexdigest()
            if path.name in done:
                if done[path.name] != digest:
                    raise RuntimeError(f"storefront migration {path.name} changed after it was applied")
                continue
            async with conn.transaction():
                await conn.execute("SET LOCAL search_path TO storefront")
                await conn.execute(sql)
                await conn.execute("INSERT INTO storefront.schema_migration (name, sha256) VALUES ($1, $2)",
                                   path.name, digest)
            applied.append(path.name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def shop_tables(conn: asyncpg.Connection) -> list[str]:
    """Every table of the shop's schema but the migration record (the tests empty them)."""
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migration'"
                            " ORDER BY tablename", SCHEMA)
    return [f"{SCHEMA}.{r['tablename']}" for r in rows]
