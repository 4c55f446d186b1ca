"""The real publisher, over the test database, writing through each provider writer: EPP-level
changes (a delegation with DS and glue, an NS change, a DS removal, a delete) reach the
Route 53 hosted zone in moto and the Cloudflare stand-in (tests/dns/providers.py) exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiobotocore.session import AioSession

from protocols.dns.cloudflare_writer import CloudflareSettings, CloudflareWriter
from protocols.dns.publisher import Publisher, PublisherSettings, ZoneWriter
from protocols.dns.route53 import Route53Settings, Route53Writer
from registry_core.context import Core
from registry_core.model.domain import DomainUpdate, DsData
from registry_core.services import domain_update, domains
from tests.conftest import actor
from tests.core.helpers import make_domain, make_host
from tests.dns.providers import TOKEN, ZONE, CloudflareStandIn, moto_url, stand_in

__all__ = ["moto_url", "stand_in"]  # the fixtures

KEYS = ("testing-key-id", "testing-secret")
DIGEST = "2BB183AF5F22588179A53B0A98631FAD1A292118D2A4E0C6C50B1B8D8E45EA46"
FAST = PublisherSettings(attempts=2, backoff=0.01)
Held = set[tuple[str, str, str]]  # (owner without the dot, type, one record)


async def registry_changes(core: Core, publish: Any, held: Any) -> None:
    """Create a delegation with glue and DS, publish; change NS and drop the DS, delete another."""
    await make_host(core, "ns.external.net")
    await make_domain(core, "a.example", ns=("ns.external.net",))
    await make_domain(core, "b.example", ns=("ns.external.net",))
    await make_host(core, "ns1.a.example", addresses=("192.0.2.1", "2001:db8::1"))
    await domain_update.update_domain(core, actor("alpha"), DomainUpdate(
        "a.example", add_nameservers=("ns1.a.example",), add_ds=(DsData(12345, 13, 2, DIGEST),)))
    await publish()
    assert await held() == {
        ("a.example", "NS", "ns.external.net"), ("a.example", "NS", "ns1.a.example"),
        ("a.example", "DS", f"12345 13 2 {DIGEST.lower()}"),
        ("ns1.a.example", "A", "192.0.2.1"), ("ns1.a.example", "AAAA", "2001:db8::1"),
        ("b.example", "NS", "ns.external.net")}
    await domain_update.update_domain(core, actor("alpha"), DomainUpdate(
        "a.example", rem_nameservers=("ns1.a.example",), rem_all_ds=True))
    await domains.delete_domain(core, actor("alpha"), "b.example")
    await publish()
    assert await held() == {("a.example", "NS", "ns.external.net")}


async def publisher_run(core: Core, writer: ZoneWriter) -> None:
    await Publisher(core, writer, FAST).publish_pending("example")


@pytest.fixture
async def route53(moto_url: str) -> AsyncIterator[Any]:
    async with AioSession().create_client("route53", region_name="us-east-1", endpoint_url=moto_url,
                                          aws_access_key_id=KEYS[0], aws_secret_access_key=KEYS[1]) as client:
        yield client


async def test_the_publisher_through_route53(core: Core, moto_url: str, route53: Any) -> None:
    zone = (await route53.create_hosted_zone(Name="example.", CallerReference="publisher-e2e"))["HostedZone"]["Id"]
    writer = Route53Writer({"example": zone}, Route53Settings(endpoint_url=moto_url, credentials=KEYS))

    async def held() -> Held:
        found: Held = set()
        async for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone):
            found |= {(r["Name"].rstrip("."), r["Type"], v["Value"].rstrip(".")) for r in page["ResourceRecordSets"]
                      if r["Name"] != "example." for v in r["ResourceRecords"]}
        return found
    try:
        await registry_changes(core, lambda: publisher_run(core, writer), held)
    finally:
        await writer.aclose()


async def test_the_publisher_through_cloudflare(core: Core, stand_in: tuple[CloudflareStandIn, str]) -> None:
    cloudflare, url = stand_in
    writer = CloudflareWriter({"example": ZONE}, TOKEN, CloudflareSettings(base_url=url))

    async def held() -> Held:
        return {(name, rtype, content.lower()) for name, rtype, _ttl, content in cloudflare.held()}
    try:
        await registry_changes(core, lambda: publisher_run(core, writer), held)
    finally:
        await writer.aclose()
