"""The admin console's users page over real HTTP: an admin invites a staff member and a
registrar's user, changes a role after a fresh code (not without one, never its own),
ends a user's sessions (that user is signed out), creates a registry API key (shown once,
working on the API) and revokes it; a support user is refused by the server."""

from __future__ import annotations

import re

import aiohttp

from protocols.web.server import WebServer
from registry_core.context import Core
from registry_core.services import accounts
from tests.conftest import TestClock, fetch
from tests.web.client import PASSWORD, Browser, enrol, sign_in
from tests.web.staff import Staff


async def _user_id(core: Core, login: str) -> int:
    return int((await fetch(core, "SELECT id FROM console_user WHERE login = $1", login))[0]["id"])


async def test_an_admin_invites_and_changes_roles_after_a_fresh_code(core: Core, staff: dict[str, Staff]) -> None:
    root = staff["root"]
    status, page = await root.submit("/users", "/users", {"login": "nora", "email": "nora@registry.test",
                                                          "role": "support", "code": root.fresh_code()})
    assert status == 200 and re.search(r"First password \(shown once\): \S+<", page)
    status, page = await root.submit("/users?registrar=alpha", "/users?registrar=alpha",
                                     {"login": "otto", "email": "otto@alpha.test", "role": "technical",
                                      "code": root.fresh_code()})
    assert status == 200 and "<td>otto</td>" in page and "<h1>Users of alpha</h1>" in page
    nora = await _user_id(core, "nora")
    form = {"role": "admin", "reason": "promoted, ticket 88"}
    assert (await root.submit("/users", f"/users/{nora}/role", {**form, "code": "000000"}))[0] == 401
    status, page = await root.submit("/users", f"/users/{nora}/role", {**form, "code": root.fresh_code()})
    assert status == 200 and "nora is now admin." in page
    assert (await root.submit("/users", f"/users/{nora}/role", {**form, "role": "owner",
                                                                "code": root.fresh_code()}))[0] == 422
    own = await _user_id(core, "root")
    assert (await root.submit("/users", f"/users/{own}/role", {**form, "role": "support",
                                                               "code": root.fresh_code()}))[0] == 403
    history = await fetch(core, "SELECT before, after, via FROM history WHERE object_name = 'nora' "
                                "AND action = 'role'")
    assert [(h["before"]["role"], h["after"]["role"], h["after"]["reason"], h["via"]["user"]) for h in history] == [
        ("support", "admin", "promoted, ticket 88", "root")]
    sam = staff["sam"]
    assert (await sam.submit("/users", f"/users/{nora}/role", {**form, "role": "read-only",
                                                               "code": sam.fresh_code()}))[0] == 403
    assert (await sam.submit("/users", "/users", {"login": "evil", "email": "e@x.test", "role": "admin",
                                                  "code": sam.fresh_code()}))[0] == 403


async def test_an_admin_ends_a_users_sessions_and_manages_keys(core: Core, staff: dict[str, Staff],
                                                              consoles: dict[str, WebServer]) -> None:
    root, rita = staff["root"], staff["rita"]
    rita_id = await _user_id(core, "rita")
    status, page = await root.submit("/users", f"/users/{rita_id}/end-sessions", {"reason": "laptop stolen"})
    assert status == 200 and "1 session(s) ended." in page
    assert (await rita.browser.get("/users"))[0] == 303  # signed out: back to the login page
    status, page = await root.submit("/users?registrar=alpha", "/api-keys?registrar=alpha",
                                     {"name": "billing-sync", "role": "billing", "allowed_ips": "",
                                      "code": root.fresh_code()})
    token = re.search(r'id="new-key">([^<]+)<', page)
    assert status == 200 and token and "shown only once" in page
    base = f"http://127.0.0.1:{consoles['console'].port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/api/v1/registrar", headers={"Authorization": f"Bearer {token.group(1)}"}) as r:
            assert r.status == 200
        key_id = (await accounts.api_keys(core, "alpha"))[0]["id"]
        status, page = await root.submit("/users?registrar=alpha", f"/api-keys/{key_id}/revoke?registrar=alpha",
                                         {"code": root.fresh_code()})
        assert status == 200 and f"API key {key_id} revoked." in page
        async with http.get(base + "/api/v1/registrar", headers={"Authorization": f"Bearer {token.group(1)}"}) as r:
            assert r.status == 401


async def test_a_registrars_owner_cannot_use_the_admin_console(core: Core, consoles: dict[str, WebServer],
                                                               clock: TestClock) -> None:
    """The owner may manage alpha's users on the registrar console, not here: the admin
    console's forms refuse anyone who is not registry staff before acting."""
    base = f"http://127.0.0.1:{consoles['admin'].port}"
    await accounts.add_user(core, accounts.NewUser("tina", "tina@alpha.test", "technical", "alpha",
                                                   password=PASSWORD))
    await accounts.add_user(core, accounts.NewUser("olga", "olga@alpha.test", "owner", "alpha", password=PASSWORD))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True,
                                                                  treat_as_secure_origin=[base])) as http:
        browser = Browser(http, base)
        await sign_in(browser, "olga")
        await enrol(browser, clock)
        olga = await _user_id(core, "olga")  # her own session's token: no staff page would show it to her
        token = (await fetch(core, "SELECT csrf_token FROM console_session WHERE user_id = $1", olga))[0]["csrf_token"]
        tina = await _user_id(core, "tina")
        for path in (f"/users/{tina}/end-sessions", "/registrars/alpha/credit", "/tlds/example/reserved"):
            status, _text, _resp = await browser.post(path, {"csrf": token, "reason": "mine", "amount": "99",
                                                             "names": "x"})
            assert status == 403, path
    assert not await fetch(core, "SELECT 1 FROM history WHERE action = 'sessions-end'")
