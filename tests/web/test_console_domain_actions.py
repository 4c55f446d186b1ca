"""The registrar console's DS, contacts, delete and restore forms over real HTTP against
the real database: each change is the EPP use case (EPP's domain:info shows it, the history
names the console user's svTRID), refusals come back beside the form, and a read-only user
is refused by the server when posting the forms by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from registry_core.context import Core
from registry_core.model.domain import DsData
from registry_core.services import domains
from tests.conftest import TestClock, fetch
from tests.core.helpers import actor, make_contact, make_domain
from tests.web.client import Browser, csrf_of
from tests.web.test_console_domains import signed_in

DIGEST = "49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC49FD"


@pytest.fixture
async def owner(core: Core, consoles: dict, clock: TestClock) -> AsyncIterator[Browser]:
    async with signed_in(core, consoles, clock, "olga", "owner") as browser:
        yield browser


async def _form(browser: Browser, name: str) -> str:
    status, page, _resp = await browser.get(f"/domains/{name}")
    assert status == 200
    return csrf_of(page)


async def test_ds_records_are_added_and_removed_as_secdns_updates(core: Core, owner: Browser) -> None:
    await make_domain(core, "signed.example")
    ds = {"key_tag": "12345", "alg": "13", "digest_type": "2", "digest": DIGEST.lower()}
    status, page, _resp = await owner.post("/domains/signed.example/ds/add",
                                           {"csrf": await _form(owner, "signed.example"), **ds})
    assert status == 200 and "DS records: 1" in page
    info = await domains.info_domain(core, actor("alpha"), "signed.example")
    assert info.ds == (DsData(12345, 13, 2, DIGEST),)  # what EPP domain:info now shows
    bad = {**ds, "digest": "ABCD"}  # too short for SHA-256
    status, page, _resp = await owner.post("/domains/signed.example/ds/add", {"csrf": csrf_of(page), **bad})
    assert status == 422 and "digest type" in page
    status, page, _resp = await owner.post("/domains/signed.example/ds/remove", {"csrf": csrf_of(page), **ds})
    assert status == 200 and "removed; 0 left" in page
    assert (await domains.info_domain(core, actor("alpha"), "signed.example")).ds == ()
    history = await fetch(core, "SELECT sv_trid FROM history WHERE object_name = 'signed.example' "
                                "AND action = 'update' ORDER BY id")
    assert len(history) == 2 and all(h["sv_trid"].startswith("CON-U") for h in history)


async def test_the_domains_contacts_are_set_through_one_update(core: Core, owner: Browser) -> None:
    for handle in ("reg-1", "adm-1", "tec-1"):
        await make_contact(core, handle)
    await make_domain(core, "people.example", registrant="reg-1", contacts_=(("admin", "adm-1"),))
    form = {"csrf": await _form(owner, "people.example"), "registrant": "reg-1", "admin": "", "tech": "tec-1"}
    status, page, _resp = await owner.post("/domains/people.example/contacts", form)
    assert status == 200 and "Contacts now: tech tec-1" in page
    info = await domains.info_domain(core, actor("alpha"), "people.example")
    assert info.contacts == (("tech", "tec-1"),) and info.registrant == "reg-1"
    status, page, _resp = await owner.post("/domains/people.example/contacts",
                                           {**form, "csrf": csrf_of(page), "tech": "nobody-here"})
    assert status == 404 and "class=\"error\"" in page  # the core's refusal, beside the form


async def test_a_deleted_domain_is_restored_with_its_report(core: Core, owner: Browser, clock: TestClock) -> None:
    clock.frozen = clock.now() - timedelta(days=10)  # created before the add grace period
    await make_domain(core, "phoenix.example")
    clock.frozen = None
    csrf = await _form(owner, "phoenix.example")
    status, page, _resp = await owner.post("/domains/phoenix.example/delete", {"csrf": csrf, "confirm": "wrong"})
    assert status == 422 and "confirm" in page
    status, page, _resp = await owner.post("/domains/phoenix.example/delete",
                                           {"csrf": csrf, "confirm": "phoenix.example"})
    assert status == 200 and "redemption period" in page and "<h2>Restore</h2>" in page
    today = clock.now().strftime("%Y-%m-%d")
    report = {"csrf": csrf_of(page), "deleted": today, "restored": today, "pre_data": "before", "post_data": "now",
              "reason": "", "statement1": "true", "statement2": "not for us"}
    status, page, _resp = await owner.post("/domains/phoenix.example/restore", report)
    assert status == 422 and "reason" in page  # the request went through; the report is refused
    status, page, _resp = await owner.post("/domains/phoenix.example/restore",
                                           {**report, "csrf": csrf_of(page), "reason": "deleted by mistake"})
    assert status == 200 and "Restored: phoenix.example" in page
    info = await domains.info_domain(core, actor("alpha"), "phoenix.example")
    assert info.rgp_statuses == () and "pendingDelete" not in info.statuses
    actions = [r["action"] for r in await fetch(core, "SELECT action FROM history WHERE object_name = "
                                                      "'phoenix.example' AND sv_trid LIKE 'CON-U%' ORDER BY id")]
    assert actions == ["delete", "restore-request", "restore-report"]
    reports = await fetch(core, "SELECT res_reason FROM restore_report")
    assert [r["res_reason"] for r in reports] == ["deleted by mistake"]


async def test_a_read_only_user_cannot_post_these_forms(core: Core, consoles: dict, clock: TestClock) -> None:
    await make_domain(core, "guarded.example")
    async with signed_in(core, consoles, clock, "rita", "read-only") as reader:
        status, page, _resp = await reader.get("/domains/guarded.example")
        assert status == 200 and "<h2>DS records</h2>" not in page and "<h2>Delete</h2>" not in page
        csrf = csrf_of(page)
        for action, form in (("ds/add", {"key_tag": "1", "alg": "13", "digest_type": "2", "digest": DIGEST}),
                             ("contacts", {"registrant": ""}), ("delete", {"confirm": "guarded.example"})):
            status, _text, _resp = await reader.post(f"/domains/guarded.example/{action}", {"csrf": csrf, **form})
            assert status == 403, action
    assert (await domains.info_domain(core, actor("alpha"), "guarded.example")).ds == ()
    assert await fetch(core, "SELECT action FROM history WHERE object_name = 'guarded.example' "
                             "AND action <> 'create'") == []


async def test_a_delete_in_the_add_grace_period_frees_the_name(core: Core, owner: Browser) -> None:
    await make_domain(core, "brief.example")
    status, page, _resp = await owner.post("/domains/brief.example/delete",
                                           {"csrf": await _form(owner, "brief.example"), "confirm": "brief.example"})
    assert status == 200 and "is free again" in page
    assert (await owner.get("/domains/brief.example"))[0] == 404  # as EPP domain:info: it does not exist
