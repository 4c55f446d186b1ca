"""The consoles in a real browser: Debian's Chromium driven by Playwright (its own browser
download is never used: `executable_path`). A registrar's owner signs in with a password,
enrols TOTP on the first sign-in, keeps the recovery codes and reaches the dashboard; then
renews a domain and changes its name servers, and a real EPP <domain:info> over TLS shows
both. The pages run under the strict Content-Security-Policy with no violation.
Screenshots of the main pages land in var/screenshots/ (test artifacts, not committed)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from protocols.config import config_from_mapping
from protocols.web.server import WebServer, start_web
from registry_core.context import Core
from registry_core.model import accounts as rules
from registry_core.services import accounts
from tests.conftest import ROOT, TestClock, fetch
from tests.core.helpers import make_domain, make_host
from tests.epp.conftest import Clients
from tests.ops.serving import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not found (`make test-deps` installs the Debian "
                                "package chromium); skipping the browser tests")
SCREENSHOTS = ROOT / "var" / "screenshots"


@pytest.fixture
async def console(core: Core) -> AsyncIterator[WebServer]:
    config = config_from_mapping({"console": {"enabled": True, "port": free_port(), "issuer": "Browser Registry"}})
    server = await start_web("console", config, core)
    try:
        yield server
    finally:
        await server.stop(1.0)


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                               args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            context = await browser.new_context()
            yield await context.new_page()
        finally:
            await browser.close()


async def test_an_owner_signs_in_renews_and_moves_a_domain_and_epp_sees_it(
        core: Core, console: WebServer, page: object, clock: TestClock, clients: Clients) -> None:
    from playwright.async_api import Page, expect

    assert isinstance(page, Page)
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    await accounts.add_user(core, accounts.NewUser("olga", "olga@example.net", "owner", "alpha",
                                                   password="Console-Pass1"))
    for host in ("ns1.old.net", "ns1.moved.net", "ns2.moved.net"):
        await make_host(core, host)
    created = await make_domain(core, "browser.example", ns=("ns1.old.net",))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.goto(f"http://127.0.0.1:{console.port}/")
    await expect(page).to_have_url(f"http://127.0.0.1:{console.port}/login")
    await page.screenshot(path=SCREENSHOTS / "sign-in.png")
    await page.get_by_label("Login").fill("olga")
    await page.get_by_label("Password").fill("Console-Pass1")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"http://127.0.0.1:{console.port}/mfa/enrol")
    secret = await page.locator("code.secret").inner_text()
    await page.get_by_label("Code").fill(rules._totp_at(secret, rules.totp_step(clock.now())))
    await page.get_by_role("button", name="Confirm").click()
    await expect(page.locator("ul.codes li")).to_have_count(rules.RECOVERY_CODES)
    await page.get_by_role("link", name="Continue").click()
    await expect(page.locator("#balance")).to_have_text("990.00 USD")  # 1000 less the create
    await expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Registrar")
    await page.screenshot(path=SCREENSHOTS / "registrar-dashboard.png", full_page=True)
    await renew_and_move(page, console.port)
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["__Host-registry-session"]
    assert session["secure"] and session["httpOnly"] and session["sameSite"] == "Strict"
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(f"http://127.0.0.1:{console.port}/login")
    assert violations == []
    epp = await clients.login("alpha")
    info = await epp.domain_info("browser.example")
    assert info.code == 1000
    assert info.xpath("//domain:infData/domain:ns/domain:hostObj/text()") == ["ns1.moved.net", "ns2.moved.net"]
    assert (info.findtext(".//domain:exDate") or "")[:4] == str(created.expires_at.year + 2)


async def renew_and_move(page: object, port: int) -> None:
    from playwright.async_api import Page, expect

    assert isinstance(page, Page)
    await page.get_by_role("link", name="Domains").click()
    await page.screenshot(path=SCREENSHOTS / "registrar-domains.png", full_page=True)
    await page.get_by_role("link", name="browser.example").click()
    before = await page.locator("#expires").inner_text()
    await page.get_by_label("Years").select_option("2")
    await page.get_by_role("button", name="Renew").click()
    await expect(page.locator(".notice")).to_contain_text("Renewed: now expires")
    assert int((await page.locator("#expires").inner_text())[:4]) == int(before[:4]) + 2
    await page.get_by_label("One host name per line").fill("ns1.moved.net\nns2.moved.net")
    await page.get_by_role("button", name="Save name servers").click()
    await expect(page.locator("#nameservers")).to_have_text("ns1.moved.net, ns2.moved.net")
    await page.screenshot(path=SCREENSHOTS / "registrar-domain.png", full_page=True)


async def test_a_passkey_is_enrolled_and_then_signs_in(core: Core, page: object) -> None:
    """Chromium's virtual authenticator (DevTools WebAuthn domain) plays the security key;
    the console runs on http://localhost (a passkey cannot be bound to an IP address)."""
    from playwright.async_api import Page, expect

    assert isinstance(page, Page)
    port = free_port()
    config = config_from_mapping({"console": {"enabled": True, "port": port, "issuer": "Browser Registry",
                                              "public_url": f"http://localhost:{port}", "rp_id": "localhost"}})
    server = await start_web("console", config, core)
    try:
        await accounts.add_user(core, accounts.NewUser("pia", "pia@example.net", "owner", "alpha",
                                                       password="Console-Pass1"))
        devtools = await page.context.new_cdp_session(page)
        await devtools.send("WebAuthn.enable")
        await devtools.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
            "isUserVerified": True, "automaticPresenceSimulation": True}})
        base = f"http://localhost:{port}"
        await passkey_sign_in(page, base, first=True)
        await expect(page.locator("ul.codes li")).to_have_count(rules.RECOVERY_CODES)
        await page.get_by_role("link", name="Continue").click()
        await expect(page.locator("#balance")).to_be_visible()
        await page.get_by_role("button", name="Sign out").click()
        await passkey_sign_in(page, base, first=False)
        await expect(page.locator("#balance")).to_be_visible()
        await page.screenshot(path=SCREENSHOTS / "passkey-signed-in.png")
    finally:
        await server.stop(1.0)
    keys = await fetch(core, "SELECT sign_count, last_used_at FROM console_passkey")
    assert len(keys) == 1 and keys[0]["last_used_at"] is not None


async def passkey_sign_in(page: object, base: str, *, first: bool) -> None:
    from playwright.async_api import Page, expect

    assert isinstance(page, Page)
    await page.goto(base + "/login")
    await page.get_by_label("Login").fill("pia")
    await page.get_by_label("Password").fill("Console-Pass1")
    await page.get_by_role("button", name="Sign in").click()
    if first:
        await expect(page).to_have_url(base + "/mfa/enrol")
        await page.get_by_role("button", name="Create a passkey").click()
    else:
        await expect(page).to_have_url(base + "/mfa")
        await page.get_by_role("button", name="Use your passkey").click()
