"""`registry history domain NAME [--at T]` through the CLI's main, on the real test database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from registry_core.context import Core
from tests.conftest import TestClock
from tests.core.helpers import make_domain, make_host
from tests.ops.test_cli import Run, registry  # noqa: F401 - the fixture

T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)


async def test_history_lists_the_transforms_and_shows_the_state_at_a_time(
        registry: Run, core: Core, clock: TestClock) -> None:  # noqa: F811
    await make_host(core, "ns1.elsewhere.net")
    clock.frozen = T0
    await make_domain(core, "told.example", ns=("ns1.elsewhere.net",))
    clock.frozen = None
    code, out, err = await registry("history", "domain", "told.example")
    assert code == 0, err
    [line] = out.splitlines()
    assert line.startswith("2026-05-01T09:00:00+00:00\tcreate\talpha\t") and "ns1.elsewhere.net" in line
    code, out, err = await registry("history", "domain", "TOLD.example", "--at", (T0 + timedelta(hours=1)).isoformat())
    assert code == 0, err
    answer = json.loads(out)
    assert answer["ldhName"] == "told.example" and answer["nameservers"] == [
        {"objectClassName": "nameserver", "ldhName": "ns1.elsewhere.net"}]
    assert answer["asOf"] == "2026-05-01T10:00:00Z"
    assert (await registry("history", "domain", "told.example", "--at", "2026-04-30"))[0] != 0
