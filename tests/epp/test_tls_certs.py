"""Development PKI and TLS contexts over real sockets on 127.0.0.1, plus the EPP client's
connection handling against a tiny framing server (no mocked transport)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
import stat
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from lxml import etree

from protocols.cli.certs import DevCertError, DevCerts, init_dev_certs, issue_client_cert
from protocols.epp import framing
from protocols.epp.client import (
    EPP_NS,
    EppClient,
    EppConnectionError,
    EppProtocolError,
    EppTimeout,
    Response,
)
from protocols.net.tls import TLS12_CIPHERS, certificate_fingerprint, client_context, peer_fingerprint, server_context

REGISTRARS = ["demo", "rival"]
# A refused handshake surfaces as a TLS alert or, when the server just drops it, a reset.
REFUSED = (ssl.SSLError, ConnectionError)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return init_dev_certs(tmp_path_factory.mktemp("certs"), REGISTRARS)


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _store(certs: DevCerts) -> verification.Store:
    return verification.Store([_load(certs.ca_cert)])


# --- the development PKI ----------------------------------------------------------------


def test_server_chain_verifies_for_localhost_and_loopback(certs: DevCerts) -> None:
    builder = verification.PolicyBuilder().store(_store(certs))
    leaf = _load(certs.server.cert)
    for subject in (x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("::1"))):
        chain = builder.build_server_verifier(subject).verify(leaf, [])
        assert chain[-1] == _load(certs.ca_cert)
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_registrar_chains_verify_as_clients(certs: DevCerts) -> None:
    # Web PKI demands a subjectAltName on client certificates too; a registrar certificate
    # names its holder in the CN only (the server pins it by fingerprint), so allow its absence.
    ee_policy = verification.ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.SubjectAlternativeName, verification.Criticality.NON_CRITICAL, None
    )
    builder = verification.PolicyBuilder().store(_store(certs))
    builder = builder.extension_policies(
        ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy
    )
    verifier = builder.build_client_verifier()
    for rid, issued in certs.registrars.items():
        leaf = _load(issued.cert)
        verified = verifier.verify(leaf, [])
        assert verified.chain[-1] == _load(certs.ca_cert)
        assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == rid
        eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
        assert issued.fingerprint == certificate_fingerprint(issued.cert)
        assert issued.fingerprint == certificate_fingerprint(issued.cert.read_bytes())
        assert len(issued.fingerprint) == 64 and issued.fingerprint == issued.fingerprint.lower()


def test_private_keys_are_owner_only(certs: DevCerts) -> None:
    keys = [certs.ca_key, certs.server.key, *(issued.key for issued in certs.registrars.values())]
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key


def test_init_is_idempotent_and_completes(tmp_path: Path) -> None:
    first = init_dev_certs(tmp_path, ["demo"])
    ca_bytes = first.ca_cert.read_bytes()
    again = init_dev_certs(tmp_path, ["demo", "rival"])
    assert again.ca_cert.read_bytes() == ca_bytes
    assert again.server == first.server
    assert again.fingerprints["demo"] == first.fingerprints["demo"]
    assert set(again.fingerprints) == {"demo", "rival"}
    forced = init_dev_certs(tmp_path, ["demo"], force=True)
    assert forced.ca_cert.read_bytes() != ca_bytes
    assert forced.fingerprints["demo"] != first.fingerprints["demo"]


def test_broken_files_are_reissued(tmp_path: Path) -> None:
    first = init_dev_certs(tmp_path, ["demo"])
    first.registrars["demo"].key.write_bytes(b"not a key")
    again = init_dev_certs(tmp_path, ["demo"])
    assert again.fingerprints["demo"] != first.fingerprints["demo"]
    first.ca_key.unlink()
    renewed = init_dev_certs(tmp_path, ["demo"])
    assert renewed.server.fingerprint != first.server.fingerprint  # new CA, every leaf re-issued


def test_issue_client_cert_rotates_one_registrar(tmp_path: Path) -> None:
    with pytest.raises(DevCertError):
        issue_client_cert(tmp_path, "demo")
    first = init_dev_certs(tmp_path, ["demo", "rival"])
    rotated = issue_client_cert(tmp_path, "demo")
    assert rotated.fingerprint != first.fingerprints["demo"]
    assert init_dev_certs(tmp_path, ["demo", "rival"]).fingerprints == {
        "demo": rotated.fingerprint,
        "rival": first.fingerprints["rival"],
    }


@pytest.mark.parametrize("bad", ["", "../x", "ca", "server", "a/b", ".hidden"])
def test_unsafe_registrar_ids_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(DevCertError):
        init_dev_certs(tmp_path, [bad])


# --- TLS over real sockets --------------------------------------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def _serving(certs: DevCerts, handler: Handler) -> AsyncIterator[int]:
    ctx = server_context(certs.server.cert, certs.server.key, certs.ca_cert)
    running: set[asyncio.Task[None]] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        await handler(reader, writer)

    server = await asyncio.start_server(tracked, "127.0.0.1", 0, ssl=ctx, ssl_handshake_timeout=5)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
        if running:  # let every connection handler finish inside the test that started it
            await asyncio.wait(running, timeout=5)


class EchoServer:
    """Echo one line back and remember the peer's certificate fingerprint and cipher."""

    def __init__(self) -> None:
        self.fingerprints: list[str | None] = []
        self.ciphers: list[tuple[str, str, int] | None] = []

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ssl_object = writer.get_extra_info("ssl_object")
        self.fingerprints.append(peer_fingerprint(ssl_object))
        self.ciphers.append(ssl_object.cipher())
        with contextlib.suppress(OSError):
            writer.write(await reader.readline())
            await writer.drain()
        writer.close()


async def _echo(port: int, ctx: ssl.SSLContext) -> bytes:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, ssl=ctx), 5)
    try:
        writer.write(b"ping\n")
        return await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _client(certs: DevCerts, rid: str | None = "demo") -> ssl.SSLContext:
    if rid is None:
        return client_context(certs.ca_cert, None, None)
    return client_context(certs.ca_cert, certs.registrars[rid].cert, certs.registrars[rid].key)


async def test_client_with_certificate_is_identified_by_fingerprint(certs: DevCerts) -> None:
    echo = EchoServer()
    async with _serving(certs, echo) as port:
        assert await _echo(port, _client(certs, "demo")) == b"ping\n"
        assert await _echo(port, _client(certs, "rival")) == b"ping\n"
    assert echo.fingerprints == [certs.fingerprints["demo"], certs.fingerprints["rival"]]


async def test_client_without_certificate_is_refused(certs: DevCerts) -> None:
    echo = EchoServer()
    async with _serving(certs, echo) as port:
        # Under TLS 1.3 the client may finish its side first and learn of the refusal on read.
        with contextlib.suppress(*REFUSED):
            assert await _echo(port, _client(certs, None)) == b""
    assert echo.fingerprints == []


async def test_tls_1_1_client_is_refused(certs: DevCerts) -> None:
    ctx = _client(certs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the very point of this test
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let OpenSSL really offer the old protocol
    echo = EchoServer()
    async with _serving(certs, echo) as port:
        with pytest.raises(REFUSED):
            await _echo(port, ctx)
    assert echo.fingerprints == []


async def test_tls_1_2_negotiates_an_rfc_9325_suite_only(certs: DevCerts) -> None:
    good = _client(certs)
    good.maximum_version = ssl.TLSVersion.TLSv1_2
    cbc = _client(certs)
    cbc.maximum_version = ssl.TLSVersion.TLSv1_2
    cbc.set_ciphers("ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA")
    echo = EchoServer()
    async with _serving(certs, echo) as port:
        assert await _echo(port, good) == b"ping\n"
        with pytest.raises(REFUSED):
            await _echo(port, cbc)
    (cipher,) = echo.ciphers
    assert cipher is not None and cipher[0] in TLS12_CIPHERS.split(":") and cipher[1] == "TLSv1.2"


# --- the EPP client's connection handling -----------------------------------------------

GREETING = (
    f'<epp xmlns="{EPP_NS}"><greeting><svID>Test</svID><svDate>2026-01-01T00:00:00Z</svDate>'
    "<svcMenu><version>1.0</version><lang>en</lang>"
    "<objURI>urn:ietf:params:xml:ns:domain-1.0</objURI><objURI>urn:ietf:params:xml:ns:host-1.0</objURI>"
    "<svcExtension><extURI>urn:ietf:params:xml:ns:secDNS-1.1</extURI></svcExtension>"
    "</svcMenu></greeting></epp>"
).encode()


def _answer(command: bytes, serial: int) -> bytes:
    root = etree.fromstring(command)
    cl_trid = root.findtext(f".//{{{EPP_NS}}}clTRID")
    if root.find(f"{{{EPP_NS}}}hello") is not None:
        return GREETING
    verb = next(iter(root.find(f"{{{EPP_NS}}}command"))).tag.split("}")[1]
    code = 1500 if verb == "logout" else 1000
    return (
        f'<epp xmlns="{EPP_NS}"><response><result code="{code}"><msg>{verb} ok</msg></result>'
        f'<msgQ count="3" id="m{serial}"/><trID><clTRID>{cl_trid}</clTRID><svTRID>sv-{serial}</svTRID></trID>'
        "</response></epp>"
    ).encode()


class FramingServer:
    """Greets, then answers every frame in order; commands in `stall` get no answer."""

    def __init__(self, stall: frozenset[str] = frozenset(), oversize: bool = False) -> None:
        self.stall = stall
        self.oversize = oversize
        self.frames: list[bytes] = []

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(framing.encode_frame(GREETING))
        with contextlib.suppress(OSError, framing.FrameError):
            while (frame := await framing.read_frame(reader)) is not None:
                self.frames.append(frame)
                if any(word.encode() in frame for word in self.stall):
                    continue
                body = b" " * 4096 if self.oversize else b""
                answer = _answer(frame, len(self.frames))
                writer.write(framing.encode_frame(answer + body))
                await writer.drain()
                if b'code="1500"' in answer:
                    break
        writer.close()


async def _connected(
    port: int, certs: DevCerts, *, read_timeout: float = 5.0, max_frame: int = framing.DEFAULT_MAX_FRAME
) -> EppClient:
    client = EppClient(max_frame=max_frame, timeout=read_timeout)
    greeting = await client.connect("127.0.0.1", port, _client(certs), server_hostname="localhost")
    assert greeting.sv_id == "Test" and greeting.versions == ("1.0",)
    return client


async def test_client_session_round_trip(certs: DevCerts) -> None:
    server = FramingServer()
    async with _serving(certs, server) as port:
        client = await _connected(port, certs)
        login = await client.login("demo", "demo-Pass1", cl_trid="abc-1")
        assert (login.code, login.message, login.cl_trid, login.sv_trid) == (1000, "login ok", "abc-1", "sv-1")
        assert (login.msgq_count, login.msgq_id) == (3, "m1")
        sent = etree.fromstring(server.frames[0])
        uris = sent.xpath("//epp:objURI/text() | //epp:extURI/text()", namespaces={"epp": EPP_NS})
        assert uris == [  # only what the greeting announced
            "urn:ietf:params:xml:ns:domain-1.0",
            "urn:ietf:params:xml:ns:host-1.0",
            "urn:ietf:params:xml:ns:secDNS-1.1",
        ]
        greeting = await client.hello()
        assert greeting.obj_uris[0] == "urn:ietf:params:xml:ns:domain-1.0"
        check = await client.domain_check("a.example", "b.example")
        assert check.ok and check.cl_trid is not None and check.cl_trid.startswith("py-")
        logout = await client.logout()
        assert logout.code == 1500 and not client.connected


async def test_client_pipelines_in_order(certs: DevCerts) -> None:
    async with _serving(certs, FramingServer()) as port:
        async with await _connected(port, certs) as client:
            documents = [client.build.domain_info(f"d{i}.example", cl_trid=f"pipe-{i}") for i in range(20)]
            responses = await client.request_many(documents)
            assert [r.cl_trid for r in responses] == [f"pipe-{i}" for i in range(20)]
            raw = await client.send_raw(client.build.poll_request(cl_trid="raw-1"))
            assert Response.parse(raw).cl_trid == "raw-1"
        assert not client.connected


async def test_client_read_timeout_aborts_the_connection(certs: DevCerts) -> None:
    async with _serving(certs, FramingServer(stall=frozenset({"poll"}))) as port:
        client = await _connected(port, certs, read_timeout=0.3)
        with pytest.raises(EppTimeout):
            await client.poll_request()
        assert not client.connected
        with pytest.raises(EppConnectionError):
            await client.domain_check("late.example")


async def test_client_refuses_oversized_response_frames(certs: DevCerts) -> None:
    async with _serving(certs, FramingServer(oversize=True)) as port:
        client = await _connected(port, certs, max_frame=1024)
        with pytest.raises(EppProtocolError):
            await client.domain_check("big.example")
        assert not client.connected
