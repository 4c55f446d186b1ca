"""An HTTP client for the consoles that keeps cookies as a browser does for a secure
origin, and the steps of signing in (password, then TOTP enrolment on the first time)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import aiohttp

from registry_core.model import accounts as rules
from tests.conftest import TestClock

PASSWORD = "Console-Pass1"


@dataclass
class Browser:
    """An HTTP client keeping cookies as a browser does for a secure origin."""

    http: aiohttp.ClientSession
    base: str

    async def get(self, path: str) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.get(self.base + path, allow_redirects=False) as resp:
            return resp.status, await resp.text(), resp

    async def post(self, path: str, form: dict[str, str], headers: dict[str, str] | None = None
                   ) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.post(self.base + path, data=form, allow_redirects=False, headers=headers) as resp:
            return resp.status, await resp.text(), resp


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def sign_in(browser: Browser, login: str, password: str = PASSWORD) -> tuple[int, str]:
    _status, page, _resp = await browser.get("/login")
    status, _text, resp = await browser.post("/login", {"csrf": csrf_of(page), "login": login, "password": password})
    return status, resp.headers.get("Location", "")


async def enrol(browser: Browser, clock: TestClock) -> tuple[str, list[str]]:
    status, page, _resp = await browser.get("/mfa/enrol")
    assert status == 200 and "otpauth://totp/Test%20Registry:" in page
    secret = re.search(r'class="secret">([A-Z2-7]+)<', page)
    assert secret
    code = rules._totp_at(secret.group(1), rules.totp_step(clock.now()))
    status, page, _resp = await browser.post("/mfa/enrol", {"csrf": csrf_of(page), "code": code})
    assert status == 200, page
    return secret.group(1), re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", page)
