"""The registrar console's security page over real HTTP: an owner creates an API key after
a fresh TOTP code, sees it once, and it works on the API; revokes it; invites a user whose
first password signs in (and who must enrol a second factor); a technical user can do none
of it, refused by the server."""

from __future__ import annotations

import re
from datetime import timedelta

import aiohttp

from registry_core.context import Core
from registry_core.model import accounts as rules
from registry_core.services import accounts
from tests.conftest import TestClock
from tests.web.client import PASSWORD, Browser, csrf_of, enrol, sign_in


async def signed(core: Core, base: str, clock: TestClock, login: str, role: str) -> tuple[aiohttp.ClientSession,
                                                                                          Browser, str]:
    await accounts.add_user(core, accounts.NewUser(login, f"{login}@example.net", role, "alpha", password=PASSWORD))
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base]))
    browser = Browser(http, base)
    await sign_in(browser, login)
    secret, _codes = await enrol(browser, clock)
    return http, browser, secret


def fresh(secret: str, clock: TestClock) -> str:
    clock.frozen = clock.now() + timedelta(seconds=rules.TOTP_STEP)
    return rules._totp_at(secret, rules.totp_step(clock.now()))


async def test_an_owner_manages_keys_and_users_after_a_fresh_code(core: Core, consoles: dict,
                                                                  clock: TestClock) -> None:
    clock.frozen = clock.now()
    base = f"http://127.0.0.1:{consoles['console'].port}"
    http, owner, secret = await signed(core, base, clock, "olga", "owner")
    try:
        _status, page, _resp = await owner.get("/security")
        form = {"csrf": csrf_of(page), "name": "deploy", "role": "technical", "allowed_ips": "", "code": "000000"}
        assert (await owner.post("/security/api-keys", form))[0] == 401
        status, page, _resp = await owner.post("/security/api-keys", {**form, "code": fresh(secret, clock)})
        token = re.search(r'id="new-key">([^<]+)<', page)
        assert status == 200 and token and "shown only once" in page
        async with http.get(base + "/api/v1/registrar", headers={"Authorization": f"Bearer {token.group(1)}"}) as r:
            assert r.status == 200
        key_id = (await accounts.api_keys(core, "alpha"))[0]["id"]
        status, page, _resp = await owner.post(f"/security/api-keys/{key_id}/revoke",
                                               {"csrf": csrf_of(page), "code": fresh(secret, clock)})
        assert status == 200 and "revoked" in page
        status, page, _resp = await owner.post("/security/users", {
            "csrf": csrf_of(page), "login": "newbie", "email": "newbie@example.net", "role": "billing",
            "code": fresh(secret, clock)})
        first = re.search(r"First password \(shown once\): (\S+)<", page)
        assert status == 200 and first
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True,
                                                                      treat_as_secure_origin=[base])) as other:
            assert await sign_in(Browser(other, base), "newbie", first.group(1)) == (303, "/mfa/enrol")
    finally:
        await http.close()


async def test_a_technical_user_cannot_make_keys_or_users(core: Core, consoles: dict, clock: TestClock) -> None:
    clock.frozen = clock.now()
    base = f"http://127.0.0.1:{consoles['console'].port}"
    http, tech, secret = await signed(core, base, clock, "tom", "technical")
    try:
        status, page, _resp = await tech.get("/security")
        assert status == 200 and "Create API key" not in page and "Add user" not in page
        assert (await tech.post("/security/api-keys", {"csrf": csrf_of(page), "name": "x", "role": "owner",
                                                       "code": fresh(secret, clock)}))[0] == 403
        assert (await tech.post("/security/users", {"csrf": csrf_of(page), "login": "evil", "email": "e@x.net",
                                                    "role": "owner", "code": fresh(secret, clock)}))[0] == 403
        assert await accounts.api_keys(core, "alpha") == []
    finally:
        await http.close()
