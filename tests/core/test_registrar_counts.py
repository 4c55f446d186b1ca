"""The registrars' maintained domain counts (the dashboards read them instead of counting a
registrar's domains on each load) agree with a direct count after creates, holds,
redemption, deletes and a bulk load, before and after the lifecycle runner folds them."""

from __future__ import annotations

from registry_core.context import Core
from registry_core.model.accounts import Principal
from registry_core.model.domain import DomainUpdate
from registry_core.services import domain_update, domains, overview
from registry_core.services.bulk import LoadSpec, load_test_data
from tests.conftest import fetch
from tests.core.helpers import actor, make_domain

STAFF = Principal("user", 1, "root", "admin", None)


async def direct(core: Core, registrar: str) -> dict[str, int]:
    row = (await fetch(core, """SELECT count(*) AS domains,
            count(*) FILTER (WHERE statuses && ARRAY['clientHold', 'serverHold']) AS on_hold,
            count(*) FILTER (WHERE statuses && ARRAY['redemptionPeriod', 'pendingDelete']) AS in_redemption
        FROM domain WHERE sponsor_id = $1 AND deleted_at IS NULL""", registrar))[0]
    return {k: int(v) for k, v in row.items()}


async def maintained(core: Core, registrar: str) -> dict[str, int]:
    counts = (await overview.registrar_overview(core, STAFF, registrar)).counts
    return {k: counts[k] for k in ("domains", "on_hold", "in_redemption")}


async def test_the_maintained_counts_follow_every_kind_of_change(core: Core) -> None:
    for n in range(4):
        await make_domain(core, f"count{n}.example")
    await make_domain(core, "theirs.example", "beta")
    await domain_update.update_domain(core, actor("alpha"), DomainUpdate("count1.example",
                                                                         add_statuses=frozenset({"clientHold"})))
    await domains.delete_domain(core, actor("alpha"), "count2.example")  # in add grace: gone at once
    await fetch(core, "UPDATE domain SET statuses = '{pendingDelete}' WHERE name = 'count3.example'")
    expected = await direct(core, "alpha")
    assert expected == {"domains": 3, "on_hold": 1, "in_redemption": 1}
    assert await maintained(core, "alpha") == expected
    assert await overview.fold_counts(core) > 0
    assert await maintained(core, "alpha") == expected and await maintained(core, "beta") == await direct(core, "beta")
    assert await fetch(core, "SELECT * FROM registrar_domain_delta") == []


async def test_a_bulk_load_is_counted_by_a_few_delta_rows(core: Core) -> None:
    report = await load_test_data(core, LoadSpec(tld="example", domains=3000, registrars=2, contacts=20,
                                                 providers=5, batch=1000, jobs=2))
    deltas = await fetch(core, "SELECT count(*) AS n FROM registrar_domain_delta")
    assert deltas[0]["n"] <= 3 * 2 * 2  # per statement and registrar, not per row
    for registrar in [r["id"] for r in await fetch(core, "SELECT id FROM registrar WHERE id LIKE 'lt-%'")]:
        assert await maintained(core, registrar) == await direct(core, registrar)
    assert report.domains == 3000
