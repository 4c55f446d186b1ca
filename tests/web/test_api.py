"""The JSON API over real HTTP against the real database: API keys authenticate (and are
bounded by their registrar, role and addresses), a renewal through the API is the EPP
renewal, a browser session needs the CSRF header; and schemathesis (property-based, a
tool nobody here wrote) checks the running API against its own OpenAPI document."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from protocols.web.server import WebServer
from registry_core.context import Core
from registry_core.model.accounts import Principal
from registry_core.services import accounts
from tests.conftest import TestClock
from tests.core.helpers import make_domain
from tests.web.client import PASSWORD, Browser, enrol, sign_in


@pytest.fixture
async def api(consoles: dict[str, WebServer]) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    async with aiohttp.ClientSession() as http:
        yield http, f"http://127.0.0.1:{consoles['console'].port}"


async def new_key(core: Core, role: str = "technical", registrar: str = "alpha", **options: object) -> str:
    owner_id = await accounts.add_user(core, accounts.NewUser(f"owner-{registrar}-{role}", "o@example.net", "owner",
                                                              registrar, password=PASSWORD))
    owner = Principal("user", owner_id, "owner", "owner", registrar)
    key = await accounts.create_api_key(core, owner, f"{role} key", role, registrar_id=registrar,
                                        **options)  # type: ignore[arg-type]
    return key.token


async def call(api: tuple[aiohttp.ClientSession, str], method: str, path: str, token: str | None = None,
               body: object = None, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    http, base = api
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    async with http.request(method, base + path, json=body, headers=sent) as resp:
        assert resp.content_type == "application/json", await resp.text()
        return resp.status, await resp.json()


async def test_a_key_lists_reads_and_renews_its_registrars_domains(core: Core, api: tuple) -> None:
    for name in ("one.example", "two.example", "three.example"):
        await make_domain(core, name)
    await make_domain(core, "other.example", "beta")
    token = await new_key(core)
    status, body = await call(api, "GET", "/api/v1/domains?limit=2", token)
    assert status == 200 and [d["name"] for d in body["domains"]] == ["one.example", "three.example"]
    status, body = await call(api, "GET", f"/api/v1/domains?limit=2&after={body['next']}", token)
    assert [d["name"] for d in body["domains"]] == ["two.example"] and body["next"] is None
    status, domain = await call(api, "GET", "/api/v1/domains/one.example", token)
    assert status == 200 and domain["sponsor"] == "alpha" and domain["expires_at"].endswith("Z")
    assert (await call(api, "GET", "/api/v1/domains/other.example", token))[0] == 403
    expiry = domain["expires_at"][:10]
    status, renewed = await call(api, "POST", "/api/v1/domains/one.example/renew", token,
                                 {"years": 1, "current_expiry": expiry})
    assert status == 200 and renewed["expires_at"][:4] == str(int(expiry[:4]) + 1) and renewed["currency"] == "USD"
    status, refused = await call(api, "POST", "/api/v1/domains/one.example/renew", token,
                                 {"years": 1, "current_expiry": expiry})
    assert status == 422 and "curExpDate" in refused["error"]
    status, summary = await call(api, "GET", "/api/v1/registrar", token)
    assert status == 200 and summary["counts"]["domains"] == 3


async def test_keys_are_checked_and_bounded(core: Core, api: tuple) -> None:
    await make_domain(core, "kept.example")
    assert (await call(api, "GET", "/api/v1/domains"))[0] == 401
    assert (await call(api, "GET", "/api/v1/domains", "rgr_nonsense_abcdef"))[0] == 401
    reader = await new_key(core, "read-only")
    assert (await call(api, "GET", "/api/v1/domains", reader))[0] == 200
    status, body = await call(api, "POST", "/api/v1/domains/kept.example/renew", reader,
                              {"years": 1, "current_expiry": "2027-12-03"})
    assert status == 403 and body["status"] == 403
    elsewhere = await new_key(core, "billing", allowed_ips=["203.0.113.0/24"])
    assert (await call(api, "GET", "/api/v1/registrar", elsewhere))[0] == 401
    assert (await call(api, "POST", "/api/v1/domains/kept.example/renew", await new_key(core, "owner"),
                       {"years": "many"}))[0] == 422


async def test_a_browser_session_needs_the_csrf_header(core: Core, consoles: dict[str, WebServer],
                                                       clock: TestClock) -> None:
    await make_domain(core, "cookie.example")
    await accounts.add_user(core, accounts.NewUser("olga", "olga@example.net", "owner", "alpha", password=PASSWORD))
    base = f"http://127.0.0.1:{consoles['console'].port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])) as h:
        browser = Browser(h, base)
        await sign_in(browser, "olga")
        await enrol(browser, clock)
        status, text, _resp = await browser.get("/api/v1/domains/cookie.example")
        assert status == 200
        expiry = json.loads(text)["expires_at"][:10]
        body = {"years": 1, "current_expiry": expiry}
        async with h.post(base + "/api/v1/domains/cookie.example/renew", json=body) as resp:
            assert resp.status == 401  # a form on another site could not have added the header
        _status, page, _resp = await browser.get("/")
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        async with h.post(base + "/api/v1/domains/cookie.example/renew", json=body,
                          headers={"X-CSRF-Token": csrf}) as resp:
            assert resp.status == 200


async def test_the_api_keeps_to_its_openapi_document(core: Core, api: tuple, tmp_path: Path) -> None:
    """schemathesis generates requests from /api/v1/openapi.json and checks every answer
    against the document (status codes, content types, schemas), for server errors, and
    that requests the document forbids are refused. Left out: that every request the
    document allows is accepted, since no JSON Schema says which strings are domain names
    (IDNA rules, hyphens in the third and fourth places): those get a documented 422."""
    assert shutil.which("st", path=str(Path(sys.executable).parent)), "schemathesis is in the test extras"
    for name in ("alpha-one.example", "alpha-two.example"):
        await make_domain(core, name)
    token = await new_key(core, "owner")
    _http, base = api
    command = [str(Path(sys.executable).parent / "st"), "run", f"{base}/api/v1/openapi.json",
               "--header", f"Authorization: Bearer {token}", "--checks", "all", "--max-examples", "40",
               "--suppress-health-check", "all", "--seed", "1",
               "--exclude-checks", "ignored_auth,positive_data_acceptance", "--report-dir", str(tmp_path)]
    done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=600,
                                   cwd=tmp_path)  # its cache (.schemathesis/) stays out of the tree
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


async def test_a_key_changes_ds_records_and_deletes_a_domain(core: Core, api: tuple) -> None:
    await make_domain(core, "keyed.example")
    token, reader = await new_key(core), await new_key(core, "read-only")
    ds = {"key_tag": 4242, "alg": 13, "digest_type": 2, "digest": "AB" * 32}
    status, domain = await call(api, "POST", "/api/v1/domains/keyed.example/ds", token, {"add": [ds]})
    assert status == 200 and domain["ds"] == [ds]
    assert (await call(api, "POST", "/api/v1/domains/keyed.example/ds", token,
                       {"add": [{**ds, "key_tag": "4242"}]}))[0] == 422  # a string is not a key tag
    assert (await call(api, "POST", "/api/v1/domains/keyed.example/ds", reader, {"remove": [ds]}))[0] == 403
    status, domain = await call(api, "POST", "/api/v1/domains/keyed.example/ds", token, {"remove": [ds]})
    assert status == 200 and domain["ds"] == []
    assert (await call(api, "DELETE", "/api/v1/domains/keyed.example", reader))[0] == 403
    status, done = await call(api, "DELETE", "/api/v1/domains/keyed.example", token)
    assert status == 200 and done == {"name": "keyed.example", "pending": False}  # inside the add grace period
    assert (await call(api, "GET", "/api/v1/domains/keyed.example", token))[0] == 404
