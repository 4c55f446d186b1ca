"""The admin JSON API over real HTTP on the admin listener: a registry admin key reserves
names, suspends a registrar and books a credit, each in the history with the key's name and
the reason; a read-only registry key and a registrar's key are refused by the server; and
schemathesis (property-based) checks the running API against its OpenAPI document."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import aiohttp

from protocols.web.server import WebServer
from registry_core.context import Core
from registry_core.model.accounts import Principal
from registry_core.services import accounts, price_lists, registrars
from tests.conftest import fetch
from tests.web.client import PASSWORD


async def registry_key(core: Core, role: str) -> str:
    admin_id = await accounts.add_user(core, accounts.NewUser(f"keymaker-{role}", "k@registry.test", "admin", None,
                                                              password=PASSWORD))
    admin = Principal("user", admin_id, f"keymaker-{role}", "admin", None)
    return (await accounts.create_api_key(core, admin, f"{role} robot", role, registrar_id=None)).token


async def registrar_key(core: Core) -> str:
    owner_id = await accounts.add_user(core, accounts.NewUser("olga", "o@alpha.test", "owner", "alpha",
                                                              password=PASSWORD))
    owner = Principal("user", owner_id, "olga", "owner", "alpha")
    return (await accounts.create_api_key(core, owner, "alpha robot", "owner", registrar_id="alpha")).token


async def test_a_registry_key_acts_and_others_are_refused(core: Core, consoles: dict[str, WebServer]) -> None:
    base = f"http://127.0.0.1:{consoles['admin'].port}/api/v1/admin"
    admin, viewer, foreign = await registry_key(core, "admin"), await registry_key(core, "read-only"), \
        await registrar_key(core)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"}) as http:
        async with http.post(f"{base}/tlds/example/reserved", json={"names": ["nic"], "reason": "policy 7"}) as r:
            assert r.status == 200 and (await r.json()) == {"reserved": ["nic.example"]}
        async with http.post(f"{base}/registrars/beta/status", json={"status": "suspended", "reason": "fraud"}) as r:
            assert r.status == 200 and (await r.json())["status"] == "suspended"
        async with http.post(f"{base}/registrars/alpha/credit", json={"amount": "20.50", "reason": "wire"}) as r:
            assert r.status == 200 and (await r.json()) == {"balance": "1020.50"}
        async with http.post(f"{base}/registrars/alpha/credit", json={"amount": 20, "reason": "wire"}) as r:
            assert r.status == 422
        async with http.get(f"{base}/lifecycle") as r:
            assert r.status == 200 and (await r.json())["due"] == {"expiry": 0, "redemption": 0, "transfers": 0}
    assert await price_lists.list_reserved(core, "example") == [("nic.example", "Reserved")]
    rows = await fetch(core, "SELECT via, after->>'reason' AS reason FROM history WHERE object_name = 'beta' "
                             "AND action = 'update'")
    assert [(r["via"]["api_key"], r["reason"]) for r in rows] == [("admin robot", "fraud")]
    async with aiohttp.ClientSession() as http:
        for token in (viewer, foreign):
            async with http.post(f"{base}/registrars/alpha/status", json={"status": "suspended", "reason": "no"},
                                 headers={"Authorization": f"Bearer {token}"}) as r:
                assert r.status == 403
        async with http.get(f"{base}/registrars", headers={"Authorization": f"Bearer {foreign}"}) as r:
            assert r.status == 403
    assert (await registrars.get_registrar(core, "alpha")).status == "active"


async def test_the_admin_api_matches_its_openapi_document(core: Core, consoles: dict[str, WebServer],
                                                          tmp_path: Path) -> None:
    """schemathesis generates requests from the admin listener's /api/v1/openapi.json and
    checks every answer against the document; as for the registrars' API, leaving out that
    every allowed request is accepted (no schema says which strings are names)."""
    assert shutil.which("st", path=str(Path(sys.executable).parent)), "schemathesis is in the test extras"
    token = await registry_key(core, "admin")
    command = [str(Path(sys.executable).parent / "st"), "run",
               f"http://127.0.0.1:{consoles['admin'].port}/api/v1/openapi.json",
               "--header", f"Authorization: Bearer {token}", "--checks", "all", "--max-examples", "30",
               "--suppress-health-check", "all", "--seed", "1",
               "--exclude-checks", "ignored_auth,positive_data_acceptance", "--report-dir", str(tmp_path)]
    done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=600,
                                   cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
