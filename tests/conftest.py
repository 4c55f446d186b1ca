"""Shared fixtures: a real PostgreSQL (embedded under var/, or REGISTRY_TEST_DATABASE_URL),
a freshly migrated test database, and a Core whose clock the tests can hold still."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from registry_core.context import Core, CoreSettings
from registry_core.crypto import AuthInfoCipher
from registry_core.db.embedded import embedded_dsn, start_embedded
from registry_core.db.migrate import migrate
from registry_core.db.pool import open_pool
from registry_core.db.tx import Database
from registry_core.model.actor import Actor
from registry_core.services import registrars, tlds

ROOT = Path(__file__).resolve().parents[1]
TEST_DB = f"registry_test_{os.getpid()}"  # one per pytest process: parallel runs never collide
TEST_KEY = AuthInfoCipher.new_key_text()
PRICES = {"create": Decimal("10.00"), "renew": Decimal("10.00"), "transfer": Decimal("10.00"),
          "restore": Decimal("50.00")}


class TestClock:
    """System time unless a test freezes it."""

    __test__ = False

    def __init__(self) -> None:
        self.frozen: datetime | None = None

    def now(self) -> datetime:
        return self.frozen or datetime.now(UTC)


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    """DSN of a PostgreSQL server with a `postgres` maintenance database."""
    external = os.environ.get("REGISTRY_TEST_DATABASE_URL")
    if external:
        yield external
        return
    server = start_embedded(ROOT / "var" / "test-pgdata")
    yield embedded_dsn(server, "postgres")


def dsn_for(server_dsn: str, database: str) -> str:
    head, sep, tail = server_dsn.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{database}{sep}{tail}"


async def recreate_database(server_dsn: str, name: str) -> str:
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return dsn_for(server_dsn, name)


@pytest.fixture(scope="session")
async def test_dsn(server_dsn: str) -> AsyncIterator[str]:
    dsn = await recreate_database(server_dsn, TEST_DB)
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    yield dsn
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def clock() -> TestClock:
    return TestClock()


@pytest.fixture(scope="session")
async def session_core(test_dsn: str, clock: TestClock) -> AsyncIterator[Core]:
    pool = await open_pool(test_dsn, min_size=2, max_size=30)
    core = Core(Database(pool, clock), CoreSettings(TEST_KEY, "TEST"))
    yield core
    await core.close()


TABLES = ("abuse_report", "abuse_case", "threat_entry", "threat_feed", "protected_name", "tld_risk_policy",
          "activity_count",
          "access_request", "verification_hold", "contact_verification", "registry_lock", "registry_lock_request",
          "sso_attempt", "registrar_sso", "registrar_domain_delta", "registrar_domain_count", "notification",
          "notification_event", "notification_pref", "webhook_endpoint", "login_throttle", "api_key",
          "console_session", "console_recovery_code", "console_user", "ledger", "history", "poll_message", "transfer",
          "grace_period_ended",
          "ds_record", "domain_contact", "domain_host", "host_address", "host", "domain", "contact",
          "registrar_certificate", "registrar", "tld_price", "tld")


async def reset(core: Core) -> None:
    async with core.db.pool.acquire() as conn:
        await conn.execute(f"TRUNCATE {', '.join(TABLES)}, audit_checkpoint RESTART IDENTITY CASCADE")
        await conn.execute("UPDATE history_head SET seq = 0, hash = $1", bytes(32))  # the chains start again
    core.db.tld_cache.invalidate()  # the tables were emptied behind the cache's back


@pytest.fixture
async def core(session_core: Core, clock: TestClock) -> AsyncIterator[Core]:
    """An empty registry with TLD `example` (optional contacts), `strict` (contacts
    required), `thin` (no contacts), and registrars alpha / beta with money."""
    clock.frozen = None
    await reset(session_core)
    await tlds.add_tld(session_core, "example", roid_suffix="EXAMPLE", prices=PRICES)
    await tlds.add_tld(session_core, "strict", prices=PRICES, contact_policy="required")
    await tlds.add_tld(session_core, "thin", prices=PRICES, contact_policy="none")
    for rid in ("alpha", "beta"):
        await registrars.add_registrar(session_core, registrars.NewRegistrar(
            rid, f"{rid.title()} Registrar", f"{rid.title()}-Pass1", credit_limit=Decimal(100)))
        await registrars.credit_registrar(session_core, rid, Decimal(1000), "opening", f"seed-{rid}")
    yield session_core
    clock.frozen = None


_counter = iter(range(1, 10**9))


def actor(registrar_id: str = "alpha") -> Actor:
    return Actor(registrar_id, f"SV-{next(_counter)}", "CL-test")


async def fetch(core: Core, sql: str, *args: Any) -> list[dict[str, Any]]:
    async with core.db.pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch(sql, *args)]


@pytest.fixture
def restore_root() -> Iterator[None]:
    """Undo what `setup_logging` (the CLI's `main` calls it) did to the root logger."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
