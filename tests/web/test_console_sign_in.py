"""The consoles over real HTTP on loopback, against the real database: nobody gets a page
before password and second factor; the first sign-in enrols TOTP and shows the recovery
codes once; each TOTP code counts once; forms without the CSRF token are refused; the
cookies are `__Host-`, Secure, HttpOnly and SameSite=Strict; every answer carries the
strict security headers; a registrar's user cannot use the admin console (the server
refuses, whatever the page shows)."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie

import aiohttp

from protocols.web.server import WebServer
from registry_core.context import Core
from registry_core.model import accounts as rules
from registry_core.services import accounts
from tests.conftest import TestClock
from tests.web.client import PASSWORD, Browser, csrf_of, enrol, sign_in


async def test_a_first_sign_in_enrols_totp_and_then_shows_the_registrars_dashboard(
        core: Core, browser: Browser, clock: TestClock) -> None:
    await accounts.add_user(core, accounts.NewUser("olga", "olga@example.net", "owner", "alpha", password=PASSWORD))
    assert (await browser.get("/"))[2].headers["Location"] == "/login"
    assert await sign_in(browser, "olga", "Wrong-Pass1") == (401, "")
    assert await sign_in(browser, "olga") == (303, "/mfa/enrol")
    assert (await browser.get("/"))[2].headers["Location"] == "/mfa/enrol"  # no page before the second factor
    _secret, codes = await enrol(browser, clock)
    assert len(codes) == rules.RECOVERY_CODES
    status, page, _resp = await browser.get("/")
    assert status == 200 and "Alpha Registrar" in page and 'id="balance">1000.00 USD' in page


async def test_each_code_counts_once_and_a_recovery_code_works_once(core: Core, browser: Browser,
                                                                   consoles: dict[str, WebServer],
                                                                   clock: TestClock) -> None:
    await accounts.add_user(core, accounts.NewUser("olga", "olga@example.net", "owner", "alpha", password=PASSWORD))
    await sign_in(browser, "olga")
    secret, codes = await enrol(browser, clock)
    base = browser.base
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])) as h:
        second = Browser(h, base)
        assert await sign_in(second, "olga") == (303, "/mfa")
        _status, page, _resp = await second.get("/mfa")
        spent = rules._totp_at(secret, rules.totp_step(clock.now()))
        status, _text, _resp = await second.post("/mfa", {"csrf": csrf_of(page), "code": spent})
        assert status == 401  # the code that enrolled is used up
        status, _text, resp = await second.post("/mfa", {"csrf": csrf_of(page), "code": codes[0]})
        assert (status, resp.headers["Location"]) == (303, "/")
        assert (await second.get("/"))[0] == 200


async def test_forms_need_their_csrf_token_and_cookies_are_locked_down(core: Core, browser: Browser,
                                                                       clock: TestClock) -> None:
    await accounts.add_user(core, accounts.NewUser("olga", "olga@example.net", "owner", "alpha", password=PASSWORD))
    status, _page, resp = await browser.get("/login")
    cookie = SimpleCookie(resp.headers["Set-Cookie"])
    morsel = cookie["__Host-registry-presession"]
    assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Strict" and morsel["path"] == "/"
    assert not morsel["domain"]
    status, _text, _resp = await browser.post("/login", {"login": "olga", "password": PASSWORD})
    assert status == 403
    status, _text, _resp = await browser.post("/login", {"csrf": "forged", "login": "olga", "password": PASSWORD})
    assert status == 403
    await sign_in(browser, "olga")
    await enrol(browser, clock)
    status, _text, _resp = await browser.post("/logout", {})
    assert status == 403  # another site's form cannot sign the user out either
    assert (await browser.get("/"))[0] == 200
    _status, page, _resp = await browser.get("/")
    status, _text, resp = await browser.post("/logout", {"csrf": csrf_of(page)})
    assert (status, resp.headers["Location"]) == (303, "/login")
    assert (await browser.get("/"))[2].headers["Location"] == "/login"


async def test_every_answer_has_the_security_headers(browser: Browser) -> None:
    for path in ("/login", "/", "/static/app.css", "/no-such-page"):
        _status, _text, resp = await browser.get(path)
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'"), path
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff" and resp.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in resp.headers  # only behind TLS ([console] hsts)


async def test_the_admin_console_is_for_registry_staff_only(core: Core, consoles: dict[str, WebServer],
                                                            clock: TestClock) -> None:
    await accounts.add_user(core, accounts.NewUser("olga", "olga@example.net", "owner", "alpha", password=PASSWORD))
    await accounts.add_user(core, accounts.NewUser("root", "root@example.net", "admin", None, password=PASSWORD))
    base = f"http://127.0.0.1:{consoles['admin'].port}"
    for login, expected in (("olga", 403), ("root", 200)):
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            admin = Browser(http, base)
            await sign_in(admin, login)
            await enrol(admin, clock)
            status, page, _resp = await admin.get("/")
            assert status == expected, page
    assert 'id="total-tld"' in page


async def test_too_many_wrong_passwords_make_the_next_try_wait(core: Core, browser: Browser,
                                                               clock: TestClock) -> None:
    await accounts.add_user(core, accounts.NewUser("olga", "olga@example.net", "owner", "alpha", password=PASSWORD))
    for _ in range(rules.FREE_FAILURES):
        assert (await sign_in(browser, "olga", "Wrong-Pass1"))[0] == 401
    status, _location = await sign_in(browser, "olga")
    assert status == 429
    clock.frozen = clock.now() + timedelta(seconds=5)
    assert (await sign_in(browser, "olga"))[0] == 303
