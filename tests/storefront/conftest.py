"""The storefront's fixtures: the EPP servers of tests/epp over real TLS (ours, and a second
instance of our server on its own port as "another registry" selling a second TLD), and the
shop's own schema in the test database, emptied before each test that asks for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from storefront.migrate import migrate, shop_tables
from tests.epp.conftest import dev_certs, epp_server, registry  # noqa: F401 (fixtures)
from tests.mail.conftest import mail_certs, password_file, sink  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
async def shop_session_pool(test_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(test_dsn, min_size=1, max_size=10)
    async with pool.acquire() as conn:
        await migrate(conn)
    yield pool
    await pool.close()


@pytest.fixture
async def shop_pool(shop_session_pool: asyncpg.Pool) -> asyncpg.Pool:
    """A pool on the test database with the shop's schema migrated and every shop table empty."""
    async with shop_session_pool.acquire() as conn:
        tables = await shop_tables(conn)
        if tables:
            await conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    return shop_session_pool
