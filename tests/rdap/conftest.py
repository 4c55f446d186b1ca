"""A real RDAP server on an ephemeral port over the test database, and an HTTP client."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from protocols.rdap.app import RdapServer, start_rdap
from registry_core.context import Core
from tests.rdap.data import Seed, public_config, seed


@dataclass
class Reply:
    status: int
    headers: Any
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


class Rdap:
    def __init__(self, server: RdapServer, session: aiohttp.ClientSession) -> None:
        self.server = server
        self.session = session
        self.base = f"http://127.0.0.1:{server.port}/"

    async def get(self, path: str, method: str = "GET", **kwargs: Any) -> Reply:
        async with self.session.request(method, self.base + path, **kwargs) as resp:
            return Reply(resp.status, resp.headers, await resp.read())


@contextlib.asynccontextmanager
async def running_rdap(core: Core, abuse: dict[str, Any] | None = None, **rdap: Any) -> AsyncIterator[Rdap]:
    server = await start_rdap(public_config(rdap=rdap, abuse=abuse), core)
    try:
        async with aiohttp.ClientSession(headers={"Accept": "application/rdap+json"}) as session:
            yield Rdap(server, session)
    finally:
        await server.stop(1.0)


@pytest.fixture
async def rdap(core: Core) -> AsyncIterator[Rdap]:
    async with running_rdap(core) as client:
        yield client


@pytest.fixture
async def seeded(core: Core) -> Seed:
    return await seed(core)
