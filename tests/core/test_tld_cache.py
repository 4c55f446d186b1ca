"""The TLD policy cache belongs to its Database: two Database objects (primary and replica,
or two test databases) never share it, a write drops the writer's cache at once, and a
change made elsewhere is seen once the cache's time is up."""

from __future__ import annotations

import asyncio

from registry_core.context import Core
from registry_core.db.cache import ExpiringValue
from registry_core.db.tx import TLD_CACHE_SECONDS, Database
from registry_core.services import tlds


def other_process(core: Core, ttl: float = TLD_CACHE_SECONDS) -> Core:
    """Another Database over the same PostgreSQL database, as the CLI's would be."""
    return Core(Database(core.db.pool, core.db.clock, tld_cache=ExpiringValue(ttl)), core.settings)


async def test_every_database_has_its_own_cache(core):
    other = other_process(core)
    assert other.db.tld_cache is not core.db.tld_cache
    assert core.db.tld_cache.ttl == TLD_CACHE_SECONDS == 5.0  # README promises 5 s


async def test_a_write_drops_the_writers_cache_only(core):
    other = other_process(core)
    assert (await tlds.get_tld(core, "example")).max_period_years == 10
    assert (await tlds.get_tld(other, "example")).max_period_years == 10
    await tlds.configure_tld(other, "example", max_period_years=5)
    assert (await tlds.get_tld(other, "example")).max_period_years == 5
    # the first database has not heard of the change: its cached policy stands until its time is up
    assert (await tlds.get_tld(core, "example")).max_period_years == 10
    core.db.tld_cache.invalidate()
    assert (await tlds.get_tld(core, "example")).max_period_years == 5


async def test_a_change_made_elsewhere_is_seen_after_the_time_to_live(core):
    reader = other_process(core, ttl=0.2)
    assert (await tlds.get_tld(reader, "example")).auto_renew is True
    await tlds.configure_tld(core, "example", auto_renew=False)
    assert (await tlds.get_tld(reader, "example")).auto_renew is True
    await asyncio.sleep(0.25)
    assert (await tlds.get_tld(reader, "example")).auto_renew is False


async def test_a_load_overtaken_by_an_invalidation_is_not_kept():
    cache: ExpiringValue[str] = ExpiringValue(60.0)

    async def stale_load() -> str:
        cache.invalidate()  # a write lands while this load is reading the old rows
        return "old"

    async def fresh_load() -> str:
        return "new"

    assert await cache.get(stale_load) == "old"
    assert await cache.get(fresh_load) == "new"
    assert await cache.get(stale_load) == "new"  # now kept, and fresh
