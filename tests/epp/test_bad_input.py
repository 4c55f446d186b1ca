"""Hostile and broken input over real TLS: each gets the right code or a clean close, no
file content leaks, and other sessions keep being served meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct

import pytest

from protocols.epp.framing import encode_frame, read_frame
from protocols.epp.results import ResultCode
from protocols.net.tls import client_context
from tests.epp.conftest import PASSWORDS

EPP = 'xmlns="urn:ietf:params:xml:ns:epp-1.0"'
HELLO = f'<?xml version="1.0" encoding="UTF-8"?><epp {EPP}><hello/></epp>'.encode()


class Raw:
    """A TLS connection that speaks bytes, not EPP."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def frame(self, timeout: float = 5.0) -> bytes | None:
        return await asyncio.wait_for(read_frame(self.reader, 1 << 22), timeout)

    async def send(self, payload: bytes) -> None:
        self.writer.write(payload)
        await self.writer.drain()

    async def closed_by_server(self, timeout: float = 5.0) -> bool:
        try:
            data = await asyncio.wait_for(self.reader.read(1 << 16), timeout)
        except (ConnectionError, ssl.SSLError):
            return True
        return data == b""

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def raw(clients, dev_certs, epp_server):
    opened: list[Raw] = []

    async def connect(registrar: str = "alpha", cert: bool = True, small_buffer: bool = False) -> Raw:
        issued = dev_certs.registrars[registrar]
        ctx = client_context(dev_certs.ca_cert, issued.cert if cert else None, issued.key if cert else None,
                             check_hostname=False)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if small_buffer:  # so that a peer that stops reading fills up quickly
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", epp_server.port))
        sock.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=sock, ssl=ctx, server_hostname="localhost")
        conn = Raw(reader, writer)
        opened.append(conn)
        assert b"<greeting>" in (await conn.frame() or b"")
        return conn

    yield connect
    for conn in opened:
        with contextlib.suppress(Exception):
            conn.close()


def code_of(response: bytes | None) -> int:
    assert response is not None
    marker = b'<result code="'
    start = response.index(marker) + len(marker)
    return int(response[start:start + 4])


async def still_served(clients) -> None:
    client = await clients.login("beta")
    assert (await client.domain_check("still-served.example")).code == ResultCode.SUCCESS


@pytest.mark.parametrize("length", [0, 3, 4, 2**31, 50 * 1024 * 1024])
async def test_bad_length_header_closes_the_connection(raw, clients, length):
    conn = await raw()
    await conn.send(struct.pack("!I", length) + b"<epp")
    assert await conn.closed_by_server()
    await still_served(clients)


async def test_truncated_frame_closes_when_the_peer_gives_up(raw, clients):
    conn = await raw()
    await conn.send(struct.pack("!I", 1000) + HELLO[:20])
    conn.writer.write_eof() if conn.writer.can_write_eof() else conn.close()
    assert await conn.closed_by_server()
    await still_served(clients)


async def test_non_xml_gets_2001_and_the_session_continues(raw):
    conn = await raw()
    await conn.send(encode_frame(b"this is not xml at all"))
    assert code_of(await conn.frame()) == ResultCode.COMMAND_SYNTAX_ERROR
    await conn.send(encode_frame(HELLO))
    assert b"<greeting>" in (await conn.frame() or b"")


async def test_valid_xml_in_the_wrong_namespace_is_a_syntax_error(raw):
    conn = await raw()
    await conn.send(encode_frame(b'<?xml version="1.0"?><epp xmlns="urn:example:not-epp"><hello/></epp>'))
    assert code_of(await conn.frame()) == ResultCode.COMMAND_SYNTAX_ERROR


async def test_external_entity_never_leaks_a_file(raw):
    conn = await raw()
    xxe = (b'<?xml version="1.0"?><!DOCTYPE epp [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><check>'
           b'<domain:check xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"><domain:name>&x;</domain:name>'
           b'</domain:check></check><clTRID>XXE-1</clTRID></command></epp>')
    await conn.send(encode_frame(xxe))
    response = await conn.frame()
    assert code_of(response) == ResultCode.COMMAND_SYNTAX_ERROR
    assert response is not None and b"root:" not in response


async def test_billion_laughs_is_refused_quickly(raw, clients):
    conn = await raw()
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE epp [<!ENTITY l0 "ha">{entities}]>'
            f'<epp {EPP}><hello>&l9;</hello></epp>').encode()
    await conn.send(encode_frame(bomb))
    assert code_of(await conn.frame(timeout=2.0)) == ResultCode.COMMAND_SYNTAX_ERROR
    await still_served(clients)


async def test_unknown_command_is_a_syntax_error(raw):
    conn = await raw()
    await conn.send(encode_frame(f'<?xml version="1.0"?><epp {EPP}><command><frobnicate/>'
                                 f'<clTRID>ABC-1</clTRID></command></epp>'.encode()))
    assert code_of(await conn.frame()) == ResultCode.COMMAND_SYNTAX_ERROR


async def test_commands_before_login_are_use_errors(clients):
    client = await clients.connect("alpha")
    assert (await client.domain_check("x.example")).code == ResultCode.COMMAND_USE_ERROR


async def test_three_wrong_passwords_end_the_session(clients):
    client = await clients.connect("alpha")
    codes = [(await client.login("alpha", "Wrong-Pass1")).code for _ in range(3)]
    assert codes == [ResultCode.AUTHENTICATION_ERROR, ResultCode.AUTHENTICATION_ERROR,
                     ResultCode.AUTHENTICATION_ERROR_SERVER_CLOSING_CONNECTION]
    assert not client.connected or await _closed(client)


async def _closed(client) -> bool:
    try:
        await client.hello()
    except Exception:
        return True
    return False


async def test_valid_password_with_another_registrars_certificate_fails(clients):
    client = await clients.connect("beta", cert_of="alpha")
    assert (await client.login("beta", PASSWORDS["beta"])).code == ResultCode.AUTHENTICATION_ERROR


async def test_unpinned_certificate_cannot_log_in(clients):
    client = await clients.connect("alpha", cert_of="gamma")
    assert (await client.login("alpha", PASSWORDS["alpha"])).code == ResultCode.AUTHENTICATION_ERROR


async def test_no_client_certificate_fails_the_handshake(raw):
    with pytest.raises((ssl.SSLError, ConnectionError, asyncio.IncompleteReadError, AssertionError)):
        await raw(cert=False)


async def test_a_client_that_stops_reading_is_dropped_and_others_go_on(raw, clients, epp_server):
    conn = await raw(small_buffer=True)
    login = (f'<?xml version="1.0"?><epp {EPP}><command><login><clID>alpha</clID><pw>{PASSWORDS["alpha"]}</pw>'
             f'<options><version>1.0</version><lang>en</lang></options><svcs>'
             f'<objURI>urn:ietf:params:xml:ns:domain-1.0</objURI></svcs></login>'
             f'<clTRID>ABC-1</clTRID></command></epp>').encode()
    await conn.send(encode_frame(login))
    assert code_of(await conn.frame()) == ResultCode.SUCCESS
    names = "".join(f"<domain:name>never-read-{i}.example</domain:name>" for i in range(100))
    check = encode_frame((f'<?xml version="1.0"?><epp {EPP}><command><check><domain:check '
                          f'xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">{names}</domain:check></check>'
                          f'<clTRID>ABC-2</clTRID></command></epp>').encode())
    conn.writer.write(check * 2000)  # ~16 MB of answers that are never read
    await still_served(clients)

    def alpha_sessions() -> int:
        return sum(c.session.registrar_id == "alpha" for c in epp_server.connections.values())

    # the kernel buffers fill, the server stops reading from this peer (backpressure, bounded
    # memory) and drops it write_timeout (5 s here) after its last successful write
    for _ in range(120):
        if alpha_sessions() == 0:
            break
        await asyncio.sleep(0.5)
    assert alpha_sessions() == 0
    await still_served(clients)
