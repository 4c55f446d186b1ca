"""A real WHOIS server on an ephemeral port over the test database, and a TCP client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from protocols.whois.server import WhoisServer, start_whois
from registry_core.context import Core
from tests.rdap.data import Seed, public_config, seed


class Whois:
    def __init__(self, server: WhoisServer) -> None:
        self.server = server
        self.port = server.port

    async def ask(self, query: str | bytes, *, timeout: float = 5.0) -> bytes:
        """Send one query (CRLF added to text) and read until the server closes."""
        payload = query if isinstance(query, bytes) else query.encode("utf-8") + b"\r\n"
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(payload)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            async with asyncio.timeout(timeout):
                return await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def text(self, query: str) -> str:
        return (await self.ask(query)).decode("utf-8")


@contextlib.asynccontextmanager
async def running_whois(core: Core, *, rdap: dict[str, Any] | None = None, **whois: Any) -> AsyncIterator[Whois]:
    server = await start_whois(public_config(whois=whois, rdap=rdap), core)
    try:
        yield Whois(server)
    finally:
        await server.stop(1.0)


@pytest.fixture
async def whois(core: Core) -> AsyncIterator[Whois]:
    async with running_whois(core) as client:
        yield client


@pytest.fixture
async def seeded(core: Core) -> Seed:
    return await seed(core)
