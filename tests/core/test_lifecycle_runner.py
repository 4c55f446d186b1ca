"""Two lifecycle runners at once over 10,000 due domains: every transition applied once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

from registry_core.context import Core
from registry_core.services import lifecycle, registrars
from tests.conftest import fetch
from tests.core.test_lifecycle import T0, assert_books_balance

COUNT = 10_000


async def insert_due_domains(core: Core, count: int, *, expires_at, prefix: str = "bulk") -> None:
    """Bulk-insert live domains (alternately alpha's and beta's) expiring at `expires_at`."""
    async with core.db.pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO domain (roid, name, tld, sponsor_id, creator_id, created_at, expires_at)
               SELECT 'B' || g || '-EXAMPLE', $1 || g || '.example', 'example',
                      CASE WHEN g % 2 = 0 THEN 'alpha' ELSE 'beta' END,
                      CASE WHEN g % 2 = 0 THEN 'alpha' ELSE 'beta' END, $2, $3
               FROM generate_series(1, $4::int) AS g""",
            prefix, expires_at - timedelta(days=365), expires_at, count)


async def count(core: Core, sql: str, *args) -> int:
    return int((await fetch(core, sql, *args))[0]["n"])


async def test_two_runners_apply_each_auto_renewal_once(core):
    for rid in ("alpha", "beta"):
        await registrars.credit_registrar(core, rid, Decimal(100_000), "float", f"seed-bulk-{rid}")
    await insert_due_domains(core, COUNT, expires_at=T0)
    at = T0 + timedelta(hours=1)
    first, second = await asyncio.gather(lifecycle.run_lifecycle(core, at, batch=500),
                                         lifecycle.run_lifecycle(core, at, batch=500))
    assert first.auto_renewed + second.auto_renewed == COUNT
    assert first.failed == second.failed == 0
    assert (await lifecycle.run_lifecycle(core, at)).total() == 0
    renewed = T0.replace(year=T0.year + 1)
    assert await count(core, "SELECT count(*) AS n FROM domain WHERE expires_at = $1", renewed) == COUNT
    assert await count(core, "SELECT count(*) AS n FROM ledger WHERE action = 'autorenew'") == COUNT
    assert await count(core, "SELECT count(DISTINCT object_id) AS n FROM ledger WHERE action = 'autorenew'") == COUNT
    assert await count(core, "SELECT count(*) AS n FROM history WHERE action = 'autoRenew'") == COUNT
    assert await count(core, "SELECT count(*) AS n FROM poll_message WHERE kind = 'autoRenew'") == COUNT
    assert await count(core, "SELECT count(*) AS n FROM grace_period WHERE kind = 'autoRenewPeriod'") == COUNT
    for rid in ("alpha", "beta"):
        assert (await registrars.get_registrar(core, rid)).balance == Decimal(101_000) - COUNT // 2 * 10
    await assert_books_balance(core)


async def test_two_runners_move_redemptions_and_purges_once(core):
    async with core.db.pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO domain (roid, name, tld, sponsor_id, creator_id, created_at, expires_at, statuses,
                                   rgp_state, rgp_until, redemption_ends_at)
               SELECT 'R' || g || '-EXAMPLE', 'rgp' || g || '.example', 'example', 'alpha', 'alpha', $1, $2,
                      '{pendingDelete}', CASE WHEN g % 2 = 0 THEN 'redemptionPeriod' ELSE 'pendingDelete' END,
                      $3, $3
               FROM generate_series(1, 2000) AS g""",
            T0 - timedelta(days=400), T0 + timedelta(days=200), T0)
    at = T0 + timedelta(hours=1)
    first, second = await asyncio.gather(lifecycle.run_lifecycle(core, at, batch=300),
                                         lifecycle.run_lifecycle(core, at, batch=300))
    assert first.redemptions_ended + second.redemptions_ended == 1000
    assert first.purged + second.purged == 1000
    assert (await lifecycle.run_lifecycle(core, at)).total() == 0
    assert await count(core, "SELECT count(*) AS n FROM domain WHERE deleted_at IS NOT NULL") == 1000
    assert await count(core, "SELECT count(*) AS n FROM domain WHERE rgp_state = 'pendingDelete' "
                             "AND deleted_at IS NULL AND rgp_until = $1", T0 + timedelta(days=5)) == 1000
    for kind in ("redemptionEnd", "purge"):
        assert await count(core, "SELECT count(*) AS n FROM history WHERE action = $1", kind) == 1000
        polls = await fetch(core, "SELECT count(*) AS n, count(DISTINCT payload->>'name') AS d FROM poll_message "
                                  "WHERE kind = $1", kind)
        assert (polls[0]["n"], polls[0]["d"]) == (1000, 1000)
