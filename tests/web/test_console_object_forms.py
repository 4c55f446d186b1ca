"""The registrar console's contact and host forms over real HTTP against the real database:
create, update and delete go through the use cases EPP calls (EPP's <info> shows the
result, the history names the console user's svTRID), the core's refusals are shown beside
the form as EPP would refuse them, another registrar's objects stay out of reach, and a
read-only user is refused by the server for every write."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from registry_core.context import Core
from registry_core.errors import ObjectNotFound
from registry_core.services import contacts, hosts
from tests.conftest import TestClock, fetch
from tests.core.helpers import actor, make_contact, make_domain, make_host
from tests.web.client import Browser, csrf_of
from tests.web.test_console_domains import signed_in

CONTACT = {"handle": "web-c1", "name": "Ada Lovelace", "org": "Engines Ltd", "street": "1 Main St\nFloor 2",
           "city": "London", "sp": "", "pc": "N1 1AA", "cc": "gb", "email": "ada@example.net",
           "voice": "+44.2071234567"}


@pytest.fixture
async def owner(core: Core, consoles: dict, clock: TestClock) -> AsyncIterator[Browser]:
    async with signed_in(core, consoles, clock, "tech", "technical") as browser:
        yield browser


async def _csrf(browser: Browser, path: str) -> str:
    status, page, _resp = await browser.get(path)
    assert status == 200, page
    return csrf_of(page)


async def test_a_contact_is_created_updated_and_deleted_as_over_epp(core: Core, owner: Browser) -> None:
    csrf = await _csrf(owner, "/new/contact")
    status, page, _resp = await owner.post("/new/contact", {"csrf": csrf, **CONTACT})
    assert status == 200 and "Contact web-c1 created." in page and "<h1>Contact web-c1</h1>" in page
    info = await contacts.info_contact(core, actor("alpha"), "web-c1")  # what EPP's <info> shows the sponsor
    assert info.email == "ada@example.net" and info.postal[0].street == ("1 Main St", "Floor 2")
    assert info.postal[0].cc == "GB" and info.voice == "+44.2071234567" and info.auth_info
    status, page, _resp = await owner.post("/new/contact", {"csrf": csrf, **CONTACT})  # the same handle again
    assert status == 409 and 'class="error"' in page and 'value="Ada Lovelace"' in page  # the form kept
    changed = {**CONTACT, "email": "ada@engines.example", "voice": "", "city": "Cambridge"}
    status, page, _resp = await owner.post("/contacts/web-c1/update", {"csrf": csrf, **changed})
    assert status == 200 and "Contact web-c1 updated." in page and 'id="email">ada@engines.example<' in page
    info = await contacts.info_contact(core, actor("alpha"), "web-c1")
    assert (info.email, info.voice, info.postal[0].city) == ("ada@engines.example", None, "Cambridge")
    status, page, _resp = await owner.post("/contacts/web-c1/update", {"csrf": csrf, **changed, "email": "nope"})
    assert status == 422 and 'class="error"' in page
    status, page, _resp = await owner.post("/contacts/web-c1/delete", {"csrf": csrf, "confirm": "web-c1"})
    assert status == 200 and "Contact web-c1 deleted." in page
    with pytest.raises(ObjectNotFound):
        await contacts.info_contact(core, actor("alpha"), "web-c1")
    history = await fetch(core, "SELECT action, sv_trid FROM history WHERE object_name = 'web-c1' ORDER BY id")
    assert [h["action"] for h in history] == ["create", "update", "delete"]
    assert all(h["sv_trid"].startswith("CON-U") for h in history)


async def test_a_linked_contact_is_refused_as_epp_refuses_it(core: Core, owner: Browser) -> None:
    await make_contact(core, "linked-1")
    await make_domain(core, "uses-it.example", registrant="linked-1")
    csrf = await _csrf(owner, "/contacts/linked-1")
    status, page, _resp = await owner.post("/contacts/linked-1/delete", {"csrf": csrf, "confirm": "linked-1"})
    assert status == 409 and "linked" in page  # EPP: 2305
    await make_contact(core, "theirs-1", "beta")
    assert (await owner.get("/contacts/theirs-1"))[0] == 403  # another registrar's contact: not shown
    status, _page, _resp = await owner.post("/contacts/theirs-1/delete", {"csrf": csrf, "confirm": "theirs-1"})
    assert status == 403
    assert (await contacts.info_contact(core, actor("beta"), "theirs-1")).handle == "theirs-1"


async def test_a_host_is_created_readdressed_and_deleted_as_over_epp(core: Core, owner: Browser) -> None:
    await make_domain(core, "glue.example")
    csrf = await _csrf(owner, "/new/host")
    status, page, _resp = await owner.post("/new/host", {"csrf": csrf, "name": "ns1.glue.example", "addresses": ""})
    assert status == 422 and 'class="error"' in page  # a subordinate host needs an address (EPP: 2003)
    status, page, _resp = await owner.post("/new/host", {"csrf": csrf, "name": "ns1.glue.example",
                                                         "addresses": "192.0.2.1"})
    assert status == 200 and "Host ns1.glue.example created." in page
    status, page, _resp = await owner.post("/hosts/ns1.glue.example/update",
                                           {"csrf": csrf, "addresses": "192.0.2.2 2001:db8::53"})
    assert status == 200 and "addresses now" in page
    info = await hosts.info_host(core, actor("alpha"), "ns1.glue.example")
    assert sorted(info.addresses) == ["192.0.2.2", "2001:db8::53"]
    status, page, _resp = await owner.post("/hosts/ns1.glue.example/delete", {"csrf": csrf, "confirm": "nope"})
    assert status == 422
    status, page, _resp = await owner.post("/hosts/ns1.glue.example/delete",
                                           {"csrf": csrf, "confirm": "ns1.glue.example"})
    assert status == 200 and "Host ns1.glue.example deleted." in page
    with pytest.raises(ObjectNotFound):
        await hosts.info_host(core, actor("alpha"), "ns1.glue.example")
    history = await fetch(core, "SELECT action, sv_trid FROM history WHERE object_name = 'ns1.glue.example' "
                                "ORDER BY id")
    assert [h["action"] for h in history] == ["create", "update", "delete"]
    assert all(h["sv_trid"].startswith("CON-U") for h in history)


async def test_a_read_only_user_is_refused_every_write(core: Core, consoles: dict, clock: TestClock) -> None:
    await make_contact(core, "ro-c1")
    await make_host(core, "ns.outside.test")
    async with signed_in(core, consoles, clock, "rita", "read-only") as reader:
        status, page, _resp = await reader.get("/contacts/ro-c1")
        assert status == 200 and "/contacts/ro-c1/update" not in page
        csrf = csrf_of(page)
        for path, form in (("/new/contact", {**CONTACT, "handle": "ro-c2"}),
                           ("/contacts/ro-c1/update", CONTACT),
                           ("/contacts/ro-c1/delete", {"confirm": "ro-c1"}),
                           ("/new/host", {"name": "ns2.outside.test", "addresses": ""}),
                           ("/hosts/ns.outside.test/update", {"addresses": ""}),
                           ("/hosts/ns.outside.test/delete", {"confirm": "ns.outside.test"})):
            status, _page, _resp = await reader.post(path, {"csrf": csrf, **form})
            assert status == 403, path
    assert await fetch(core, "SELECT id FROM history WHERE sv_trid LIKE 'CON-%'") == []
    assert (await hosts.info_host(core, actor("alpha"), "ns.outside.test")).name == "ns.outside.test"
