"""Registry staff signed in to the admin console over real HTTP (password, then TOTP
enrolment), and the steps of posting the console's forms as a browser does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from protocols.web.server import WebServer
from registry_core.context import Core
from registry_core.model import accounts as rules
from registry_core.services import accounts
from tests.conftest import TestClock
from tests.web.client import PASSWORD, Browser, csrf_of, enrol, sign_in

STAFF = (("root", "admin"), ("sam", "support"), ("fay", "finance"), ("rita", "read-only"))


class Staff:
    def __init__(self, browser: Browser, secret: str, clock: TestClock) -> None:
        self.browser, self.secret, self.clock = browser, secret, clock

    def fresh_code(self) -> str:
        """Each code counts once: wait (on the test's clock) for the authenticator's next one."""
        self.clock.frozen = self.clock.now() + timedelta(seconds=rules.TOTP_STEP)
        return rules._totp_at(self.secret, rules.totp_step(self.clock.now()))

    async def set_status(self, name: str, status: str, change: str, reason: str, code: str | None = None
                         ) -> tuple[int, str]:
        _status, page, _resp = await self.browser.get(f"/domains/{name}")
        form = {"csrf": csrf_of(page), "status": status, "change": change, "reason": reason,
                "code": self.fresh_code() if code is None else code}
        status_code, text, _resp = await self.browser.post(f"/domains/{name}/statuses", form)
        return status_code, text

    async def submit(self, page_path: str, action: str, form: dict[str, str]) -> tuple[int, str]:
        """Open `page_path`, then post `form` (with the page's CSRF token) to `action`."""
        _status, page, _resp = await self.browser.get(page_path)
        status, text, _resp = await self.browser.post(action, {"csrf": csrf_of(page), **form})
        return status, text

    async def upload(self, page_path: str, action: str, fields: dict[str, str], file: tuple[str, bytes]
                     ) -> tuple[int, str]:
        """Post a multipart form with one file, as a browser's file input does."""
        _status, page, _resp = await self.browser.get(page_path)
        data = aiohttp.FormData()
        for key, value in {"csrf": csrf_of(page), **fields}.items():
            data.add_field(key, value)
        data.add_field("file", file[1], filename=file[0], content_type="text/csv")
        async with self.browser.http.post(self.browser.base + action, data=data, allow_redirects=False) as resp:
            return resp.status, await resp.text()


@pytest.fixture
async def staff(core: Core, consoles: dict[str, WebServer], clock: TestClock) -> AsyncIterator[dict[str, Staff]]:
    """An admin (root), a support (sam), a finance (fay) and a read-only (rita) user, signed in."""
    base = f"http://127.0.0.1:{consoles['admin'].port}"
    sessions, found = [], {}
    for login, role in STAFF:
        await accounts.add_user(core, accounts.NewUser(login, f"{login}@registry.test", role, None, password=PASSWORD))
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base]))
        sessions.append(http)
        browser = Browser(http, base)
        await sign_in(browser, login)
        secret, _codes = await enrol(browser, clock)
        found[login] = Staff(browser, secret, clock)
    try:
        yield found
    finally:
        for http in sessions:
            await http.close()
