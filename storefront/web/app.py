"""The storefront as an aiohttp application: the search page and its results, rendered on
the server, with the consoles' security headers (strict CSP, no inline script), bounded
request bodies and a per-IP rate on searches (each costs the registries a check).

The shop's other pages (account, cart, checkout, orders) mount on the same application."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp_jinja2
import asyncpg
import jinja2
from aiohttp import web

from protocols.net.limits import RateBuckets
from protocols.web.security import headers_middleware
from storefront.engine import SearchEngine
from storefront.mail import MailSender
from storefront.search import QueryRejected
from storefront.web.sessions import POOL

_log = logging.getLogger("storefront.web")
HERE = Path(__file__).parent
SHOP: web.AppKey[Shop] = web.AppKey("shop")
MAX_BODY = 64 * 1024


@dataclass
class Shop:
    """What the pages need: the search engine over the registry connectors, and limits."""

    engine: SearchEngine
    title: str = "Domain shop"
    searches_per_second: float = 2.0  # per client IP, with a burst of `search_burst`
    search_burst: int = 10
    trusted_proxies: tuple[str, ...] = ()
    mail: MailSender | None = None  # wake() it after a commit that wrote a mail
    pool: asyncpg.Pool | None = None  # the shop's database (accounts, carts, orders); None: search only
    buckets: RateBuckets = field(init=False)

    def __post_init__(self) -> None:
        self.buckets = RateBuckets(self.searches_per_second, self.search_burst)


def client_ip(request: web.Request) -> str:
    """The peer (X-Forwarded-For is believed only from a configured proxy)."""
    peer = request.remote or "unknown"
    shop = request.app[SHOP]
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and peer in shop.trusted_proxies:
        return forwarded.split(",")[-1].strip()
    return peer


async def home(request: web.Request) -> web.Response:
    return _page(request, "search.html", {"query": "", "offers": None, "error": None})


async def search(request: web.Request) -> web.Response:
    shop = request.app[SHOP]
    query = request.query.get("q", "").strip()
    if not query:
        raise web.HTTPFound("/")
    allowed, wait = shop.buckets.reserve(client_ip(request), 0.0)
    if not allowed:
        response = _page(request, "search.html", {"query": query, "offers": None,
                                                  "error": "Too many searches from your address; try again shortly."},
                         status=429)
        response.headers["Retry-After"] = str(max(1, round(wait)))
        return response
    try:
        offers = await shop.engine.search(query)
    except QueryRejected as refusal:
        return _page(request, "search.html", {"query": query, "offers": None, "error": str(refusal)}, status=400)
    return _page(request, "search.html", {"query": query, "offers": offers, "error": None})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _page(request: web.Request, template: str, context: dict[str, object], status: int = 200) -> web.Response:
    context = {"title": request.app[SHOP].title, **context}
    return aiohttp_jinja2.render_template(template, request, context, status=status)


def build_app(shop: Shop, *, hsts: bool = False) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[headers_middleware(hsts)])
    app[SHOP] = shop
    if shop.pool is not None:
        app[POOL] = shop.pool
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                         undefined=jinja2.StrictUndefined)
    app.router.add_get("/", home)
    app.router.add_get("/search", search)
    app.router.add_get("/healthz", health)
    app.router.add_static("/static", HERE / "static", follow_symlinks=False)
    return app


class ShopServer:
    """The shop's listener: start() on a socket (or host and port), stop(grace)."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.runner = web.AppRunner(app, access_log=None)
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 8083, sock: socket.socket | None = None) -> None:
        await self.runner.setup()
        site: web.BaseSite = (web.SockSite(self.runner, sock) if sock is not None
                              else web.TCPSite(self.runner, host, port))
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        _log.info("storefront listening on %s:%d", host, self.port)

    async def stop(self, grace: float = 5.0) -> None:
        await self.runner.shutdown()
        await self.runner.cleanup()
