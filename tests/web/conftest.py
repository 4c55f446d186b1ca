"""Both consoles on free loopback ports over the test database, and a client for them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from protocols.config import config_from_mapping
from protocols.web.server import WebServer, start_web
from registry_core.context import Core
from tests.epp.conftest import clients, dev_certs, epp_server, registry  # noqa: F401 (EPP over TLS fixtures)
from tests.ops.serving import free_port
from tests.web.client import Browser
from tests.web.staff import staff  # noqa: F401 (registry staff signed in to the admin console)


@pytest.fixture
async def consoles(core: Core) -> AsyncIterator[dict[str, WebServer]]:
    config = config_from_mapping({"admin": {"enabled": True, "port": free_port()},
                                  "console": {"enabled": True, "port": free_port(), "issuer": "Test Registry"}})
    started = {kind: await start_web(kind, config, core) for kind in ("admin", "console")}
    try:
        yield started
    finally:
        for server in started.values():
            await server.stop(1.0)


@pytest.fixture
async def browser(consoles: dict[str, WebServer]) -> AsyncIterator[Browser]:
    base = f"http://127.0.0.1:{consoles['console'].port}"
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        yield Browser(http, base)
