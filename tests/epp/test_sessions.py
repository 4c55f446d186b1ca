"""Session rules over real TLS: per-registrar session caps and a graceful stop that lets
the command in flight finish."""

from __future__ import annotations

import asyncio

from protocols.epp.results import ResultCode
from protocols.epp.server import EppServer
from tests.epp.conftest import PASSWORDS, Clients, epp_config


async def test_sessions_beyond_the_registrar_cap_are_refused(clients, epp_server):
    epp_server.dispatcher.max_sessions = 2
    try:
        await clients.login("alpha")
        await clients.login("alpha")
        third = await clients.connect("alpha")
        response = await third.login("alpha", PASSWORDS["alpha"])
        assert response.code == ResultCode.SESSION_LIMIT_EXCEEDED_SERVER_CLOSING_CONNECTION
        await clients.login("beta")  # other registrars are not affected
    finally:
        epp_server.dispatcher.max_sessions = 20


async def test_stop_finishes_the_command_in_flight_then_closes(registry, dev_certs):
    server = EppServer(epp_config(dev_certs), registry)
    await server.start()
    pool = Clients(dev_certs, server.port)
    try:
        busy = await pool.login("alpha")
        idle = await pool.login("beta")
        async with registry.db.pool.acquire() as blocker, blocker.transaction():
            # hold alpha's balance row so that the create waits inside its transaction
            await blocker.execute("SELECT 1 FROM registrar WHERE id = 'alpha' FOR UPDATE")
            create = asyncio.create_task(busy.domain_create("inflight.example", auth_info="In-flight1"))
            await asyncio.sleep(0.3)
            stopping = asyncio.create_task(server.stop(grace=10.0))
            await asyncio.sleep(0.3)
        response = await create
        await stopping
        assert response.code == ResultCode.SUCCESS
        assert not server.connections
        for client in (busy, idle):
            try:
                await client.hello()
                raise AssertionError("the session should be closed")
            except Exception as exc:  # noqa: BLE001 - any connection error is the expected close
                assert not isinstance(exc, AssertionError)
    finally:
        await pool.close_all()
