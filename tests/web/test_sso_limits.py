"""The single sign-on endpoints are rate limited per client address over real HTTP: after
the burst, /sso/start and /sso/callback answer 429 with Retry-After (before any database
row is written or a provider called), while the password sign-in page still answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from protocols.config import config_from_mapping
from protocols.web.server import WebServer, start_web
from registry_core.context import Core
from tests.conftest import fetch
from tests.ops.serving import free_port


@pytest.fixture
async def limited(core: Core) -> AsyncIterator[WebServer]:
    config = config_from_mapping({"console": {"enabled": True, "port": free_port(), "sso_rate_per_second": 0.01,
                                              "sso_burst": 3}})
    server = await start_web("console", config, core)
    try:
        yield server
    finally:
        await server.stop(1.0)


async def test_sso_endpoints_refuse_a_client_past_its_burst(core: Core, limited: WebServer) -> None:
    base = f"http://127.0.0.1:{limited.port}"
    async with aiohttp.ClientSession() as http:
        answers = []
        for path in ("/sso/start?registrar=alpha", "/sso/start", "/sso/callback?state=x&code=y",
                     "/sso/start?registrar=alpha", "/sso/callback?state=x&code=y"):
            async with http.get(base + path, allow_redirects=False) as resp:
                answers.append((resp.status, resp.headers.get("Retry-After")))
        assert [a[0] for a in answers[:3]] == [404, 404, 400]  # no provider set; an unknown state
        assert answers[3][0] == answers[4][0] == 429 and int(answers[3][1] or 0) >= 1
        async with http.get(base + "/login") as resp:
            assert resp.status == 200
    assert not await fetch(core, "SELECT 1 FROM sso_attempt")
