"""PROXY protocol on the listeners, end to end: a real `haproxy` (Debian package) in front of
EPP (TCP mode, TLS passed through, send-proxy-v2), WHOIS (TCP mode, send-proxy: version 1) and
RDAP (HTTP mode, send-proxy-v2), and clients on distinct loopback addresses (127.0.0.2 and
127.0.0.3; all of 127/8 is local). The registrar IP allowlist and the per-IP limits must see
those addresses, not haproxy's 127.0.0.1. Without haproxy, the same listeners are fed headers
written by the test, and a connection without a header is closed unanswered."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from protocols.cli.certs import DevCerts
from protocols.epp.client import OBJECT_URIS, CommandBuilder, EppError, Response
from protocols.epp.framing import encode_frame, read_frame
from protocols.epp.results import ResultCode
from protocols.epp.server import EppServer
from protocols.net.proxy_protocol import V2_SIGNATURE
from protocols.net.tls import client_context
from protocols.rdap.app import RdapServer, start_rdap
from protocols.whois.server import WhoisServer, start_whois
from registry_core.context import Core
from registry_core.services import registrars
from tests.epp.conftest import PASSWORDS, Clients, epp_config
from tests.epp.conftest import dev_certs as dev_certs  # noqa: F401 - the session fixture, shared
from tests.rdap.data import public_config

ROOT = Path(__file__).resolve().parents[2]
HAPROXY = shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if Path(p).exists()), None)
needs_haproxy = pytest.mark.skipif(HAPROXY is None, reason="haproxy not found (`make test-deps` installs the "
                                                            "Debian package: apt-get install haproxy)")
CLIENT, OTHER = "127.0.0.2", "127.0.0.3"
BURST = 2
RATE = {"rate_per_second": 0.001, "burst": BURST}  # two queries per client, then refusals


# --- servers with proxy_protocol on ------------------------------------------------------------


@pytest.fixture
async def epp(core: Core, dev_certs: DevCerts) -> AsyncIterator[EppServer]:  # noqa: F811
    """alpha may log in from CLIENT only (and 192.0.2.77, the address the hand-written headers name)."""
    for rid in ("alpha", "beta"):
        await registrars.add_certificate(core, rid, dev_certs.fingerprints[rid])
    await registrars.update_registrar(core, "alpha", ip_allowlist=(f"{CLIENT}/32", "192.0.2.77/32"))
    server = EppServer(epp_config(dev_certs, proxy_protocol=True, handshake_timeout=5.0), core)
    await server.start()
    yield server
    await server.stop(1.0)


@pytest.fixture
async def whois(core: Core) -> AsyncIterator[WhoisServer]:
    server = await start_whois(public_config(whois={"proxy_protocol": True, **RATE}), core)
    yield server
    await server.stop(1.0)


@pytest.fixture
async def rdap(core: Core) -> AsyncIterator[RdapServer]:
    server = await start_rdap(public_config(rdap={"proxy_protocol": True, **RATE}), core)
    yield server
    await server.stop(1.0)


# --- clients that pick their source address ---------------------------------------------------


async def epp_login(port: int, certs: DevCerts, registrar: str, source: str) -> int:
    """Connect from `source`, log in, return the result code."""
    issued = certs.registrars[registrar]
    ctx = client_context(certs.ca_cert, issued.cert, issued.key, check_hostname=False)
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, local_addr=(source, 0))
    try:
        return await _login(reader, writer, registrar)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _login(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, registrar: str) -> int:
    async with asyncio.timeout(10):
        assert await read_frame(reader) is not None  # the greeting
        login = CommandBuilder().login(registrar, PASSWORDS[registrar], obj_uris=OBJECT_URIS, ext_uris=())
        writer.write(encode_frame(login))
        answer = await read_frame(reader)
    assert answer is not None
    return Response.parse(answer).code


async def whois_ask(port: int, query: str, source: str, *, preamble: bytes = b"") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        writer.write(preamble + query.encode() + b"\r\n")
        async with asyncio.timeout(5):
            return await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def rdap_status(port: int, path: str, source: str) -> int:
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session, \
            session.get(f"http://127.0.0.1:{port}{path}", timeout=aiohttp.ClientTimeout(total=5)) as response:
        return response.status


async def raw_http(port: int, preamble: bytes, path: str = "/help") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(preamble + f"GET {path} HTTP/1.1\r\nHost: rdap.test\r\nConnection: close\r\n\r\n".encode())
        async with asyncio.timeout(5):
            return await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def v1(source: str) -> bytes:
    return f"PROXY TCP4 {source} 127.0.0.1 40000 43\r\n".encode()


def v2(source: str) -> bytes:
    block = socket.inet_aton(source) + socket.inet_aton("127.0.0.1") + (40000).to_bytes(2, "big") + (700).to_bytes(
        2, "big")
    return V2_SIGNATURE + b"\x21\x11" + len(block).to_bytes(2, "big") + block


# --- haproxy ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


HAPROXY_CFG = """
global
    maxconn 256

defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend epp
    bind 127.0.0.1:{epp_front}
    default_backend epp

backend epp
    server registry 127.0.0.1:{epp} send-proxy-v2

frontend whois
    bind 127.0.0.1:{whois_front}
    default_backend whois

backend whois
    server registry 127.0.0.1:{whois} send-proxy

frontend rdap
    mode http
    bind 127.0.0.1:{rdap_front}
    default_backend rdap

backend rdap
    mode http
    server registry 127.0.0.1:{rdap} send-proxy-v2
"""


@dataclass(frozen=True)
class Fronts:
    epp: int
    whois: int
    rdap: int


async def haproxy_check(config: Path) -> None:
    assert HAPROXY is not None
    process = await asyncio.create_subprocess_exec(HAPROXY, "-c", "-f", str(config), stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode(errors="replace")


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


async def wait_for_port(port: int, process: asyncio.subprocess.Process, log: Path) -> None:
    for _ in range(200):
        if process.returncode is not None:
            raise AssertionError(f"haproxy exited: {tail(log)}")
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise AssertionError(f"haproxy is not listening on {port}: {tail(log)}")


@contextlib.asynccontextmanager
async def running_haproxy(tmp_path: Path, backends: dict[str, int]) -> AsyncIterator[Fronts]:
    """haproxy in the foreground (-db) on a generated config; terminated on the way out."""
    assert HAPROXY is not None
    fronts = Fronts(free_port(), free_port(), free_port())
    config, log = tmp_path / "haproxy.cfg", tmp_path / "haproxy.log"
    config.write_text(HAPROXY_CFG.format(epp_front=fronts.epp, whois_front=fronts.whois, rdap_front=fronts.rdap,
                                         **backends))
    await haproxy_check(config)
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(HAPROXY, "-f", str(config), "-db",
                                                       stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=sink)
    try:
        for port in (fronts.epp, fronts.whois, fronts.rdap):
            await wait_for_port(port, process, log)
        yield fronts
    finally:
        if process.returncode is None:
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


@pytest.fixture
async def haproxy(tmp_path: Path, epp: EppServer, whois: WhoisServer, rdap: RdapServer) -> AsyncIterator[Fronts]:
    async with running_haproxy(tmp_path, {"epp": epp.port, "whois": whois.port, "rdap": rdap.port}) as fronts:
        yield fronts


@needs_haproxy
async def test_epp_login_through_haproxy_is_checked_against_the_client_address(haproxy, dev_certs):  # noqa: F811
    # alpha's allowlist holds CLIENT only: haproxy's own 127.0.0.1 would be refused
    assert await epp_login(haproxy.epp, dev_certs, "alpha", CLIENT) == ResultCode.SUCCESS
    assert await epp_login(haproxy.epp, dev_certs, "alpha", OTHER) == ResultCode.AUTHENTICATION_ERROR
    assert await epp_login(haproxy.epp, dev_certs, "beta", OTHER) == ResultCode.SUCCESS  # no allowlist


@needs_haproxy
async def test_whois_limits_through_haproxy_count_each_client(haproxy):
    for _ in range(BURST):
        assert (await whois_ask(haproxy.whois, "nothing.example", CLIENT)).startswith(b"No match")
    assert b"query rate exceeded" in await whois_ask(haproxy.whois, "nothing.example", CLIENT)
    # had the server counted haproxy's address, this client would be refused too
    assert (await whois_ask(haproxy.whois, "nothing.example", OTHER)).startswith(b"No match")


@needs_haproxy
async def test_rdap_limits_through_haproxy_in_http_mode_count_each_client(haproxy):
    for _ in range(BURST):
        assert await rdap_status(haproxy.rdap, "/domain/nothing.example", CLIENT) == 404
    assert await rdap_status(haproxy.rdap, "/domain/nothing.example", CLIENT) == 429
    assert await rdap_status(haproxy.rdap, "/domain/nothing.example", OTHER) == 404


@needs_haproxy
def test_the_shipped_haproxy_example_is_valid(tmp_path, dev_certs):  # noqa: F811
    """deploy/haproxy.cfg passes `haproxy -c` once its certificate path points at a real one."""
    pem = tmp_path / "rdap.pem"
    pem.write_bytes(dev_certs.server.cert.read_bytes() + dev_certs.server.key.read_bytes())
    text = (ROOT / "deploy" / "haproxy.cfg").read_text().replace("/etc/haproxy/certs/rdap.pem", str(pem))
    config = tmp_path / "example.cfg"
    config.write_text(text)
    assert HAPROXY is not None
    check = subprocess.run([HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


# --- the same listeners, headers written by hand --------------------------------------------------


async def test_epp_reads_a_v2_header_before_the_tls_handshake(epp, dev_certs):  # noqa: F811
    issued = dev_certs.registrars["alpha"]
    ctx = client_context(dev_certs.ca_cert, issued.cert, issued.key, check_hostname=False)
    for source, expected in (("192.0.2.77", ResultCode.SUCCESS), ("192.0.2.78", ResultCode.AUTHENTICATION_ERROR)):
        reader, writer = await asyncio.open_connection("127.0.0.1", epp.port)
        writer.write(v2(source))  # header and ClientHello may share a segment: nothing is lost
        await writer.start_tls(ctx)
        try:
            assert await _login(reader, writer, "alpha") == expected
        finally:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()


async def test_epp_without_a_header_gets_no_session(epp, dev_certs):  # noqa: F811
    with pytest.raises((EppError, OSError)):
        client = await Clients(dev_certs, epp.port).connect("alpha")
        await client.login("alpha", PASSWORDS["alpha"], ext_uris=())


async def test_epp_stop_drops_connections_still_waiting_for_their_header(core, dev_certs):  # noqa: F811
    server = EppServer(epp_config(dev_certs, proxy_protocol=True, handshake_timeout=30.0), core)
    await server.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"PROXY TCP4 192.0.2.")
    await asyncio.sleep(0.1)
    async with asyncio.timeout(3):
        await server.stop(1.0)
        assert await reader.read() == b""
    writer.close()


async def test_whois_counts_the_address_the_header_names(whois):
    for _ in range(BURST):
        assert (await whois_ask(whois.port, "nothing.example", CLIENT, preamble=v1("192.0.2.1"))).startswith(b"No")
    assert b"rate exceeded" in await whois_ask(whois.port, "nothing.example", CLIENT, preamble=v2("192.0.2.1"))
    assert (await whois_ask(whois.port, "nothing.example", CLIENT, preamble=v2("192.0.2.2"))).startswith(b"No")


async def test_whois_without_a_header_is_closed_unanswered(whois):
    assert await whois_ask(whois.port, "nothing.example", CLIENT) == b""


async def test_rdap_counts_the_address_the_header_names(rdap):
    for _ in range(BURST):
        assert (await raw_http(rdap.port, v2("192.0.2.1"))).startswith(b"HTTP/1.1 200")
    assert (await raw_http(rdap.port, v1("192.0.2.1"))).startswith(b"HTTP/1.1 429")
    assert (await raw_http(rdap.port, v1("192.0.2.2"))).startswith(b"HTTP/1.1 200")


async def test_rdap_without_a_header_is_closed_unanswered(rdap):
    assert await raw_http(rdap.port, b"") == b""
