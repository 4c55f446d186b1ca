"""The registrar console's contact and host lists and CSV exports over real HTTP against
the real database: only the registrar's own live objects, in keyset pages, and the CSV
holds every one of them."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator

import pytest

from registry_core.context import Core
from registry_core.services import console_objects
from tests.conftest import TestClock
from tests.core.helpers import make_contact, make_domain, make_host
from tests.web.client import Browser
from tests.web.test_console_domains import signed_in


@pytest.fixture
async def owner(core: Core, consoles: dict, clock: TestClock) -> AsyncIterator[Browser]:
    async with signed_in(core, consoles, clock, "olga", "owner") as browser:
        yield browser


def handles_on(page: str) -> list[str]:
    return re.findall(r'<td><a href="/contacts/c-[a-z]+">(c-[a-z]+)</a></td>', page)


async def test_contacts_are_listed_in_pages_and_exported(core: Core, owner: Browser,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for handle in ("c-one", "c-three", "c-two"):
        await make_contact(core, handle)
    await make_contact(core, "c-theirs", "beta")
    monkeypatch.setattr(console_objects, "PAGE", 2)  # the server runs in this process: pages of two
    status, page, _resp = await owner.get("/contacts")
    assert status == 200 and handles_on(page) == ["c-one", "c-three"]
    assert 'href="/contacts?after=c-three"' in page
    status, page, _resp = await owner.get("/contacts?after=c-three")
    assert handles_on(page) == ["c-two"] and 'rel="next"' not in page
    status, text, resp = await owner.get("/contacts.csv")
    assert status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["handle", "roid", "statuses", "created_at"]
    assert [r[0] for r in rows[1:]] == ["c-one", "c-three", "c-two"] and rows[1][2] == "ok"


async def test_hosts_are_listed_with_their_addresses_and_exported(core: Core, owner: Browser) -> None:
    await make_domain(core, "zone.example")
    await make_host(core, "ns1.zone.example", addresses=("192.0.2.1", "2001:db8::1"))
    await make_host(core, "ns.outside.net")
    await make_host(core, "ns.beta.net", "beta")
    status, page, _resp = await owner.get("/hosts")
    assert status == 200 and "ns1.zone.example" in page and "ns.beta.net" not in page
    status, text, _resp = await owner.get("/hosts.csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:]] == ["ns.outside.net", "ns1.zone.example"]
    assert rows[2][2] == "192.0.2.1 2001:db8::1"
