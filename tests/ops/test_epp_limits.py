"""EPP limits over real TLS: the per-IP connection cap, the per-registrar command rate
(answered with 2400, or held until a token is due), and the token bucket itself."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.config import Config, EppConfig
from protocols.epp.client import EppClient, EppError
from protocols.epp.server import EppServer
from protocols.net.limits import RateBuckets
from protocols.net.tls import client_context
from registry_core.context import Core
from registry_core.services import registrars


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return init_dev_certs(tmp_path_factory.mktemp("limits-certs"), ["alpha"])


@contextlib.asynccontextmanager
async def epp_server(core: Core, certs: DevCerts, **limits: object) -> AsyncIterator[EppServer]:
    await registrars.add_certificate(core, "alpha", certs.fingerprints["alpha"])
    epp = EppConfig(host="127.0.0.1", port=0, cert=str(certs.server.cert), key=str(certs.server.key),
                    ca=str(certs.ca_cert), **limits)  # type: ignore[arg-type]
    server = EppServer(Config(epp=epp), core)
    await server.start()
    try:
        yield server
    finally:
        await server.stop(1.0)


async def connect(certs: DevCerts, port: int) -> EppClient:
    issued = certs.registrars["alpha"]
    client = EppClient(timeout=5.0)
    await client.connect("127.0.0.1", port, client_context(certs.ca_cert, issued.cert, issued.key,
                                                           check_hostname=False))
    return client


async def logged_in(certs: DevCerts, port: int) -> EppClient:
    client = await connect(certs, port)
    assert (await client.login("alpha", "Alpha-Pass1")).code == 1000
    return client


async def test_connections_per_address_are_capped(core: Core, certs: DevCerts) -> None:
    async with epp_server(core, certs, max_connections_per_ip=2) as server:
        first, second = await connect(certs, server.port), await connect(certs, server.port)
        with pytest.raises(EppError):  # closed before the greeting
            await connect(certs, server.port)
        await first.close()
        deadline = time.monotonic() + 5
        while True:  # the slot frees once the server has seen the close
            try:
                third = await connect(certs, server.port)
                break
            except EppError:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        assert (await third.hello()).sv_id
        for client in (second, third):
            await client.close()


async def test_over_the_command_rate_answers_2400_and_logout_still_works(core: Core, certs: DevCerts) -> None:
    async with epp_server(core, certs, command_rate=0.5, command_burst=2, command_rate_action="refuse") as server:
        client = await logged_in(certs, server.port)  # login itself is not counted
        codes = [(await client.domain_check("a.example")).code for _ in range(3)]
        assert codes == [1000, 1000, 2400]
        refused = await client.domain_check("a.example")
        assert refused.code == 2400 and "retry in 2 s" in refused.message
        assert (await client.logout()).code == 1500


async def test_delay_holds_commands_until_their_token_is_due(core: Core, certs: DevCerts) -> None:
    async with epp_server(core, certs, command_rate=20.0, command_burst=1, command_rate_action="delay",
                          command_rate_max_delay=0.5) as server:
        client = await logged_in(certs, server.port)
        started = time.monotonic()
        codes = [(await client.domain_check("a.example")).code for _ in range(5)]
        assert codes == [1000] * 5
        assert time.monotonic() - started >= 0.19  # four of them waited 1/20 s each
        await client.close()


async def test_delay_refuses_what_would_wait_too_long(core: Core, certs: DevCerts) -> None:
    async with epp_server(core, certs, command_rate=1.0, command_burst=1, command_rate_action="delay",
                          command_rate_max_delay=0.2) as server:
        client = await logged_in(certs, server.port)
        assert (await client.domain_check("a.example")).code == 1000
        assert (await client.domain_check("a.example")).code == 2400
        await client.close()


def test_tokens_reserved_ahead_queue_later_callers() -> None:
    now = [0.0]
    buckets = RateBuckets(10.0, 2, clock=lambda: now[0])
    assert buckets.reserve("alpha", 1.0) == (True, 0.0)
    assert buckets.reserve("alpha", 1.0) == (True, 0.0)
    assert buckets.reserve("alpha", 1.0) == (True, pytest.approx(0.1))
    assert buckets.reserve("alpha", 1.0) == (True, pytest.approx(0.2))  # behind the one still waiting
    assert buckets.reserve("alpha", 0.0) == (False, pytest.approx(0.3))  # refused: nothing taken
    assert buckets.reserve("beta", 0.0) == (True, 0.0)  # one bucket per registrar
    now[0] = 10.0
    assert buckets.reserve("alpha", 0.0) == (True, 0.0)  # refilled, at most `burst`
    assert buckets.reserve("alpha", 0.0) == (True, 0.0)
    assert buckets.reserve("alpha", 0.0)[0] is False


def test_a_rate_of_zero_is_no_limit() -> None:
    buckets = RateBuckets(0.0, 1)
    assert all(buckets.reserve("alpha", 0.0) == (True, 0.0) for _ in range(100))
