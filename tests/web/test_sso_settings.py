"""The registrar console's single sign-on page over real HTTP: the owner sets its own
identity provider after a fresh code (not without one), the secret is stored encrypted and
never shown again, the history names the owner; the owner removes it; a technical user is
refused by the server."""

from __future__ import annotations

from registry_core.context import Core
from registry_core.services import sso
from tests.conftest import TestClock, fetch
from tests.web.client import csrf_of
from tests.web.test_console_security import fresh, signed

FORM = {"issuer": "https://id.alpha.test/", "client_id": "registry-console", "client_secret": "s3cret-value",
        "scopes": "openid email profile"}


async def test_an_owner_sets_and_removes_its_identity_provider(core: Core, consoles: dict, clock: TestClock) -> None:
    clock.frozen = clock.now()
    base = f"http://127.0.0.1:{consoles['console'].port}"
    http, owner, secret = await signed(core, base, clock, "olga", "owner")
    try:
        status, page, _resp = await owner.get("/security/sso")
        assert status == 200 and "No identity provider is set" in page
        assert (await owner.post("/security/sso", {"csrf": csrf_of(page), **FORM, "code": "000000"}))[0] == 401
        status, page, _resp = await owner.post("/security/sso", {"csrf": csrf_of(page), **FORM,
                                                                 "code": fresh(secret, clock)})
        assert status == 200 and "Single sign-on now goes to https://id.alpha.test." in page
        assert '<dd id="issuer">https://id.alpha.test</dd>' in page and "s3cret-value" not in page
        provider = await sso.registrar_provider(core, "alpha")
        assert provider == sso.Provider("https://id.alpha.test", "registry-console", "s3cret-value",
                                        "openid email profile")
        stored = await fetch(core, "SELECT client_secret FROM registrar_sso WHERE registrar_id = 'alpha'")
        assert b"s3cret-value" not in bytes(stored[0]["client_secret"])
        history = await fetch(core, "SELECT via, after FROM history WHERE action = 'sso-set'")
        assert history[0]["via"]["user"] == "olga" and "client_secret" not in history[0]["after"]
        status, page, _resp = await owner.post("/security/sso/remove", {"csrf": csrf_of(page),
                                                                        "code": fresh(secret, clock)})
        assert status == 200 and "Single sign-on removed." in page
        assert await sso.registrar_provider(core, "alpha") is None
    finally:
        await http.close()


async def test_a_technical_user_cannot_set_the_provider(core: Core, consoles: dict, clock: TestClock) -> None:
    clock.frozen = clock.now()
    base = f"http://127.0.0.1:{consoles['console'].port}"
    http, tech, secret = await signed(core, base, clock, "tom", "technical")
    try:
        status, page, _resp = await tech.get("/security/sso")
        assert status == 200 and "Only the registrar's owner" in page
        status, _page, _resp = await tech.post("/security/sso", {"csrf": csrf_of(page), **FORM,
                                                                 "code": fresh(secret, clock)})
        assert status == 403
        assert await sso.registrar_provider(core, "alpha") is None
    finally:
        await http.close()
