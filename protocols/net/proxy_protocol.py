"""The PROXY protocol (HAProxy, versions 1 and 2: www.haproxy.org/download/2.6/doc/proxy-protocol.txt)
in front of our listeners, so that limits and allowlists see the client's address rather than
the load balancer's.

Pure part: `expected_length` says how long the header at the start of some bytes is (as far as
those bytes tell), `parse_header` decodes a whole header, `split_header` does both on a buffer.
I/O shells, one per kind of listener:
- `read_proxy_header(reader, timeout)`: from an asyncio StreamReader (WHOIS); what follows the
  header stays in the reader.
- `ProxiedTlsServer`: accept TCP, read the header straight from the socket without reading one
  byte past it, then let asyncio do the TLS handshake (EPP: the proxy passes TLS through, so the
  header comes BEFORE the ClientHello, and our server still sees the client certificate).
- `ProxyHeaderProtocol`: wraps any asyncio Protocol (the aiohttp one of RDAP); once the header
  is in, the inner protocol gets the connection with `peername` set to the client's address.

A listener with the option on trusts the header blindly, so it must be reachable by the proxy
only. A connection whose header is missing, malformed or late is closed; it never falls back to
the socket's address. Only the spec's own fallbacks use the socket's (the proxy's) address: a v2
LOCAL command (health checks), v1 UNKNOWN, and v2 families or transports other than TCP over
IPv4/IPv6 (section 2.2: a receiver treats what it does not support as UNSPEC)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

_log = logging.getLogger("registry.proxy_protocol")

V1_PREFIX = b"PROXY "
V1_MIN_BYTES = len(b"PROXY UNKNOWN\r\n")  # the shortest header of either version
V1_MAX_BYTES = 107  # spec section 2.1: the longest line, CRLF included
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
V2_FIXED_BYTES = 16  # signature, version/command, family/transport, length; at most 65535 bytes follow
_V2_LOCAL, _V2_PROXY = 0x0, 0x1
_V2_INET, _V2_INET6, _V2_STREAM = 0x1, 0x2, 0x1
_V2_ADDRESS_BYTES = {_V2_INET: 12, _V2_INET6: 36}  # source, destination, source port, destination port

Address = tuple[str, int]


class ProxyHeaderError(ValueError):
    """The connection does not start with a valid PROXY protocol header; close it."""


@dataclass(frozen=True)
class ProxyHeader:
    version: int  # 1 or 2
    source: Address | None  # None: use the connection's own address (LOCAL, UNKNOWN, UNSPEC)
    destination: Address | None = None

    def client_ip(self, socket_ip: str | None) -> str | None:
        return self.source[0] if self.source is not None else socket_ip


# --- pure: bytes in, header out ----------------------------------------------------------------


def expected_length(data: bytes) -> int:
    """The length of the header that `data` starts with: exact once `data` shows it (v2 after
    16 bytes, v1 once the LF is in), else the least length it can have. Never more than the
    header, so a reader that reads up to this length never reads past the header. Raises
    ProxyHeaderError as soon as `data` cannot start a header."""
    if not data:
        return V1_MIN_BYTES
    if data[0] == V2_SIGNATURE[0]:
        if not V2_SIGNATURE.startswith(data[:len(V2_SIGNATURE)]):
            raise ProxyHeaderError("not a PROXY protocol header")
        if len(data) < V2_FIXED_BYTES:
            return V2_FIXED_BYTES
        if data[12] >> 4 != 2:
            raise ProxyHeaderError(f"PROXY v2: unsupported version {data[12] >> 4}")
        return V2_FIXED_BYTES + int.from_bytes(data[14:16], "big")
    if not V1_PREFIX.startswith(data[:len(V1_PREFIX)]):
        raise ProxyHeaderError("not a PROXY protocol header")
    end = data.find(b"\n", 0, V1_MAX_BYTES)
    if end >= 0:
        return end + 1
    if len(data) >= V1_MAX_BYTES:
        raise ProxyHeaderError(f"PROXY v1: no CRLF within {V1_MAX_BYTES} bytes")
    return max(len(data) + 1, V1_MIN_BYTES)


def parse_header(data: bytes) -> ProxyHeader:
    """Decode exactly one whole header, either version."""
    return parse_v2(data) if data.startswith(V2_SIGNATURE[:1]) else parse_v1(data)


def split_header(data: bytes) -> tuple[ProxyHeader, int] | None:
    """(header, its length) when `data` starts with a whole header; None while bytes are missing."""
    size = expected_length(data)
    if len(data) < size:
        return None
    return parse_header(data[:size]), size


def parse_v1(line: bytes) -> ProxyHeader:
    """`PROXY TCP4|TCP6 <source> <destination> <source port> <destination port>\\r\\n`, or
    `PROXY UNKNOWN...\\r\\n` (spec section 2.1)."""
    if len(line) > V1_MAX_BYTES or not line.endswith(b"\r\n") or b"\n" in line[:-1] or b"\r" in line[:-2]:
        raise ProxyHeaderError("PROXY v1: not one line ending in CRLF within 107 bytes")
    try:
        fields = line[:-2].decode("ascii").split(" ")
    except UnicodeDecodeError as exc:
        raise ProxyHeaderError("PROXY v1: not ASCII") from exc
    if fields[0] != "PROXY" or len(fields) < 2:
        raise ProxyHeaderError("PROXY v1: the line does not start with 'PROXY '")
    if fields[1] == "UNKNOWN":
        return ProxyHeader(1, None)
    family = {"TCP4": 4, "TCP6": 6}.get(fields[1])
    if family is None:
        raise ProxyHeaderError(f"PROXY v1: unknown protocol {fields[1][:8]!r}")
    if len(fields) != 6:
        raise ProxyHeaderError("PROXY v1: expected PROXY TCP4|TCP6 <src> <dst> <sport> <dport>")
    source, destination, source_port, destination_port = fields[2:]
    return ProxyHeader(1, (_v1_address(source, family), _v1_port(source_port)),
                       (_v1_address(destination, family), _v1_port(destination_port)))


def _v1_address(text: str, family: int) -> str:
    try:
        address = ipaddress.ip_address(text)
    except ValueError as exc:
        raise ProxyHeaderError(f"PROXY v1: bad address {text[:45]!r}") from exc
    if address.version != family or "%" in text:
        raise ProxyHeaderError(f"PROXY v1: {text[:45]!r} is not an IPv{family} address")
    return _canonical(address)


def _v1_port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 5 or (text[0] == "0" and text != "0"):
        raise ProxyHeaderError(f"PROXY v1: bad port {text[:8]!r}")
    port = int(text)
    if port > 65535:
        raise ProxyHeaderError(f"PROXY v1: port {port} out of range")
    return port


def parse_v2(data: bytes) -> ProxyHeader:
    """The binary header (spec section 2.2); TLVs after the addresses are skipped."""
    size = expected_length(data[:V2_FIXED_BYTES]) if len(data) >= V2_FIXED_BYTES else -1
    if not data.startswith(V2_SIGNATURE) or size != len(data):
        raise ProxyHeaderError("PROXY v2: truncated header or wrong length")
    command, family, transport = data[12] & 0x0F, data[13] >> 4, data[13] & 0x0F
    if command not in (_V2_LOCAL, _V2_PROXY):
        raise ProxyHeaderError(f"PROXY v2: unknown command {command:#x}")
    if family > 3 or transport > 2:
        raise ProxyHeaderError(f"PROXY v2: invalid family/transport byte {data[13]:#04x}")
    needed = _V2_ADDRESS_BYTES.get(family)
    if command == _V2_LOCAL or transport != _V2_STREAM or needed is None:
        return ProxyHeader(2, None)  # LOCAL, or what we treat as UNSPEC: the connection's own address
    block = data[V2_FIXED_BYTES:]
    if len(block) < needed:
        raise ProxyHeaderError(f"PROXY v2: address block of {len(block)} bytes, {needed} needed")
    width = (needed - 4) // 2
    source, destination = block[:width], block[width:2 * width]
    source_port, destination_port = block[2 * width:2 * width + 2], block[2 * width + 2:needed]
    return ProxyHeader(2, (_canonical(ipaddress.ip_address(source)), int.from_bytes(source_port, "big")),
                       (_canonical(ipaddress.ip_address(destination)), int.from_bytes(destination_port, "big")))


def _canonical(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """IPv4-mapped IPv6 addresses as plain IPv4, so allowlists written in IPv4 match them."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


# --- I/O shells ---------------------------------------------------------------------------------


async def _read_header(read_some: Callable[[int], Awaitable[bytes]],
                       timeout: float) -> ProxyHeader:  # noqa: ASYNC109 - a late header is a ProxyHeaderError
    """Read up to `expected_length` each time, so never past the header."""
    data = b""
    try:
        async with asyncio.timeout(timeout):
            while len(data) < (size := expected_length(data)):
                chunk = await read_some(size - len(data))
                if not chunk:
                    raise ProxyHeaderError("the connection closed before the PROXY header ended")
                data += chunk
    except TimeoutError as exc:
        raise ProxyHeaderError(f"no complete PROXY header within {timeout:g} s") from exc
    except asyncio.IncompleteReadError as exc:
        raise ProxyHeaderError("the connection closed before the PROXY header ended") from exc
    return parse_header(data)


async def read_proxy_header(reader: asyncio.StreamReader,
                            timeout: float) -> ProxyHeader:  # noqa: ASYNC109 - a late header is a ProxyHeaderError
    """Read exactly the header from a stream; raises ProxyHeaderError (then close the connection)."""
    return await _read_header(reader.readexactly, timeout)


async def recv_proxy_header(sock: socket.socket,
                            timeout: float) -> ProxyHeader:  # noqa: ASYNC109 - a late header is a ProxyHeaderError
    """Read exactly the header from a non-blocking socket; the bytes after it stay in the kernel."""
    loop = asyncio.get_running_loop()
    return await _read_header(lambda n: loop.sock_recv(sock, n), timeout)


ProxiedHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, str | None], Awaitable[None]]


class ProxiedTlsServer:
    """A TLS listener behind a proxy in TCP mode: PROXY header first, then the TLS handshake.

    asyncio.start_server(ssl=...) would handshake at once, and a plain transport reads ahead, so
    the bytes after the header would be lost to a later start_tls. Here the header is read from
    the socket itself and the socket then goes to loop.connect_accepted_socket(ssl=...). The
    handler gets (reader, writer, client IP) like an asyncio.start_server callback. Offers the
    part of asyncio.Server that EppServer uses: sockets, close(), wait_closed()."""

    def __init__(self, sock: socket.socket, handler: ProxiedHandler, ssl_context: ssl.SSLContext, *,
                 header_timeout: float, handshake_timeout: float, limit: int) -> None:
        self._sock = sock
        self._handler = handler
        self._ssl = ssl_context
        self._header_timeout = header_timeout
        self._handshake_timeout = handshake_timeout
        self._limit = limit
        self._accepting: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._opening: set[asyncio.Task[None]] = set()  # still before the handler

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return (self._sock,)

    def start(self) -> None:
        self._accepting = asyncio.get_running_loop().create_task(self._accept_loop())

    def close(self) -> None:
        """Stop accepting and drop connections still in their header or handshake; the
        handlers' connections are the owner's to drain."""
        if self._accepting is not None:
            self._accepting.cancel()
        for task in self._opening:
            task.cancel()
        self._sock.close()

    async def wait_closed(self) -> None:
        pending = [t for t in (self._accepting, *self._opening) if t is not None]
        await asyncio.gather(*pending, return_exceptions=True)

    async def _accept_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, address = await loop.sock_accept(self._sock)
            except OSError as exc:  # e.g. out of file descriptors: pause, then accept again
                _log.warning("accept failed: %s", exc)
                await asyncio.sleep(0.1)
                continue
            conn.setblocking(False)
            task = loop.create_task(self._connection(conn, address))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _connection(self, conn: socket.socket, address: Any) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._opening.add(task)
        socket_ip = str(address[0]) if isinstance(address, tuple) and address else None
        try:
            header = await recv_proxy_header(conn, self._header_timeout)
            reader, writer = await self._start_tls(conn)
        except (ProxyHeaderError, OSError, TimeoutError) as exc:  # ssl.SSLError is an OSError
            _log.info("closing a connection from %s before the session: %s", socket_ip, exc)
            conn.close()
            return
        except asyncio.CancelledError:  # the listener is closing
            conn.close()
            raise
        finally:
            self._opening.discard(task)
        await self._handler(reader, writer, header.client_ip(socket_ip))

    async def _start_tls(self, conn: socket.socket) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=self._limit)
        protocol = asyncio.StreamReaderProtocol(reader)
        transport, _ = await loop.connect_accepted_socket(
            lambda: protocol, conn, ssl=self._ssl, ssl_handshake_timeout=self._handshake_timeout)
        return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


async def start_proxied_tls_server(handler: ProxiedHandler, host: str, port: int, ssl_context: ssl.SSLContext,
                                   *, header_timeout: float, handshake_timeout: float, limit: int,
                                   sock: socket.socket | None = None) -> ProxiedTlsServer:
    """Listen on `sock` (already listening, e.g. inherited from a supervisor) or bind (host, port)."""
    if sock is None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family, backlog=1024)
    sock.setblocking(False)
    server = ProxiedTlsServer(sock, handler, ssl_context, header_timeout=header_timeout,
                              handshake_timeout=handshake_timeout, limit=limit)
    server.start()
    return server


class _ProxiedTransport(asyncio.Transport):
    """The connection's transport as the inner protocol sees it: `peername` is the client's."""

    def __init__(self, transport: asyncio.Transport, peername: Address) -> None:
        super().__init__({"peername": peername})
        self._transport = transport

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "peername":
            return super().get_extra_info(name, default)
        return self._transport.get_extra_info(name, default)

    def write(self, data: Any) -> None:
        self._transport.write(data)

    def writelines(self, list_of_data: Any) -> None:
        self._transport.writelines(list_of_data)

    def write_eof(self) -> None:
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def close(self) -> None:
        self._transport.close()

    def abort(self) -> None:
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()


class ProxyHeaderProtocol(asyncio.Protocol):
    """Buffers the PROXY header, then gives the connection to `inner`: the transport delivers
    to `inner` from then on, and `inner` sees the client's address as `peername`. No header
    within `timeout` seconds, or a bad one: the connection is closed and `inner` never sees it."""

    def __init__(self, inner: asyncio.Protocol, timeout: float) -> None:
        self._inner = inner
        self._timeout = timeout
        self._buffer = b""
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports are no asyncio.Transport subclass
        self._timer = asyncio.get_running_loop().call_later(self._timeout, self._drop, "no PROXY header in time")

    def data_received(self, data: bytes) -> None:
        if self._transport is None or self._transport.is_closing():
            return
        self._buffer += data
        try:
            found = split_header(self._buffer)
        except ProxyHeaderError as exc:
            return self._drop(str(exc))
        if found is not None:
            self._hand_over(*found)

    def _hand_over(self, header: ProxyHeader, size: int) -> None:
        assert self._transport is not None
        if self._timer is not None:
            self._timer.cancel()
        rest, self._buffer = self._buffer[size:], b""
        transport = self._transport
        self._transport.set_protocol(self._inner)
        self._inner.connection_made(transport if header.source is None else _ProxiedTransport(transport, header.source))
        if rest and not transport.is_closing():
            self._inner.data_received(rest)

    def _drop(self, reason: str) -> None:
        if self._transport is not None and not self._transport.is_closing():
            _log.info("closing a connection from %s: %s", self._transport.get_extra_info("peername"), reason)
            self._transport.close()

    def eof_received(self) -> bool | None:
        self._drop("the connection closed before the PROXY header ended")
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._buffer = b""
