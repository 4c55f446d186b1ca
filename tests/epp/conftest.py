"""EPP over real TLS: a server on an ephemeral port backed by the test database, with
development certificates for registrars alpha and beta (and gamma, who is not pinned)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.config import Config, EppConfig
from protocols.epp.client import EppClient
from protocols.epp.server import EppServer
from protocols.net.tls import client_context
from registry_core.context import Core
from registry_core.services import registrars

PASSWORDS = {"alpha": "Alpha-Pass1", "beta": "Beta-Pass1", "gamma": "Gamma-Pass1"}


@pytest.fixture(scope="session")
def dev_certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return init_dev_certs(tmp_path_factory.mktemp("certs"), ["alpha", "beta", "gamma"])


def epp_config(certs: DevCerts, **overrides: object) -> Config:
    epp = EppConfig(host="127.0.0.1", port=0, cert=str(certs.server.cert), key=str(certs.server.key),
                    ca=str(certs.ca_cert), **overrides)  # type: ignore[arg-type]
    return Config(epp=epp)


@pytest.fixture(scope="session")
async def epp_server(session_core: Core, dev_certs: DevCerts) -> AsyncIterator[EppServer]:
    server = EppServer(epp_config(dev_certs, idle_timeout=30.0, write_timeout=5.0), session_core)
    await server.start()
    yield server
    await server.stop(1.0)


@pytest.fixture
async def registry(core: Core, dev_certs: DevCerts, epp_server: EppServer) -> Core:
    """The empty test registry with alpha's and beta's certificates pinned."""
    for rid in ("alpha", "beta"):
        await registrars.add_certificate(core, rid, dev_certs.fingerprints[rid])
    return core


class Clients:
    def __init__(self, certs: DevCerts, port: int) -> None:
        self.certs = certs
        self.port = port
        self.open: list[EppClient] = []

    async def connect(self, registrar: str = "alpha", *, cert_of: str | None = None) -> EppClient:
        issued = self.certs.registrars[cert_of or registrar]
        ctx = client_context(self.certs.ca_cert, issued.cert, issued.key, check_hostname=False)
        client = EppClient(timeout=10.0)
        await client.connect("127.0.0.1", self.port, ctx)
        self.open.append(client)
        return client

    async def login(self, registrar: str = "alpha", **kwargs: object) -> EppClient:
        client = await self.connect(registrar)
        response = await client.login(registrar, PASSWORDS[registrar], **kwargs)  # type: ignore[arg-type]
        assert response.code == 1000, response.raw
        return client

    async def close_all(self) -> None:
        for client in self.open:
            with contextlib.suppress(Exception):
                await client.close()


@pytest.fixture
async def clients(registry: Core, dev_certs: DevCerts, epp_server: EppServer) -> AsyncIterator[Clients]:
    pool = Clients(dev_certs, epp_server.port)
    yield pool
    await pool.close_all()
