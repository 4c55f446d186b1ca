"""The admin console's lifecycle overview over real HTTP: a domain past its expiry counts
as due, a deleted one sits in the redemption queue (also as CSV), a live one is next to
expire."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from registry_core.context import Core
from registry_core.services import domains
from tests.conftest import TestClock, actor
from tests.core.helpers import make_domain
from tests.web.staff import Staff


async def test_the_overview_shows_due_transitions_and_the_redemption_queue(core: Core, staff: dict[str, Staff],
                                                                           clock: TestClock) -> None:
    now = datetime.now(UTC)
    clock.frozen = now - timedelta(days=400)
    await make_domain(core, "lapsed.example")  # expired 35 days ago: the runner's next pass renews or expires it
    clock.frozen = now - timedelta(days=10)
    await make_domain(core, "gone.example", registrar="beta")
    clock.frozen = now - timedelta(days=2)  # after its add grace: delete puts it in redemption
    await domains.delete_domain(core, actor("beta"), "gone.example")
    clock.frozen = None
    await make_domain(core, "live.example")
    status, page, _resp = await staff["rita"].browser.get("/lifecycle")
    assert status == 200, page
    assert '<dd id="due-expiry">1</dd>' in page and '<dd id="due-redemption">0</dd>' in page
    assert '<a href="/domains/gone.example">gone.example</a></td><td>beta</td><td class="state">redemptionPeriod' \
        in page
    expiring = page.split('id="expiring"')[1]
    assert "live.example" in expiring and "lapsed.example" not in expiring  # already due, not upcoming
    status, text, _resp = await staff["rita"].browser.get("/lifecycle/redemption.csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert status == 200 and rows[0][:3] == ["name", "sponsor_id", "rgp_state"]
    assert [r[:3] for r in rows[1:]] == [["gone.example", "beta", "redemptionPeriod"]]
