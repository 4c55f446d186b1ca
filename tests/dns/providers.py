"""The DNS providers' test parts: moto in server mode (a real `moto.server` process on a
free loopback port, spoken to over HTTP exactly as Route 53 would be) and a local HTTP
stand-in of the Cloudflare API endpoints the writer uses. Cloudflare has no local emulator:
the stand-in is an aiohttp application on a loopback port that answers, as Cloudflare's API
v4 documents them, a zone's details (its status), listing a zone's DNS records (filtered by
exact name, paged) and the batch endpoint (deletes by id, then posts, in one transaction; a
missing id or a bad record refuses the whole batch), checking the bearer token and the
request bodies. It is a stand-in, not Cloudflare."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import web

from tests.dns.servers import free_port

TOKEN = "test-token-0123456789"
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
TYPES = ("A", "AAAA", "NS", "DS", "TXT")


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/moto-api/", process)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def wait_for_http(url: str, process: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "moto server exited"
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise AssertionError(f"moto server did not answer at {url}")


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
