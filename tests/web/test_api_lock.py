"""Registry lock through the JSON API, as a shop (a registrar's program) uses it for its
customers: the code goes to the registrant contact's own address through the real SMTP
relay, never to the registrar; it comes back through the API and the domain is locked; a
browser session calling the API must prove its user again with a TOTP code, as the console
page does."""

from __future__ import annotations

from registry_core.context import Core
from registry_core.services import registrars
from tests.conftest import fetch
from tests.core.helpers import make_contact, make_domain
from tests.notify.conftest import mailed_code, notify_certs, peers  # noqa: F401 (SMTP relay fixtures)
from tests.web.staff import Staff
from tests.web.test_api import api, call, new_key  # noqa: F401 (the API fixture)
from tests.web.test_nis2_consoles import olga  # noqa: F401 (an owner of alpha, signed in with TOTP)

LOCKED = ["serverDeleteProhibited", "serverTransferProhibited", "serverUpdateProhibited"]


async def statuses(core: Core, name: str) -> list[str]:
    return list((await fetch(core, "SELECT statuses FROM domain WHERE name = $1", name))[0]["statuses"])


async def test_a_key_locks_for_the_registrant_with_the_code_mailed_to_the_registrant(
        core: Core, api: tuple, peers) -> None:  # noqa: F811
    await registrars.update_registrar(core, "alpha", email="ops@alpha.test")
    await make_contact(core, "holder-1")  # jane@example.net
    await make_domain(core, "held.example", registrant="holder-1")
    await make_domain(core, "orphan.example")
    token = await new_key(core, "owner")
    status, asked = await call(api, "POST", "/api/v1/domains/held.example/lock-requests", token, {
        "action": "lock", "reason": "the holder asked in the shop", "deliver_to": "registrant"})
    assert status == 201 and asked["state"] == "requested" and asked["expires_at"].endswith("Z"), asked
    code = await mailed_code(core, peers, asked["id"], to="jane@example.net")
    assert not [m for m in peers.mails() if m["To"] == "ops@alpha.test"]  # the registrar never saw the code
    wrong = "00000000" if code != "00000000" else "11111111"
    status, refused = await call(api, "POST", f"/api/v1/lock-requests/{asked['id']}/confirm", token, {"code": wrong})
    assert status == 422 and "does not match" in refused["error"]
    assert await statuses(core, "held.example") == []
    status, done = await call(api, "POST", f"/api/v1/lock-requests/{asked['id']}/confirm", token, {"code": code})
    assert status == 200 and done["state"] == "confirmed" and done["confirmed_at"]
    assert await statuses(core, "held.example") == LOCKED
    status, state = await call(api, "GET", "/api/v1/domains/held.example/lock", token)
    assert status == 200 and state["locked"] and state["requests"][0]["id"] == asked["id"]
    status, again = await call(api, "POST", "/api/v1/domains/held.example/lock-requests", token, {
        "action": "lock", "reason": "twice", "deliver_to": "registrant"})
    assert status == 422 and "already locked" in again["error"]
    status, refused = await call(api, "POST", "/api/v1/domains/orphan.example/lock-requests", token, {
        "action": "lock", "reason": "no holder on file", "deliver_to": "registrant"})
    assert status == 422 and "no registrant" in refused["error"]
    history = await fetch(core, "SELECT action, after FROM history WHERE object_name = 'held.example' ORDER BY id")
    assert [r["action"] for r in history][-2:] == ["lock-requested", "lock"]
    assert history[-2]["after"]["code_to"] == "registrant"


async def test_another_registrars_key_cannot_ask_or_confirm(core: Core, api: tuple, peers) -> None:  # noqa: F811
    await registrars.update_registrar(core, "alpha", email="ops@alpha.test")
    await make_domain(core, "mine.example")
    ours, theirs = await new_key(core, "owner"), await new_key(core, "owner", registrar="beta")
    status, _body = await call(api, "POST", "/api/v1/domains/mine.example/lock-requests", theirs,
                               {"action": "lock", "reason": "not mine"})
    assert status == 403
    status, asked = await call(api, "POST", "/api/v1/domains/mine.example/lock-requests", ours,
                               {"action": "lock", "reason": "ours"})
    assert status == 201
    code = await mailed_code(core, peers, asked["id"], to="ops@alpha.test")
    status, _body = await call(api, "POST", f"/api/v1/lock-requests/{asked['id']}/confirm", theirs, {"code": code})
    assert status == 404 and await statuses(core, "mine.example") == []


async def test_a_browser_session_confirms_only_with_a_fresh_totp_code(
        core: Core, olga: Staff, peers) -> None:  # noqa: F811
    await registrars.update_registrar(core, "alpha", email="ops@alpha.test")
    await make_domain(core, "cookie.example")
    h, base = olga.browser.http, olga.browser.base
    _status, page, _resp = await olga.browser.get("/")
    csrf = {"X-CSRF-Token": page.split('name="csrf" value="')[1].split('"')[0]}
    async with h.post(base + "/api/v1/domains/cookie.example/lock-requests", headers=csrf,
                      json={"action": "lock", "reason": "from a script in the console"}) as resp:
        assert resp.status == 201
        asked = await resp.json()
    code = await mailed_code(core, peers, asked["id"], to="ops@alpha.test")
    url = base + f"/api/v1/lock-requests/{asked['id']}/confirm"
    async with h.post(url, headers=csrf, json={"code": code}) as resp:
        assert resp.status == 401  # no second factor: refused before the code is even looked at
    assert await statuses(core, "cookie.example") == []
    async with h.post(url, headers=csrf, json={"code": code, "totp": olga.fresh_code()}) as resp:
        assert resp.status == 200 and (await resp.json())["state"] == "confirmed"
    assert await statuses(core, "cookie.example") == LOCKED
