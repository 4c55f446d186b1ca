"""The Cloudflare writer against the local HTTP stand-in of tests/dns/providers.py: Cloudflare
has no local emulator, so these tests run the real SDK over real HTTP against an aiohttp
application on a loopback port that answers the endpoints the writer uses as Cloudflare's
API documents them. What they prove is what the writer sends and how it reads the answers;
they are not a test of Cloudflare itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from protocols.config import config_from_mapping
from protocols.dns.cloudflare_writer import CloudflareSettings, CloudflareWriter
from protocols.dns.provider_calls import Backoff
from protocols.dns.publisher import WriterError
from protocols.dns.writers import writer_for
from registry_core.model.zone import RRset
from registry_core.model.zone_diff import diff_owner
from tests.dns.providers import TOKEN, ZONE, CloudflareStandIn, stand_in
from tests.dns.servers import free_port

__all__ = ["stand_in"]  # the fixture

DIGEST = "2bb183af5f22588179a53b0a98631fad1a292118d2a4e0c6c50b1b8d8e45ea46"
FAST = Backoff(attempts=4, first=0.01, most=0.05)


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
