"""Migrations: applied once, idempotent, safe when two processes start together."""

import asyncio
import os
import sys

import asyncpg

from registry_core.db.migrate import migrate, migration_files, pending_migrations
from tests.conftest import ROOT, recreate_database

SCRIPT = """
import asyncio, sys, asyncpg
from registry_core.db.migrate import migrate
async def main():
    conn = await asyncpg.connect(sys.argv[1])
    print(await migrate(conn))
    await conn.close()
asyncio.run(main())
"""


async def _schema(dsn: str) -> tuple[list, list]:
    conn = await asyncpg.connect(dsn)
    try:
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        applied = [r["name"] for r in await conn.fetch("SELECT name FROM schema_migration ORDER BY 1")]
        return tables, applied
    finally:
        await conn.close()


async def test_applying_twice_changes_nothing(server_dsn):
    dsn = await recreate_database(server_dsn, f"registry_migrate_twice_{os.getpid()}")
    conn = await asyncpg.connect(dsn)
    try:
        first = await migrate(conn)
        second = await migrate(conn)
        assert first == [p.name for p in migration_files()] and second == []
        assert await pending_migrations(conn) == []
    finally:
        await conn.close()


async def test_two_processes_at_once_leave_one_schema(server_dsn):
    dsn = await recreate_database(server_dsn, f"registry_migrate_race_{os.getpid()}")
    procs = [await asyncio.create_subprocess_exec(sys.executable, "-c", SCRIPT, dsn, cwd=ROOT,
                                                  stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
             for _ in range(2)]
    results = [await p.communicate() for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    outputs = [out.decode().strip() for out, _ in results]
    assert outputs.count("[]") == 1, outputs  # one applied everything, the other waited and found nothing
    tables, applied = await _schema(dsn)
    assert applied == [p.name for p in migration_files()]
    assert {"domain", "contact", "host", "ledger", "history", "poll_message"} <= set(tables)
