"""The Cloudflare writer against a local HTTP stand-in. Cloudflare has no local emulator, so
this module runs, on a loopback port, an aiohttp application that answers exactly the two
endpoints the writer uses, as Cloudflare's API v4 documents them: a zone's details (its
status), listing a zone's DNS records (filtered by exact name, paged) and the batch endpoint (deletes by id, then posts,
in one transaction; a missing id or a bad record refuses the whole batch). It checks the
bearer token and the request bodies. It is a stand-in, not Cloudflare: what it proves is
what the writer sends and how it reads the answers, through the real SDK over real HTTP."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from protocols.config import config_from_mapping
from protocols.dns.cloudflare_writer import CloudflareSettings, CloudflareWriter
from protocols.dns.provider_calls import Backoff
from protocols.dns.publisher import WriterError
from protocols.dns.writers import writer_for
from registry_core.model.zone import RRset
from registry_core.model.zone_diff import diff_owner
from tests.dns.servers import free_port

TOKEN = "test-token-0123456789"
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
DIGEST = "2bb183af5f22588179a53b0a98631fad1a292118d2a4e0c6c50b1b8d8e45ea46"
FAST = Backoff(attempts=4, first=0.01, most=0.05)
TYPES = ("A", "AAAA", "NS", "DS", "TXT")


def failure(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"success": False, "errors": [{"code": code, "message": message}], "messages": [],
                              "result": None}, status=status)


class CloudflareStandIn:
    """One zone's records, the requests seen, and 429s to give on the next requests."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.seen: list[tuple[str, str, Any]] = []  # (method, path with query, JSON body)
        self.throttle = 0
        self.status = "active"

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.guard])
        app.router.add_get(f"/zones/{ZONE}", self.zone)
        app.router.add_get(f"/zones/{ZONE}/dns_records", self.list)
        app.router.add_post(f"/zones/{ZONE}/dns_records/batch", self.batch)
        return app

    @web.middleware
    async def guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        self.seen.append((request.method, request.path_qs, body))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return failure(403, 10000, "Authentication error")
        if self.throttle > 0:
            self.throttle -= 1
            return web.Response(status=429, headers={"Retry-After": "0"}, content_type="application/json",
                                text=json.dumps({"success": False, "errors": [{"code": 971, "message": "slow down"}]}))
        return await handler(request)  # type: ignore[no-any-return]

    async def zone(self, request: web.Request) -> web.Response:
        return web.json_response({"success": True, "errors": [], "messages": [],
                                  "result": {"id": ZONE, "name": "example", "status": self.status}})

    async def list(self, request: web.Request) -> web.Response:
        name = request.query.get("name.exact")
        if name is None or not set(request.query) <= {"name.exact", "page", "per_page"}:
            return failure(400, 9000, f"stand-in expects name.exact, page, per_page: {dict(request.query)}")
        page, per_page = int(request.query.get("page", 1)), int(request.query.get("per_page", 100))
        found = sorted((r for r in self.records.values() if r["name"] == name.lower()), key=lambda r: r["id"])
        chunk = found[(page - 1) * per_page:page * per_page]
        return web.json_response({"success": True, "errors": [], "messages": [], "result": chunk,
                                  "result_info": {"page": page, "per_page": per_page, "count": len(chunk),
                                                  "total_count": len(found)}})

    async def batch(self, request: web.Request) -> web.Response:
        body = await request.json()
        if set(body) - {"deletes", "posts"}:
            return failure(400, 9000, f"stand-in takes deletes and posts only: {sorted(body)}")
        missing = [d["id"] for d in body.get("deletes", []) if d["id"] not in self.records]
        if missing:
            return failure(404, 81044, f"Record {missing[0]} does not exist.")
        refusal = next((why for why in map(self.refusal, body.get("posts", [])) if why), None)
        if refusal:
            return failure(400, 9005, refusal)
        deleted = [self.records.pop(d["id"]) for d in body.get("deletes", [])]
        posted = [self.add(post) for post in body.get("posts", [])]
        return web.json_response({"success": True, "errors": [], "messages": [],
                                  "result": {"deletes": deleted, "posts": posted}})

    @staticmethod
    def refusal(post: dict[str, Any]) -> str | None:
        if post.get("type") not in TYPES or not post.get("name"):
            return f"bad record {post}"
        if not (post.get("ttl") == 1 or 60 <= post.get("ttl", 0) <= 86400):
            return "TTL must be between 60 and 86400 seconds, or 1 for Automatic."
        if post["type"] == "DS":
            return None if set(post.get("data", {})) == {"key_tag", "algorithm", "digest_type", "digest"} \
                and "content" not in post else f"DS needs its data: {post}"
        return None if post.get("content") else f"content missing: {post}"

    def add(self, post: dict[str, Any]) -> dict[str, Any]:
        record = dict(post, id=f"{next(self.ids):032x}", proxiable=post["type"] in ("A", "AAAA"),
                      created_on="2026-12-03T09:00:00Z", modified_on="2026-12-03T09:00:00Z", meta={}, tags=[])
        record.setdefault("proxied", False)
        if post["type"] == "DS":  # Cloudflare fills content in from the data
            data = post["data"]
            record["content"] = f"{data['key_tag']} {data['algorithm']} {data['digest_type']} {data['digest']}"
        self.records[record["id"]] = record
        return record

    def held(self) -> set[tuple[str, str, int, str]]:
        return {(r["name"], r["type"], r["ttl"], r["content"]) for r in self.records.values()}


@pytest.fixture
async def stand_in() -> AsyncIterator[tuple[CloudflareStandIn, str]]:
    cloudflare = CloudflareStandIn()
    runner = web.AppRunner(cloudflare.app())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield cloudflare, f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def writer(stand_in: tuple[CloudflareStandIn, str]) -> AsyncIterator[CloudflareWriter]:
    w = CloudflareWriter({"example": ZONE}, TOKEN, CloudflareSettings(base_url=stand_in[1], backoff=FAST,
                                                                        per_page=2))
    yield w
    await w.aclose()


def delegation(name: str, nameservers: tuple[str, ...], ds: tuple[str, ...] = (), ttl: int = 3600
               ) -> tuple[RRset, ...]:
    return (RRset(name, "NS", ttl, nameservers),) + ((RRset(name, "DS", ttl, ds),) if ds else ())


DOM = delegation("dom.example.", ("ns1.dom.example.", "ns2.other.net.", "ns3.other.net."), (f"12345 13 2 {DIGEST}",))
GLUE = (RRset("ns1.dom.example.", "A", 3600, ("192.0.2.1",)),
        RRset("ns1.dom.example.", "AAAA", 3600, ("2001:db8::1",)))
FIRST = [diff_owner("dom.example", (), DOM), diff_owner("ns1.dom.example", (), GLUE)]
PUBLISHED = {("dom.example", "NS", 3600, "ns1.dom.example"), ("dom.example", "NS", 3600, "ns2.other.net"),
             ("dom.example", "NS", 3600, "ns3.other.net"),
             ("dom.example", "DS", 3600, f"12345 13 2 {DIGEST.upper()}"),
             ("ns1.dom.example", "A", 3600, "192.0.2.1"), ("ns1.dom.example", "AAAA", 3600, "2001:db8::1")}


async def test_adds_land_as_cloudflare_records(stand_in: tuple[CloudflareStandIn, str],
                                               writer: CloudflareWriter) -> None:
    cloudflare, _url = stand_in
    await writer.apply("example", FIRST)
    assert cloudflare.held() == PUBLISHED
    posts = [body for method, path, body in cloudflare.seen if path.endswith("/batch")]
    assert len(posts) == 1 and not posts[0].get("deletes")
    ds = next(p for p in posts[0]["posts"] if p["type"] == "DS")
    assert ds == {"name": "dom.example", "type": "DS", "ttl": 3600,
                  "data": {"key_tag": 12345, "algorithm": 13, "digest_type": 2, "digest": DIGEST.upper()}}
    assert {"name": "ns1.dom.example", "type": "A", "ttl": 3600, "content": "192.0.2.1", "proxied": False} \
        in posts[0]["posts"]


async def test_replacements_and_deletes_by_id_reading_every_page(stand_in: tuple[CloudflareStandIn, str],
                                                                 writer: CloudflareWriter) -> None:
    """Three NS and a DS at dom.example are two pages of two: both are read."""
    cloudflare, _url = stand_in
    await writer.apply("example", FIRST)
    cloudflare.seen.clear()
    new_dom = delegation("dom.example.", ("ns2.other.net.", "ns4.other.net."), ttl=7200)
    await writer.apply("example", [diff_owner("dom.example", DOM, new_dom), diff_owner("ns1.dom.example", GLUE, ())])
    assert cloudflare.held() == {("dom.example", "NS", 7200, "ns2.other.net"),
                                 ("dom.example", "NS", 7200, "ns4.other.net")}
    pages = [path for method, path, _b in cloudflare.seen if method == "GET" and "name.exact=dom.example&" in path]
    assert any("page=2" in p for p in pages) and any("page=3" in p for p in pages), pages


async def test_a_resend_changes_nothing(stand_in: tuple[CloudflareStandIn, str], writer: CloudflareWriter) -> None:
    cloudflare, _url = stand_in
    await writer.apply("example", FIRST)
    cloudflare.seen.clear()
    await writer.apply("example", FIRST)
    assert cloudflare.held() == PUBLISHED
    assert not [path for method, path, _b in cloudflare.seen if method == "POST"]


async def test_other_types_at_an_owner_are_left_alone(stand_in: tuple[CloudflareStandIn, str],
                                                      writer: CloudflareWriter) -> None:
    cloudflare, _url = stand_in
    cloudflare.add({"name": "dom.example", "type": "TXT", "ttl": 300, "content": "kept"})
    await writer.apply("example", FIRST)
    await writer.apply("example", [diff_owner("dom.example", DOM, ())])
    assert {r for r in cloudflare.held() if r[0] == "dom.example"} == {("dom.example", "TXT", 300, "kept")}


async def test_a_429_is_retried(stand_in: tuple[CloudflareStandIn, str], writer: CloudflareWriter) -> None:
    cloudflare, _url = stand_in
    cloudflare.throttle = 2
    await writer.apply("example", FIRST[:1])
    assert {r[1] for r in cloudflare.held()} == {"NS", "DS"}
    assert cloudflare.throttle == 0


async def test_a_4xx_is_a_writer_error(stand_in: tuple[CloudflareStandIn, str], writer: CloudflareWriter) -> None:
    cloudflare, _url = stand_in
    too_short = (RRset("dom.example.", "NS", 5, ("ns.other.net.",)),)
    with pytest.raises(WriterError, match="TTL must be between"):
        await writer.apply("example", [diff_owner("dom.example", (), too_short)])
    assert cloudflare.held() == set()
    cloudflare.throttle = 100
    with pytest.raises(WriterError, match="RateLimitError"):
        await writer.apply("example", FIRST)


async def test_a_wrong_token_is_a_writer_error_that_does_not_show_it(stand_in: tuple[CloudflareStandIn, str]) -> None:
    _cloudflare, url = stand_in
    secret = "not-the-token-9876"
    w = CloudflareWriter({"example": ZONE}, secret, CloudflareSettings(base_url=url, backoff=FAST))
    with pytest.raises(WriterError, match="PermissionDenied") as caught:
        await w.apply("example", FIRST)
    await w.aclose()
    assert secret not in str(caught.value)


async def test_an_unmapped_type_or_an_unknown_tld_is_a_writer_error(writer: CloudflareWriter) -> None:
    with pytest.raises(WriterError, match="does not publish TXT"):
        await writer.apply("example", [diff_owner("dom.example", (), (RRset("dom.example.", "TXT", 300, ('"x"',)),))])
    with pytest.raises(WriterError, match="no Cloudflare zone configured for other"):
        await writer.apply("other", FIRST)


async def test_the_writer_from_config_reads_its_token_file(stand_in: tuple[CloudflareStandIn, str],
                                                           tmp_path: Path) -> None:
    cloudflare, url = stand_in
    token_file = tmp_path / "cloudflare.token"
    token_file.write_text(TOKEN + "\n")
    config = config_from_mapping({"dns": {"writer": "cloudflare", "cloudflare_zones": [f"example={ZONE}"],
                                          "cloudflare_token_file": str(token_file), "cloudflare_base_url": url}})
    w = writer_for(config)
    assert isinstance(w, CloudflareWriter)
    await w.apply("example", FIRST)
    await w.aclose()
    assert cloudflare.held() == PUBLISHED


async def test_serves_is_whether_cloudflare_has_the_zone(stand_in: tuple[CloudflareStandIn, str],
                                                         writer: CloudflareWriter) -> None:
    cloudflare, url = stand_in
    assert await writer.serves("example.") and not await writer.serves("other")
    cloudflare.status = "deactivated"
    assert await writer.serves("example")  # remembered for a while ...
    writer.served.forget("example")
    assert not await writer.serves("example")  # ... then asked again
    for base, zone in ((url, "0" * 32), (f"http://127.0.0.1:{free_port()}", ZONE)):
        elsewhere = CloudflareWriter({"example": zone}, TOKEN, CloudflareSettings(base_url=base, backoff=FAST))
        assert not await elsewhere.serves("example")
        await elsewhere.aclose()
