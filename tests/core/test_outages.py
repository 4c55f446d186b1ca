"""Database faults reach the services' callers as core errors, whatever asyncpg said:
DatabaseUnavailable when the command did not take effect, CommitOutcomeUnknown when the
connection broke during COMMIT. Real PostgreSQL, on a scratch database of its own."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import asyncpg
import pytest

from registry_core.context import Core, CoreSettings
from registry_core.db.pool import open_pool
from registry_core.db.tx import Database, Tx
from registry_core.errors import CommitOutcomeUnknown, DatabaseUnavailable
from tests.conftest import TEST_KEY, TestClock, dsn_for, recreate_database

SCRATCH = "registry_outage_test"
# A deferred constraint trigger runs at COMMIT: this one ends its own session right there.
DIES_AT_COMMIT = """
CREATE TABLE doomed (x int);
CREATE FUNCTION end_own_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(1); RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER dies_at_commit AFTER INSERT ON doomed DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION end_own_session();
"""


@pytest.fixture
async def scratch(server_dsn: str) -> AsyncIterator[tuple[Core, str]]:
    dsn = await recreate_database(server_dsn, SCRATCH)
    conn = await asyncpg.connect(dsn)
    await conn.execute(DIES_AT_COMMIT)
    await conn.close()
    core = Core(Database(await open_pool(dsn, min_size=0, max_size=2), TestClock()), CoreSettings(TEST_KEY))
    yield core, dsn
    await core.close()
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'ALTER DATABASE "{SCRATCH}" ALLOW_CONNECTIONS true')
        await admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
    finally:
        await admin.close()


async def count(core: Core) -> int:
    async def run(tx: Tx) -> int:
        return int(await tx.conn.fetchval("SELECT count(*) FROM doomed"))
    return await core.db.transaction(run, readonly=True)


async def test_connections_the_server_ended_are_replaced_transparently(scratch: tuple[Core, str],
                                                                        server_dsn: str) -> None:
    core, _dsn = scratch
    assert await count(core) == 0
    admin = await asyncpg.connect(server_dsn)
    try:
        ended = await admin.fetchval("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                     "WHERE datname = $1", SCRATCH)
    finally:
        await admin.close()
    assert ended >= 1
    assert await count(core) == 0  # the broken pooled connection was retried on a new one


async def test_a_database_that_refuses_connections_is_unavailable(scratch: tuple[Core, str],
                                                                  server_dsn: str) -> None:
    core, _dsn = scratch
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'ALTER DATABASE "{SCRATCH}" ALLOW_CONNECTIONS false')
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", SCRATCH)
        with pytest.raises(DatabaseUnavailable) as caught:
            await count(core)
        assert not isinstance(caught.value, CommitOutcomeUnknown)
    finally:
        await admin.execute(f'ALTER DATABASE "{SCRATCH}" ALLOW_CONNECTIONS true')
        await admin.close()
    assert await count(core) == 0  # and it recovers by itself


async def test_an_unreachable_server_is_unavailable(server_dsn: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    dsn = dsn_for(f"postgresql://postgres@127.0.0.1:{port}/postgres", "postgres")
    core = Core(Database(await open_pool(dsn, min_size=0, max_size=1), TestClock()), CoreSettings(TEST_KEY))
    try:
        with pytest.raises(DatabaseUnavailable):
            await count(core)
    finally:
        await core.close()


async def test_a_connection_lost_during_commit_has_an_unknown_outcome(scratch: tuple[Core, str]) -> None:
    core, _dsn = scratch

    async def insert(tx: Tx) -> None:
        await tx.conn.execute("INSERT INTO doomed VALUES (1)")

    with pytest.raises(CommitOutcomeUnknown):
        await core.db.transaction(insert)
    assert await count(core) == 0  # here the server had not committed it; the client cannot know that
