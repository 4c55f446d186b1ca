"""The PROXY protocol parser on bytes (HAProxy spec, versions 1 and 2), and the readers that
take exactly the header off a stream or a socket."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import pytest

from protocols.net.proxy_protocol import (
    V1_MAX_BYTES,
    V2_SIGNATURE,
    ProxyHeader,
    ProxyHeaderError,
    expected_length,
    parse_header,
    read_proxy_header,
    recv_proxy_header,
    split_header,
)

FULL_V6 = b"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
LONGEST_V1 = b"PROXY UNKNOWN " + FULL_V6 + b" " + FULL_V6 + b" 65535 65535\r\n"


def v2(source: str = "192.0.2.10", destination: str = "198.51.100.1", ports: tuple[int, int] = (50000, 700), *,
       command: int = 0x1, family_byte: int | None = None, tlvs: bytes = b"", version: int = 2,
       length: int | None = None) -> bytes:
    src, dst = ipaddress.ip_address(source), ipaddress.ip_address(destination)
    block = src.packed + dst.packed + ports[0].to_bytes(2, "big") + ports[1].to_bytes(2, "big") + tlvs
    if family_byte is None:
        family_byte = 0x11 if src.version == 4 else 0x21
    size = len(block) if length is None else length
    return V2_SIGNATURE + bytes([(version << 4) | command, family_byte]) + size.to_bytes(2, "big") + block


# --- version 1 -------------------------------------------------------------------------------


def test_v1_tcp4_gives_source_and_destination():
    header = parse_header(b"PROXY TCP4 192.0.2.10 198.51.100.1 56324 43\r\n")
    assert header == ProxyHeader(1, ("192.0.2.10", 56324), ("198.51.100.1", 43))
    assert header.client_ip("127.0.0.1") == "192.0.2.10"


def test_v1_tcp6_and_ipv4_mapped_addresses():
    assert parse_header(b"PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n").source == ("2001:db8::1", 1)
    assert parse_header(b"PROXY TCP6 ::ffff:192.0.2.7 ::1 0 700\r\n").source == ("192.0.2.7", 0)


@pytest.mark.parametrize("line", [b"PROXY UNKNOWN\r\n", LONGEST_V1])
def test_v1_unknown_uses_the_connection_address(line):
    header = parse_header(line)
    assert header.source is None
    assert header.client_ip("10.0.0.5") == "10.0.0.5"


def test_the_longest_v1_line_is_107_bytes_and_accepted():
    assert len(LONGEST_V1) == V1_MAX_BYTES
    assert expected_length(LONGEST_V1) == V1_MAX_BYTES


@pytest.mark.parametrize("line", [
    b"PROXY TCP4 192.0.2.010 198.51.100.1 1 2\r\n",  # heading zero (octal confusion)
    b"PROXY TCP4 192.0.2.10 198.51.100.1 080 2\r\n",  # heading zero in a port
    b"PROXY TCP4 192.0.2.10 198.51.100.1 65536 2\r\n",
    b"PROXY TCP4 2001:db8::1 198.51.100.1 1 2\r\n",  # family mismatch
    b"PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",  # zone index
    b"PROXY TCP4 192.0.2.10 198.51.100.1 1\r\n",  # a field short
    b"PROXY TCP4 192.0.2.10 198.51.100.1 1 2 3\r\n",  # a field too many
    b"PROXY TCP4  192.0.2.10 198.51.100.1 1 2\r\n",  # two spaces
    b"PROXY UDP4 192.0.2.10 198.51.100.1 1 2\r\n",
    b"PROXY TCP4 192.0.2.10 198.51.100.1 1 2\n",  # LF without CR
    b"PROXY TCP4 192.0.2.10 198.51.100.1 1 \xd9\xa3\r\n",  # not ASCII
    b"PROXY\r\n",
])
def test_malformed_v1_lines_are_refused(line):
    with pytest.raises(ProxyHeaderError):
        parse_header(line)


def test_a_v1_line_without_crlf_in_107_bytes_is_refused_early():
    with pytest.raises(ProxyHeaderError, match="107"):
        expected_length(b"PROXY UNKNOWN " + b"x" * 100)


# --- version 2 -------------------------------------------------------------------------------


def test_v2_ipv4_and_ipv6():
    assert parse_header(v2()) == ProxyHeader(2, ("192.0.2.10", 50000), ("198.51.100.1", 700))
    assert parse_header(v2("2001:db8::7", "2001:db8::1")).source == ("2001:db8::7", 50000)
    assert parse_header(v2("::ffff:192.0.2.8", "::1")).source == ("192.0.2.8", 50000)


def test_v2_tlvs_after_the_addresses_are_skipped():
    tlvs = b"\x04\x00\x03abc" + b"\x20\x00\x05\x07\x00\x00\x00\x00"  # NOOP, then an SSL TLV
    assert parse_header(v2(tlvs=tlvs)).source == ("192.0.2.10", 50000)


def test_v2_local_ignores_any_addresses():
    header = parse_header(v2(command=0x0))
    assert header.source is None
    assert header.client_ip("10.0.0.5") == "10.0.0.5"
    assert parse_header(V2_SIGNATURE + b"\x20\x00\x00\x00").source is None


@pytest.mark.parametrize("family_byte", [0x00, 0x12, 0x31, 0x10])  # UNSPEC, DGRAM, UNIX, no transport
def test_v2_families_we_do_not_serve_count_as_unspec(family_byte):
    assert parse_header(v2(family_byte=family_byte)).source is None


@pytest.mark.parametrize(("data", "reason"), [
    (v2(version=1), "version"),
    (v2(command=0x2), "command"),
    (v2(family_byte=0x41), "family"),
    (v2(family_byte=0x13), "family"),
    (v2(length=4)[:20], "address block"),
    (v2()[:-1], "length"),
])
def test_malformed_v2_headers_are_refused(data, reason):
    with pytest.raises(ProxyHeaderError, match=reason):
        parse_header(data)


# --- framing: how much to read, never more -----------------------------------------------------


@pytest.mark.parametrize("data", [
    b"example.com\r\n",  # a WHOIS query sent straight to a listener that expects the header
    b"GET / HTTP/1.1\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello
    b"\r\n\r\n\x00\r\nQUIX\n",
])
def test_data_that_is_no_header_is_refused_from_the_first_wrong_byte(data):
    with pytest.raises(ProxyHeaderError):
        split_header(data)


@pytest.mark.parametrize("header", [
    b"PROXY UNKNOWN\r\n", b"PROXY TCP4 192.0.2.10 198.51.100.1 56324 43\r\n", LONGEST_V1,
    v2(), v2("2001:db8::7", "2001:db8::1", tlvs=b"\x04\x00\x01x"), V2_SIGNATURE + b"\x20\x00\x00\x00",
])
def test_expected_length_never_points_past_the_header(header):
    for cut in range(len(header)):
        assert split_header(header[:cut]) is None
        assert cut < expected_length(header[:cut]) <= len(header)
    found = split_header(header + b"\x16\x03\x01 the TLS bytes")
    assert found is not None and found[1] == len(header)


# --- readers -----------------------------------------------------------------------------------


async def test_stream_reader_leaves_the_query_after_the_header():
    reader = asyncio.StreamReader()
    reader.feed_data(b"PROXY TCP4 192.0.2.10 198.51.100.1 56324 43\r\nexample.example\r\n")
    header = await read_proxy_header(reader, 1.0)
    assert header.source == ("192.0.2.10", 56324)
    assert await reader.readline() == b"example.example\r\n"


async def test_stream_reader_refuses_a_header_cut_by_the_close():
    reader = asyncio.StreamReader()
    reader.feed_data(v2()[:20])
    reader.feed_eof()
    with pytest.raises(ProxyHeaderError, match="closed"):
        await read_proxy_header(reader, 1.0)


async def test_stream_reader_refuses_a_late_header():
    reader = asyncio.StreamReader()
    reader.feed_data(b"PROXY TCP4 ")
    with pytest.raises(ProxyHeaderError, match="within"):
        await read_proxy_header(reader, 0.05)


@pytest.mark.parametrize("header", [v2(tlvs=b"\x04\x00\x02xy"), b"PROXY TCP4 192.0.2.10 198.51.100.1 50000 700\r\n"])
async def test_socket_reader_leaves_the_next_bytes_in_the_kernel(header):
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.setblocking(False)
        theirs.sendall(header + b"\x16\x03\x01ClientHello")  # one segment, as a proxy sends it
        assert (await recv_proxy_header(ours, 1.0)).source == ("192.0.2.10", 50000)
        assert ours.recv(100) == b"\x16\x03\x01ClientHello"
