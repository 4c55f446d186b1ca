"""The WHOIS server (RFC 3912): read one line, answer, close.

The line is bounded (`max_query_bytes`) and must arrive within `read_timeout`; RFC 3912
sets neither limit, so these are server policy. Per client (protocols.net.limits) the
request rate and the concurrent connections are limited, and the whole server holds at
most `max_connections` at once; a refused client gets one "%" line and the close."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
import time

from protocols.config import Config, WhoisConfig
from protocols.net.activity import COUNTS, tld_of_domain
from protocols.net.limits import IpLimits, LimitPolicy, LimitStore
from protocols.net.proxy_protocol import ProxyHeaderError, read_proxy_header
from protocols.serve import metrics
from protocols.whois import render
from protocols.whois.errors import INTERNAL_ERROR, refusal_for
from protocols.whois.query import QueryError, WhoisQuery, parse_query
from registry_core.context import Core
from registry_core.errors import CoreError, ObjectNotFound
from registry_core.model.lookup import TldFlags
from registry_core.services import lookup

_log = logging.getLogger(__name__)
WRITE_TIMEOUT = 10.0
# After answering, input the client already sent is read and dropped (at most this much, for
# at most this long) before closing: closing on unread data would reset the connection and
# could destroy the answer in flight.
LINGER_BYTES = 65536
LINGER_SECONDS = 1.0

def log_query(raw: bytes, answer: bytes, ms: float, client: str) -> str:
    """One line per answered query: the query text (bounded), the kind of answer, latency,
    client. Returns the kind of answer (found, no match, refused)."""
    query = raw.decode("utf-8", "replace").strip()[:100]
    result = "refused" if answer.startswith(b"%") else "no match" if answer.startswith(b"No match") else "found"
    _log.info("whois query=%r result=%s ms=%.1f client=%s", query, result, ms, client or "-",
              extra={"query": query, "result": result, "ms": round(ms, 2), "client": client or "-"})
    return result


class WhoisAnswers:
    """From a query line to the answer bytes: parse, call one core service, render."""

    def __init__(self, core: Core, config: Config) -> None:
        self.core = core
        self.max_bytes = config.whois.max_query_bytes
        self.contact_uri = config.rdap.contact_uri
        self.rdap_base = config.rdap.base_url if config.rdap.enabled else ""
        self.abuse = render.abuse_notice(config.abuse.email, config.abuse.report_url)

    async def answer(self, raw: bytes) -> bytes:
        try:
            query = parse_query(raw, self.max_bytes)
        except QueryError as exc:
            return render.refusal(str(exc))
        COUNTS.add(tld_of_domain(query.text) if query.kind == "domain" else None, None, "whois-43-queries")
        try:
            return await self._found_or_missing(query)
        except CoreError as exc:
            return refusal_for(exc)
        except Exception:
            _log.exception("WHOIS query failed: %r", query.text[:100])
            return render.refusal(INTERNAL_ERROR)

    async def _found_or_missing(self, query: WhoisQuery) -> bytes:
        try:
            return await self._lookup(query)
        except ObjectNotFound:
            return await self._missing(query)

    def _not_served(self, tld: str, name: str) -> bytes:
        where = f": {self.rdap_base}domain/{name}" if self.rdap_base else ""
        return render.refusal(f"WHOIS is not offered for .{tld}; use RDAP instead{where}")

    async def _lookup(self, query: WhoisQuery) -> bytes:
        now = self.core.db.clock.now()
        if query.kind == "help":
            return render.help_text(now, self.abuse)
        if query.kind == "domain":
            record = await lookup.lookup_domain(self.core, query.text)
            if not record.tld.whois_enabled:
                return self._not_served(record.tld.name, record.domain.name)
            return render.domain(record, self.contact_uri, self.abuse)
        if query.kind == "nameserver":
            host = await lookup.lookup_host(self.core, query.text)
            if host.tld is not None and not host.tld.whois_enabled:
                return self._not_served(host.tld.name, host.host.name)
            return render.nameserver(host, self.abuse)
        found = await lookup.lookup_registrar(self.core, query.text)
        return render.registrar(found.registrar, found.as_of)

    async def _missing(self, query: WhoisQuery) -> bytes:
        flags: TldFlags | None = None
        if query.kind in ("domain", "nameserver"):
            flags = await lookup.tld_flags_for(self.core, query.text)
        if flags is not None and not flags.whois_enabled:
            return self._not_served(flags.name, query.text)
        return render.no_match(query.text, self.core.db.clock.now())


class WhoisServer:
    def __init__(self, core: Core, config: Config, limits: LimitStore | None = None) -> None:
        self._settings: WhoisConfig = config.whois
        self._answers = WhoisAnswers(core, config)
        self._limits = IpLimits(LimitPolicy(self._settings.rate_per_second, self._settings.burst,
                                            self._settings.max_connections_per_ip, self._settings.allowlist),
                                store=limits, scope="whois")
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self, sock: socket.socket | None = None) -> None:
        """Listen on `sock` (already listening: inherited from the supervisor) or bind host:port."""
        s = self._settings
        host, port = (None, None) if sock is not None else (s.host, s.port)
        self._server = await asyncio.start_server(self._connection, host, port, sock=sock,
                                                  limit=s.max_query_bytes + 2, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        _log.info("WHOIS listening on %s:%d", s.host, self.port)

    async def stop(self, grace: float) -> None:
        """Stop accepting, let answers in progress finish within `grace`, then cancel the rest."""
        if self._server is None:
            return
        self._server.close()
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        peer = writer.get_extra_info("peername")
        ip = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        counted = False
        try:
            if len(self._tasks) > self._settings.max_connections > 0:
                return await self._send(writer, render.refusal("server busy; try again later"))
            if self._settings.proxy_protocol:  # behind a proxy: the client is the one the PROXY header names
                ip = (await read_proxy_header(reader, self._settings.read_timeout)).client_ip(ip) or ""
            counted = await self._limits.connect(ip)
            if not counted:
                return await self._send(writer, render.refusal("too many connections from your address"))
            wait = await self._limits.take(ip)
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                return await self._send(writer, render.refusal(f"query rate exceeded; try again in {seconds} s"))
            await self._send(writer, await self._answer_line(reader, ip))
        except (ConnectionError, TimeoutError):
            pass
        except ProxyHeaderError as exc:
            _log.info("closing a connection from %s: %s", ip, exc)
        finally:
            if counted:
                self._limits.disconnect(ip)
            self._tasks.discard(task)
            await self._close(reader, writer)

    async def _answer_line(self, reader: asyncio.StreamReader, client: str) -> bytes:
        try:
            async with asyncio.timeout(self._settings.read_timeout):
                raw = await reader.readuntil(b"\n")
        except asyncio.LimitOverrunError:
            return render.refusal(f"query too long (at most {self._settings.max_query_bytes} bytes)")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise ConnectionResetError("closed before a query") from exc
            raw = exc.partial  # no CRLF before the end of input: take what came
        except TimeoutError:
            return render.refusal("timed out waiting for a query")
        started = time.perf_counter()
        answer = await self._answers.answer(raw)
        seconds = time.perf_counter() - started
        metrics.observe("whois", "query", log_query(raw, answer, seconds * 1000, client), seconds)
        return answer

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        async with asyncio.timeout(WRITE_TIMEOUT):
            await writer.drain()

    @staticmethod
    async def _close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, TimeoutError, OSError):
            if writer.can_write_eof() and not writer.is_closing():
                writer.write_eof()
            async with asyncio.timeout(LINGER_SECONDS):
                dropped = 0
                while dropped < LINGER_BYTES:
                    chunk = await reader.read(4096)
                    if not chunk:
                        break
                    dropped += len(chunk)
        writer.close()
        with contextlib.suppress(ConnectionError, TimeoutError):
            async with asyncio.timeout(WRITE_TIMEOUT):
                await writer.wait_closed()


async def start_whois(config: Config, core: Core, sock: socket.socket | None = None,
                      limits: LimitStore | None = None) -> WhoisServer:
    """`limits`: where the per-IP counts live (default: this process)."""
    server = WhoisServer(core, config, limits)
    await server.start(sock)
    return server
