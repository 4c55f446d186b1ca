"""The RDAP server (RFC 7480): an aiohttp low-level server on the suite's event loop.

Every answer is `application/rdap+json` with `Access-Control-Allow-Origin: *`
(RFC 7480 section 5.6), whatever the Accept header; HEAD answers like GET without a body.
Per client (protocols.net.limits): a token bucket turns excess requests into 429 with
Retry-After (RFC 6585 section 4), and a connection over the per-IP cap gets a 429 and is
closed before any request is answered."""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import orjson
from aiohttp import web

from protocols.config import Config
from protocols.net.activity import COUNTS, tld_of_domain
from protocols.net.limits import IpLimits, LimitPolicy, LimitStore
from protocols.net.proxy_protocol import ProxyHeaderProtocol
from protocols.rdap import routes
from protocols.rdap.abuse_form import AbuseForm
from protocols.rdap.errors import (
    UNAVAILABLE_DESCRIPTION,
    RdapError,
    error_body,
    retry_after,
    status_for,
)
from protocols.rdap.handlers import HANDLERS, Query
from protocols.rdap.view import RDAP_JSON, RdapSettings, View
from protocols.serve import metrics
from registry_core.context import Core
from registry_core.errors import CoreError
from registry_core.services.lookup import icann_profile_for

_log = logging.getLogger(__name__)
CORS = {"Access-Control-Allow-Origin": "*"}
ALLOWED_METHODS = "GET, HEAD, OPTIONS"


def encode(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, byte for byte what json.dumps(ensure_ascii=False, separators=(",", ":"))
    writes for these bodies (str, int, bool, None, lists, dicts), an order of magnitude faster:
    a page of search results is 100 objects, and json.dumps was a quarter of its cost."""
    return orjson.dumps(body)


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=encode(body), content_type=RDAP_JSON, headers={**CORS, **(headers or {})})


def _refusal_bytes() -> bytes:
    body = encode({"rdapConformance": ["rdap_level_0"], "errorCode": 429, "title": "Too Many Requests",
                   "description": ["too many connections from your address"]})
    head = (f"HTTP/1.1 429 Too Many Requests\r\nContent-Type: {RDAP_JSON}\r\nAccess-Control-Allow-Origin: *\r\n"
            f"Retry-After: 1\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("ascii") + body


def peer_ip(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else ""


class _PublicServer(web.Server):
    """Counts connections per client and refuses those over the cap. With a PROXY header
    timeout (behind HAProxy, TCP or HTTP mode), each connection starts with a PROXY header and
    the handler, the caps and `request.remote` see the address it names."""

    refusal = _refusal_bytes()

    def __init__(self, handler: Any, limits: IpLimits, *, proxy_header_timeout: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._limits = limits
        self._counted: dict[web.RequestHandler, str] = {}
        self._admissions: dict[web.RequestHandler, asyncio.Future[bool]] = {}
        self._proxy_header_timeout = proxy_header_timeout

    def __call__(self) -> asyncio.Protocol:  # type: ignore[override]
        handler = super().__call__()
        if self._proxy_header_timeout is None:
            return handler
        return ProxyHeaderProtocol(handler, self._proxy_header_timeout)

    def connection_made(self, handler: web.RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        ip = peer_ip(transport)
        counted = self._limits.connect_now(ip)
        if counted is None:  # a remote store: the first request waits for its verdict
            self._admissions[handler] = asyncio.ensure_future(self._admit(handler, ip))
        elif counted:
            if self._limits.counts_connections(ip):
                self._counted[handler] = ip
        else:  # before any request arrived: refuse it and close
            transport.write(self.refusal)
            transport.close()

    async def _admit(self, handler: web.RequestHandler, ip: str) -> bool:
        """Count the connection in a remote store; over the cap, the request that waits for
        this verdict is answered 429 and the connection closes after it."""
        counted = await self._limits.connect(ip)
        if counted and handler in self._admissions:
            self._counted[handler] = ip
            return True
        if counted:  # it closed while we asked
            self._limits.disconnect(ip)
        else:
            handler.close()
        return False

    async def admitted(self, request: web.BaseRequest) -> bool:
        """Whether the request's connection is within its client's cap (once that is decided)."""
        admission = self._admissions.get(request.protocol)
        return admission is None or await admission

    def connection_lost(self, handler: web.RequestHandler, exc: BaseException | None = None) -> None:
        self._admissions.pop(handler, None)
        ip = self._counted.pop(handler, None)
        if ip is not None:
            self._limits.disconnect(ip)
        super().connection_lost(handler, exc)


class RdapApp:
    """Request handling: method and rate gates, routing, the error table."""

    def __init__(self, core: Core, settings: RdapSettings, limits: IpLimits,
                 admitted: Callable[[web.BaseRequest], Awaitable[bool]] | None = None,
                 form: AbuseForm | None = None) -> None:
        self.core = core
        self.form = form  # the public abuse report form, on its own path outside RDAP's
        self.settings = settings
        self.limits = limits
        self.admitted = admitted  # the connection cap's verdict on the request's connection
        self.base_path = (urlsplit(settings.base_url).path or "/") if settings.base_url else "/"

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """One answer, and one log line with its path, status, latency and client."""
        started = time.perf_counter()
        response = await self._handle(request)
        ms = (time.perf_counter() - started) * 1000
        metrics.observe("rdap", self._kind(request), response.status, ms / 1000)
        path, client = request.raw_path[:200], request.remote or "-"
        _log.info("rdap %s %s status=%d ms=%.1f client=%s", request.method[:16], path, response.status, ms, client,
                  extra={"method": request.method[:16], "path": path, "status": response.status, "ms": round(ms, 2),
                         "client": client})
        return response

    def _kind(self, request: web.BaseRequest) -> str:
        """The query type for metrics (domain, nameservers, help ...; "other" for the rest)."""
        kind = self._locate(request)[2].split("/", 1)[0]
        return kind if kind in routes.LOOKUPS or kind in routes.SEARCHES else "other"

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if self.form is not None and self.form.serves(request.path):
            return await self._form(request)
        if request.method == "OPTIONS":
            return web.Response(status=204, headers={**CORS, "Access-Control-Allow-Methods": ALLOWED_METHODS,
                                                     "Access-Control-Allow-Headers": "Accept"})
        if request.method not in ("GET", "HEAD"):
            return await self._error(request, 405, f"{request.method[:16]} is not supported", None,
                                     {"Allow": ALLOWED_METHODS})
        if self.admitted is not None and not await self.admitted(request):  # refused: already closed
            return await self._error(request, 429, "too many connections from your address", None,
                                     {"Retry-After": "1"}, profile=False)
        wait = await self.limits.take(request.remote or "")
        if wait > 0:
            return await self._error(request, 429, "query rate exceeded; retry later", None,
                                     {"Retry-After": str(max(1, math.ceil(wait)))}, profile=False)
        return await self._answer(request)

    async def _form(self, request: web.BaseRequest) -> web.StreamResponse:
        """The abuse form, behind the same connection cap and query rate as RDAP (and its own
        rate of posted reports)."""
        assert self.form is not None
        if self.admitted is not None and not await self.admitted(request):
            return web.Response(status=429, text="too many connections from your address", headers={"Retry-After": "1"})
        wait = await self.limits.take(request.remote or "")
        if wait > 0:
            return web.Response(status=429, text="request rate exceeded; retry later",
                                headers={"Retry-After": str(max(1, math.ceil(wait)))})
        return await self.form.handle(request)

    def _locate(self, request: web.BaseRequest) -> tuple[str, str, str]:
        """(base URL, query URL, path relative to the base)."""
        base = self.settings.base_url or f"{request.scheme}://{request.host}/"
        raw = request.rel_url.raw_path
        relative = raw[len(self.base_path):] if raw.startswith(self.base_path) else ""
        query = request.rel_url.raw_query_string
        return base, base + relative + (f"?{query}" if query else ""), relative

    async def _answer(self, request: web.BaseRequest) -> web.StreamResponse:
        base, url, relative = self._locate(request)
        hint = None
        try:
            kind, arg = routes.parse_path(relative)
            hint = arg or None
            COUNTS.add(tld_of_domain(arg) if kind == "domain" else None, None, "rdap-queries")
            query = Query(kind, arg, routes.single_params(request.query), base, url)
            return json_response(200, await HANDLERS[kind](self.core, self.settings, query))
        except RdapError as exc:
            return await self._error(request, exc.status, exc.description, hint)
        except CoreError as exc:
            return await self._refusal(request, url, hint, exc)
        except Exception:
            _log.exception("RDAP query failed: %s", url[:200])
            return await self._error(request, 500, "internal error", None, profile=False)

    async def _refusal(self, request: web.BaseRequest, url: str, hint: str | None,
                       exc: CoreError) -> web.Response:
        """The answer to a core error, from the one table."""
        status = status_for(exc)
        if status == 500:
            _log.error("unmapped core error for %s: %r", url[:200], exc)
            return await self._error(request, status, "internal error", hint)
        if status == 503:  # the database is unavailable: asking it for the profile would wait again
            _log.warning("RDAP query failed, database unavailable: %s: %s", url[:200], exc.detail)
            return await self._error(request, status, UNAVAILABLE_DESCRIPTION, None, retry_after(status),
                                     profile=False)
        return await self._error(request, status, exc.detail or type(exc).__name__, hint)

    async def _error(self, request: web.BaseRequest, status: int, description: str, hint: str | None,
                     headers: dict[str, str] | None = None, *, profile: bool = True) -> web.Response:
        base, url, _ = self._locate(request)
        icann = False
        if profile:
            try:
                icann = await icann_profile_for(self.core, hint)
            except Exception:  # the error answer must not fail in turn
                _log.exception("could not read the profile switch")
        view = View(self.settings, base, url, icann)
        return json_response(status, error_body(status, description, view), headers)


def _abuse_form(config: Config, core: Core, store: LimitStore) -> AbuseForm | None:
    abuse = config.abuse
    if not abuse.form_enabled:
        return None
    policy = LimitPolicy(abuse.reports_per_hour / 3600, abuse.report_burst, 0)  # no allowlist: reports are few
    return AbuseForm(core, abuse, IpLimits(policy, store=store, scope="abuse-report"))


class RdapServer:
    def __init__(self, runner: web.ServerRunner, site: web.SockSite, server: web.Server, port: int) -> None:
        self._runner = runner
        self._site = site
        self._server = server
        self.port = port

    async def stop(self, grace: float) -> None:
        """Stop accepting, let requests in progress finish within `grace`, then close."""
        await self._site.stop()
        self._server.pre_shutdown()
        await self._server.shutdown(grace)
        await self._runner.cleanup()


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.setblocking(False)
    return sock


async def start_rdap(config: Config, core: Core, sock: socket.socket | None = None,
                     limits: LimitStore | None = None, write_core: Core | None = None) -> RdapServer:
    """Serve on `sock` (already listening: inherited from the supervisor) or bind host:port;
    the per-IP counts live in `limits` (default: this process). Lookups read through `core`
    (a replica's, perhaps); the abuse form writes its reports through `write_core` (default `core`)."""
    rdap = config.rdap
    settings = RdapSettings.from_config(config)
    ip_limits = IpLimits(LimitPolicy(rdap.rate_per_second, rdap.burst, rdap.max_connections_per_ip, rdap.allowlist),
                         store=limits, scope="rdap")
    app = RdapApp(core, settings, ip_limits, form=_abuse_form(config, write_core or core, ip_limits.store))
    server = _PublicServer(app.handle, ip_limits, keepalive_timeout=rdap.idle_timeout, access_log=None,
                           proxy_header_timeout=rdap.idle_timeout if rdap.proxy_protocol else None)
    app.admitted = server.admitted
    runner = web.ServerRunner(server)
    await runner.setup()
    sock = sock or _listen(rdap.host, rdap.port)
    site = web.SockSite(runner, sock, backlog=1024)
    await site.start()
    port = sock.getsockname()[1]
    _log.info("RDAP listening on http://%s:%d/", rdap.host, port)
    return RdapServer(runner, site, server, port)
