"""Single sign-on against a real OpenID Connect provider (npm `oidc-provider`, run by node
on loopback; tests/web/oidc_provider.py) with real consoles over HTTP and the real
database. The browser's steps are followed by hand: our /sso/start, the provider's
authorization and interaction redirects, then our /sso/callback. Users are matched by
verified email within the registrar; the provider's amr decides whether our own second
factor is still asked for; state is single-use and bound to the browser."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import aiohttp
import pytest

from protocols.config import config_from_mapping
from protocols.web.server import start_web
from registry_core.context import Core
from registry_core.model import accounts as rules
from registry_core.services import accounts, sso
from tests.conftest import TestClock, fetch
from tests.ops.serving import free_port
from tests.web.client import Browser, csrf_of
from tests.web.oidc_provider import running_provider

ACCOUNTS = {
    "olga-pwd": {"email": "Olga@example.net", "email_verified": True, "amr": ["pwd"]},
    "olga-mfa": {"email": "olga@example.net", "email_verified": True, "amr": ["pwd", "mfa"]},
    "olga-unverified": {"email": "olga@example.net", "email_verified": False, "amr": ["mfa"]},
    "stranger": {"email": "stranger@example.net", "email_verified": True, "amr": ["mfa"]},
    "staff": {"email": "ops@registry.example", "email_verified": True, "amr": ["hwk"]},
}


@dataclass
class Sso:
    console: Browser
    admin: Browser
    idp: aiohttp.ClientSession
    issuer: str


def _jar(base: str) -> aiohttp.CookieJar:
    return aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])


@pytest.fixture
async def sso_setup(core: Core, tmp_path: Path) -> AsyncIterator[Sso]:
    idp_port, console_port, admin_port = free_port(), free_port(), free_port()
    console, admin = f"http://127.0.0.1:{console_port}", f"http://127.0.0.1:{admin_port}"
    clients = [{"client_id": "alpha-console", "client_secret": "alpha-secret-0123456789",
                "redirect_uris": [console + "/sso/callback"], "post_logout_redirect_uris": [console + "/login"]},
               {"client_id": "registry-admin", "client_secret": "admin-secret-0123456789",
                "redirect_uris": [admin + "/sso/callback"], "post_logout_redirect_uris": [admin + "/login"]}]
    (tmp_path / "admin-secret").write_text("admin-secret-0123456789\n")
    with running_provider(tmp_path, idp_port, clients, ACCOUNTS) as issuer:
        await sso.set_registrar_provider(core, "alpha", sso.Provider(issuer, "alpha-console",
                                                                     "alpha-secret-0123456789"))
        config = config_from_mapping({
            "admin": {"enabled": True, "port": admin_port, "public_url": admin, "sso_issuer": issuer,
                      "sso_client_id": "registry-admin", "sso_client_secret_file": str(tmp_path / "admin-secret")},
            "console": {"enabled": True, "port": console_port, "public_url": console, "issuer": "Test Registry",
                        "sso_allow_http": True}})
        servers = [await start_web(kind, config, core) for kind in ("admin", "console")]
        try:
            async with aiohttp.ClientSession(cookie_jar=_jar(console)) as c, \
                    aiohttp.ClientSession(cookie_jar=_jar(admin)) as a, \
                    aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as idp:
                yield Sso(Browser(c, console), Browser(a, admin), idp, issuer)
        finally:
            for server in servers:
                await server.stop(1.0)


async def _to_provider(browser: Browser, start: str) -> str:
    status, _page, resp = await browser.get(start)
    assert status == 303, _page
    return resp.headers["Location"]


async def _through_provider(setup: Sso, browser: Browser, authorize: str, who: str) -> str:
    """The provider's redirects, as a browser follows them, until one comes back to us:
    returns that callback's path and query. `login_hint` tells the test provider who signs in."""
    url = authorize + "&login_hint=" + who
    for _hop in range(12):
        if url.startswith(browser.base):
            return url[len(browser.base):]
        async with setup.idp.get(url, allow_redirects=False) as resp:
            assert resp.status in (302, 303), await resp.text()
            url = urljoin(url, resp.headers["Location"])
    raise AssertionError("the provider never sent the browser back")


async def _sso(setup: Sso, who: str, browser: Browser | None = None,
               start: str = "/sso/start?registrar=alpha") -> tuple[int, str]:
    browser = browser or setup.console
    callback = await _through_provider(setup, browser, await _to_provider(browser, start), who)
    status, page, _resp = await browser.get(callback)
    return status, page


def _next(page: str) -> str:
    found = re.search(r'id="continue" href="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def _olga(core: Core) -> str:
    await accounts.add_user(core, accounts.NewUser("olga", "olga@example.net", "owner", "alpha"))
    secret = rules.new_totp_secret()
    await accounts.set_totp_secret(core, "olga", secret)
    return secret


async def test_a_provider_sign_in_without_a_second_factor_still_asks_for_our_totp(
        core: Core, sso_setup: Sso, clock: TestClock) -> None:
    secret = await _olga(core)
    status, page = await _sso(sso_setup, "olga-pwd")
    assert status == 200 and _next(page) == "/mfa"
    browser = sso_setup.console
    assert (await browser.get("/"))[2].headers["Location"] == "/mfa"  # not trusted yet
    _status, page, _resp = await browser.get("/mfa")
    code = rules._totp_at(secret, rules.totp_step(clock.now()))
    status, _text, resp = await browser.post("/mfa", {"csrf": csrf_of(page), "code": code})
    assert (status, resp.headers["Location"]) == (303, "/")
    status, page, _resp = await browser.get("/")
    assert status == 200 and "Alpha Registrar" in page
    rows = await fetch(core, "SELECT object_name, after FROM history WHERE action = 'sso-sign-in'")
    assert [r["object_name"] for r in rows] == ["olga"] and rows[0]["after"]["trusted"] is False


async def test_a_provider_sign_in_with_mfa_is_trusted_at_once(core: Core, sso_setup: Sso, clock: TestClock) -> None:
    await _olga(core)
    status, page = await _sso(sso_setup, "olga-mfa")
    assert status == 200 and _next(page) == "/"
    status, page, _resp = await sso_setup.console.get("/")
    assert status == 200 and "Alpha Registrar" in page
    rows = await fetch(core, "SELECT after FROM history WHERE action = 'sso-sign-in'")
    assert len(rows) == 1 and rows[0]["after"]["trusted"] is True


async def test_an_email_nobody_was_invited_with_is_refused(core: Core, sso_setup: Sso, clock: TestClock) -> None:
    await _olga(core)
    status, page = await _sso(sso_setup, "stranger")
    assert status == 403 and "no user with this email is invited here" in page
    assert (await sso_setup.console.get("/"))[2].headers["Location"] == "/login"
    rows = await fetch(core, "SELECT object_name, after FROM history WHERE action = 'sso-sign-in'")
    assert rows[0]["object_name"] == "stranger@example.net" and rows[0]["after"]["refused"] == "no such user"


async def test_an_unverified_email_is_refused(core: Core, sso_setup: Sso, clock: TestClock) -> None:
    await _olga(core)
    status, page = await _sso(sso_setup, "olga-unverified")
    assert status == 403 and "has not verified your email address" in page
    assert (await sso_setup.console.get("/"))[2].headers["Location"] == "/login"


async def test_a_tampered_state_or_another_browsers_state_is_refused(core: Core, sso_setup: Sso,
                                                                     clock: TestClock) -> None:
    await _olga(core)
    browser = sso_setup.console
    callback = await _through_provider(sso_setup, browser, await _to_provider(browser, "/sso/start?registrar=alpha"),
                                       "olga-mfa")
    tampered = re.sub(r"state=([^&]+)", lambda m: "state=" + m.group(1)[:-2] + "xx", callback)
    status, page, _resp = await browser.get(tampered)
    assert status == 400 and "unknown, already used or from another browser" in page
    async with aiohttp.ClientSession(cookie_jar=_jar(browser.base)) as other:  # without this browser's cookie
        status, page, _resp = await Browser(other, browser.base).get(callback)
    assert status == 400
    assert (await browser.get("/"))[2].headers["Location"] == "/login"


async def test_a_replayed_callback_is_refused(core: Core, sso_setup: Sso, clock: TestClock) -> None:
    await _olga(core)
    browser = sso_setup.console
    callback = await _through_provider(sso_setup, browser, await _to_provider(browser, "/sso/start?registrar=alpha"),
                                       "olga-mfa")
    assert (await browser.get(callback))[0] == 200
    await browser.get("/")
    status, page, _resp = await browser.get(callback)
    assert status == 400 and "already used" in page


async def test_staff_sign_in_to_the_admin_console_through_the_registrys_provider(
        core: Core, sso_setup: Sso, clock: TestClock) -> None:
    await accounts.add_user(core, accounts.NewUser("ops", "ops@registry.example", "admin"))
    await _olga(core)
    assert 'href="/sso/start"' in (await sso_setup.admin.get("/login"))[1]
    status, page = await _sso(sso_setup, "staff", sso_setup.admin, "/sso/start")
    assert status == 200 and _next(page) == "/"  # hwk: a hardware key is a second factor
    assert (await sso_setup.admin.get("/"))[0] == 200
    # a registrar's user is not staff: the registry's provider finds no staff with her email
    sso_setup.idp.cookie_jar.clear()  # signed out at the provider, so that another account signs in
    status, page = await _sso(sso_setup, "olga-mfa", sso_setup.admin, "/sso/start")
    assert status == 403


async def test_a_provider_over_plain_http_is_refused_unless_development_allows_it(core: Core,
                                                                                  browser: Browser) -> None:
    await sso.set_registrar_provider(core, "beta", sso.Provider("http://127.0.0.1:9", "beta", "beta-secret"))
    status, page, _resp = await browser.get("/sso/start?registrar=beta")
    assert status == 502 and "must be HTTPS" in page
    status, page, _resp = await browser.get("/sso/start?registrar=alpha")  # alpha has none
    assert status == 404 and "not set up" in page
    assert 'action="/sso/start"' in (await browser.get("/login"))[1]


async def test_signing_out_of_an_sso_session_ends_the_providers_too(core: Core, sso_setup: Sso) -> None:
    """RP-Initiated Logout: our session ends, and the browser goes on to the provider's
    end_session_endpoint (from its discovery document), which accepts us and our return
    address; a password session signs out to our login page as before."""
    await _olga(core)
    status, page = await _sso(sso_setup, "olga-mfa")
    browser = sso_setup.console
    assert status == 200 and _next(page) == "/"
    _status, page, _resp = await browser.get("/")
    status, _text, resp = await browser.post("/logout", {"csrf": csrf_of(page)})
    location = resp.headers["Location"]
    async with sso_setup.idp.get(sso_setup.issuer + "/.well-known/openid-configuration") as found:
        endpoint = (await found.json())["end_session_endpoint"]
    assert status == 303 and location.startswith(endpoint + "?")
    assert parse_qs(urlsplit(location).query) == {"client_id": ["alpha-console"],
                                                  "post_logout_redirect_uri": [browser.base + "/login"]}
    async with sso_setup.idp.get(location, allow_redirects=False) as resp:
        assert resp.status == 200, await resp.text()  # the provider's "sign out?" page, not an error
    assert (await browser.get("/"))[2].headers["Location"] == "/login"  # our session is over
    assert (await fetch(core, "SELECT sso_issuer FROM console_session"))[0]["sso_issuer"] == sso_setup.issuer
