"""Apply `migrations/NNNN_*.sql` in order, each once, recorded in `schema_migration`.
An advisory lock makes concurrent start-ups safe: the second waits, then finds nothing to do."""

from __future__ import annotations

import hashlib
from pathlib import Path

import asyncpg

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x5245_4749  # "REGI"


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql"))


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations; return the names applied now."""
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migration (
                   name text PRIMARY KEY, sha256 text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["name"]: r["sha256"] for r in await conn.fetch("SELECT name, sha256 FROM schema_migration")}
        applied = []
        for path in migration_files():
            sql = path.read_text("utf-8")
            digest = hashlib.sha256(sql.encode()).hexdigest()
            if path.name in done:
                if done[path.name] != digest:
                    raise RuntimeError(f"migration {path.name} changed after it was applied")
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migration (name, sha256) VALUES ($1, $2)",
                                   path.name, digest)
            applied.append(path.name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def pending_migrations(conn: asyncpg.Connection) -> list[str]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migration') IS NOT NULL")
    done = set()
    if exists:
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migration")}
    return [p.name for p in migration_files() if p.name not in done]
