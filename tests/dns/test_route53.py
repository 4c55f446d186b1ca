"""The Route 53 writer against moto in server mode: a real `moto.server` process on a free
loopback port (tests/dns/providers.py starts it for the module and stops it after), spoken
to over HTTP by aiobotocore exactly as Route 53 would be. Moto keeps Route 53's request
limit (1,000 records, an UPSERT counting twice) and its exact-match rule for DELETE.
Throttling is a real HTTP proxy in front of moto that answers Route 53's Throttling error
for the first requests and forwards the rest."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiobotocore.session import AioSession
from aiohttp import web

from protocols.config import config_from_mapping
from protocols.dns.provider_calls import Backoff
from protocols.dns.publisher import WriterError
from protocols.dns.route53 import Route53Settings, Route53Writer, requests
from protocols.dns.writers import writer_for
from registry_core.model.zone import RRset
from registry_core.model.zone_diff import OwnerChange, diff_owner
from tests.dns.providers import moto_url
from tests.dns.servers import free_port

__all__ = ["moto_url"]  # the fixture

KEYS = ("testing-key-id", "testing-secret")
DIGEST = "2bb183af5f22588179a53b0a98631fad1a292118d2a4e0c6c50b1b8d8e45ea46"
THROTTLING = ('<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
              '<Error><Type>Sender</Type><Code>{code}</Code><Message>Rate exceeded</Message></Error>'
              '<RequestId>throttled</RequestId></ErrorResponse>')
serial = itertools.count(1)


@pytest.fixture
async def route53(moto_url: str) -> AsyncIterator[Any]:
    async with AioSession().create_client("route53", region_name="us-east-1", endpoint_url=moto_url,
                                          aws_access_key_id=KEYS[0], aws_secret_access_key=KEYS[1]) as client:
        yield client


async def new_zone(route53: Any, tld: str = "example") -> str:
    reply = await route53.create_hosted_zone(Name=tld + ".", CallerReference=f"test-{next(serial)}")
    return str(reply["HostedZone"]["Id"])


def writer(url: str, zone: str, **settings: Any) -> Route53Writer:
    return Route53Writer({"example": zone}, Route53Settings(endpoint_url=url, credentials=KEYS, **settings))


async def records(route53: Any, zone: str) -> set[tuple[str, str, int, tuple[str, ...]]]:
    """Every RRset of the zone below the apex: (name, type, TTL, sorted values)."""
    found: set[tuple[str, str, int, tuple[str, ...]]] = set()
    async for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone):
        for rrset in page["ResourceRecordSets"]:
            if rrset["Name"] != "example.":
                values = tuple(sorted(r["Value"] for r in rrset["ResourceRecords"]))
                found.add((rrset["Name"], rrset["Type"], rrset["TTL"], values))
    return found


def delegation(name: str, nameservers: tuple[str, ...], ds: tuple[str, ...] = ()) -> tuple[RRset, ...]:
    owner = name + "."
    return (RRset(owner, "NS", 3600, nameservers),) + ((RRset(owner, "DS", 3600, ds),) if ds else ())


GLUE = (RRset("ns1.dom.example.", "A", 3600, ("192.0.2.1",)),
        RRset("ns1.dom.example.", "AAAA", 3600, ("2001:db8::1",)))
DOM = delegation("dom.example", ("ns1.dom.example.", "ns2.other.net."), (f"12345 13 2 {DIGEST}",))
OTHER = delegation("other.example", ("ns.other.net.",))


async def publish_first(url: str, zone: str) -> Route53Writer:
    w = writer(url, zone)
    await w.apply("example", [diff_owner("dom.example", (), DOM), diff_owner("ns1.dom.example", (), GLUE),
                              diff_owner("other.example", (), OTHER)])
    return w


async def test_a_delegation_with_ds_and_glue_lands_exactly(moto_url: str, route53: Any) -> None:
    zone = await new_zone(route53)
    w = await publish_first(moto_url, zone)
    await w.aclose()
    assert await records(route53, zone) == {
        ("dom.example.", "NS", 3600, ("ns1.dom.example.", "ns2.other.net.")),
        ("dom.example.", "DS", 3600, (f"12345 13 2 {DIGEST}",)),
        ("ns1.dom.example.", "A", 3600, ("192.0.2.1",)), ("ns1.dom.example.", "AAAA", 3600, ("2001:db8::1",)),
        ("other.example.", "NS", 3600, ("ns.other.net.",))}


async def test_replacing_ns_removing_ds_and_deleting_a_delegation(moto_url: str, route53: Any) -> None:
    zone = await new_zone(route53)
    w = await publish_first(moto_url, zone)
    new_dom = delegation("dom.example", ("ns3.other.net.", "ns4.other.net."))
    await w.apply("example", [diff_owner("dom.example", DOM, new_dom), diff_owner("ns1.dom.example", GLUE, ()),
                              diff_owner("other.example", OTHER, ())])
    await w.aclose()
    assert await records(route53, zone) == {("dom.example.", "NS", 3600, ("ns3.other.net.", "ns4.other.net."))}


async def test_a_ttl_change_is_upserted(moto_url: str, route53: Any) -> None:
    zone = await new_zone(route53)
    w = await publish_first(moto_url, zone)
    longer = (RRset("other.example.", "NS", 86400, ("ns.other.net.",)),)
    await w.apply("example", [diff_owner("other.example", OTHER, longer)])
    await w.aclose()
    assert ("other.example.", "NS", 86400, ("ns.other.net.",)) in await records(route53, zone)


async def test_a_resend_and_a_stale_delete_read_what_is_there(moto_url: str, route53: Any) -> None:
    """After a crash the publisher sends a batch again: the DELETE finds nothing and is
    dropped. A DELETE whose records differ from Route 53's deletes what Route 53 holds."""
    zone = await new_zone(route53)
    w = await publish_first(moto_url, zone)
    gone = [diff_owner("other.example", OTHER, ())]
    await w.apply("example", gone)
    await w.apply("example", gone)
    stale = delegation("dom.example", DOM[0].rdata, ("1 8 2 " + "00" * 32,))  # not the DS Route 53 holds
    await w.apply("example", [diff_owner("dom.example", stale, DOM[:1])])
    await w.aclose()
    assert ("dom.example.", "DS") not in {(name, rtype) for name, rtype, _ttl, _v in await records(route53, zone)}
    assert ("other.example.", "NS") not in {(name, rtype) for name, rtype, _ttl, _v in await records(route53, zone)}


def many_delegations(count: int) -> list[OwnerChange]:
    return [diff_owner(f"d{i}.example", (), delegation(f"d{i}.example", ("a.ns.net.", "b.ns.net.")))
            for i in range(count)]


async def test_a_batch_over_the_request_limit_is_split_and_all_lands(moto_url: str, route53: Any) -> None:
    """600 owners of two NS records, UPSERTed: 2,400 records as Route 53 counts them, which
    moto (like Route 53) refuses in one request."""
    zone = await new_zone(route53)
    changes = many_delegations(600)
    assert len(list(requests(changes))) == 3
    w = writer(moto_url, zone)
    await w.apply("example", changes)
    await w.aclose()
    landed = await records(route53, zone)
    assert landed == {(f"d{i}.example.", "NS", 3600, ("a.ns.net.", "b.ns.net.")) for i in range(600)}


async def test_one_request_over_the_limit_is_refused_as_moto_does(moto_url: str, route53: Any) -> None:
    """The limit is real: the same batch in one request (limits lifted) is a WriterError."""
    zone = await new_zone(route53)
    w = writer(moto_url, zone, max_records=10**6, max_value_chars=10**7)
    with pytest.raises(WriterError, match="1000"):
        await w.apply("example", many_delegations(600))
    await w.aclose()


async def test_an_unknown_zone_is_a_writer_error(moto_url: str) -> None:
    w = writer(moto_url, "/hostedzone/Z00000000NOSUCHZONE")
    with pytest.raises(WriterError, match="NoSuchHostedZone"):
        await w.apply("example", many_delegations(1))
    await w.aclose()
    with pytest.raises(WriterError, match="no Route 53 hosted zone configured for elsewhere"):
        await w.apply("elsewhere", many_delegations(1))


class ThrottlingProxy:
    """Forwards to moto; answers the first `throttle` ChangeResourceRecordSets with `code`."""

    def __init__(self, target: str, throttle: int, code: str = "Throttling") -> None:
        self.target, self.throttle, self.code = target, throttle, code
        self.seen: list[str] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(f"{request.method} {request.path}")
        if request.method == "POST" and request.path.rstrip("/").endswith("/rrset") and self.throttle > 0:
            self.throttle -= 1
            return web.Response(status=400, text=THROTTLING.format(code=self.code), content_type="text/xml")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with aiohttp.ClientSession() as session, session.request(
                request.method, self.target + request.path_qs, headers=headers, data=body) as reply:
            return web.Response(status=reply.status, body=await reply.read(),
                                content_type=reply.content_type)


@pytest.fixture
async def proxy_factory(moto_url: str) -> AsyncIterator[Any]:
    runners: list[web.AppRunner] = []

    async def start(throttle: int, code: str = "Throttling") -> tuple[ThrottlingProxy, str]:
        proxy = ThrottlingProxy(moto_url, throttle, code)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", proxy.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        return proxy, f"http://127.0.0.1:{port}"
    yield start
    for runner in runners:
        await runner.cleanup()


FAST = Backoff(attempts=4, first=0.01, most=0.05)


@pytest.mark.parametrize("code", ["Throttling", "PriorRequestNotComplete"])
async def test_throttling_is_retried_with_backoff(route53: Any, proxy_factory: Any, code: str) -> None:
    zone = await new_zone(route53)
    proxy, url = await proxy_factory(2, code)
    w = writer(url, zone, backoff=FAST, wait=True, wait_poll=0.01)
    await w.apply("example", many_delegations(3))
    await w.aclose()
    assert len(await records(route53, zone)) == 3
    posts = [s for s in proxy.seen if s.startswith("POST")]
    assert len(posts) == 3, proxy.seen  # two throttled, the third landed
    assert any(s.startswith("GET") and "/change/" in s for s in proxy.seen), "INSYNC was not asked for"


async def test_throttling_that_does_not_end_is_a_writer_error(route53: Any, proxy_factory: Any) -> None:
    zone = await new_zone(route53)
    proxy, url = await proxy_factory(100)
    w = writer(url, zone, backoff=FAST)
    with pytest.raises(WriterError, match="Throttling"):
        await w.apply("example", many_delegations(1))
    await w.aclose()
    assert len(proxy.seen) == FAST.attempts
    assert await records(route53, zone) == set()


async def test_the_writer_from_config_uses_the_aws_credential_chain(moto_url: str, route53: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """[dns] writer = "route53": the keys come from the environment, as from any AWS program."""
    zone = await new_zone(route53)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEYS[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEYS[1])
    config = config_from_mapping({"dns": {"writer": "route53", "route53_zones": [f"Example.={zone}"],
                                          "aws_endpoint_url": moto_url, "aws_region": "eu-west-1"}})
    w = writer_for(config)
    assert isinstance(w, Route53Writer) and w.zones == {"example": zone}
    await w.apply("example", many_delegations(2))
    await w.aclose()
    assert len(await records(route53, zone)) == 2


async def test_serves_is_whether_route53_has_the_hosted_zone(moto_url: str, route53: Any) -> None:
    """The publisher leads a TLD only while its zone is there; a failed change makes the
    next question go to Route 53 again."""
    zone = await new_zone(route53)
    w = writer(moto_url, zone, max_records=10**6, max_value_chars=10**7)
    assert await w.serves("example.") and not await w.serves("other")
    assert w.served.known("example")
    with pytest.raises(WriterError):
        await w.apply("example", many_delegations(600))  # one request over Route 53's limit
    assert not w.served.known("example")
    await w.aclose()
    for url, zone_id in ((moto_url, "/hostedzone/Z00000000NOSUCHZONE"), (f"http://127.0.0.1:{free_port()}", zone)):
        elsewhere = writer(url, zone_id, backoff=FAST)
        assert not await elsewhere.serves("example")
        await elsewhere.aclose()
