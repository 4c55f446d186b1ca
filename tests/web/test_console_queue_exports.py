"""The registrar console's poll-queue and transfer CSV exports over real HTTP against the
real database (RFC 4180, streamed): every transfer the registrar gained or lost, and its
poll messages (all, or only the queued ones), never another registrar's."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import pytest

from registry_core.context import Core
from registry_core.services import poll, transfers
from tests.conftest import TestClock
from tests.core.helpers import actor, make_domain
from tests.web.client import Browser
from tests.web.test_console_domains import signed_in


@pytest.fixture
async def reader(core: Core, consoles: dict, clock: TestClock) -> AsyncIterator[Browser]:
    async with signed_in(core, consoles, clock, "rita", "read-only") as browser:
        yield browser


async def csv_rows(browser: Browser, path: str) -> list[dict[str, str]]:
    status, text, resp = await browser.get(path)
    assert status == 200 and resp.content_type == "text/csv" and "attachment" in resp.headers["Content-Disposition"]
    assert text.endswith("\r\n")
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_transfers_and_the_poll_queue_export_as_csv(core: Core, reader: Browser) -> None:
    for name in ("lost.example", "kept.example"):
        await make_domain(core, name, auth="Domain-Auth1")
    await make_domain(core, "gained.example", "beta", auth="Domain-Auth1")
    await make_domain(core, "elsewhere.example", "beta", auth="Domain-Auth1")
    await transfers.request_transfer(core, actor("beta"), "domain", "lost.example", "Domain-Auth1", None)
    await transfers.act_on_transfer(core, actor("alpha"), "domain", "lost.example", "approve")
    await transfers.request_transfer(core, actor("alpha"), "domain", "gained.example", "Domain-Auth1", None)
    rows = await csv_rows(reader, "/transfers.csv")
    assert [(r["object_name"], r["status"], r["gaining_id"], r["losing_id"]) for r in rows] == [
        ("lost.example", "clientApproved", "beta", "alpha"), ("gained.example", "pending", "alpha", "beta")]
    assert rows[0]["requested_at"].endswith("Z") and rows[0]["acted_at"].endswith("Z") and rows[1]["acted_at"] == ""
    queued = await poll.poll_request(core, actor("alpha"))
    assert queued.message is not None and queued.count >= 2
    await poll.poll_ack(core, actor("alpha"), str(queued.message.id))
    every = await csv_rows(reader, "/poll.csv")
    still = await csv_rows(reader, "/poll.csv?queued=1")
    assert len(every) == queued.count and len(still) == queued.count - 1
    assert every[0]["id"] == str(queued.message.id) and every[0]["acked_at"].endswith("Z")
    assert all(r["acked_at"] == "" for r in still) and str(queued.message.id) not in [r["id"] for r in still]
    assert "elsewhere.example" not in str(every) + str(rows)
