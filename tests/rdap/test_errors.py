"""RDAP error answers (RFC 7480 section 5, RFC 9083 section 6): the right status, CORS
and a valid error body for each; and nothing a client sends gives a 500."""

from __future__ import annotations

import asyncio

import pytest

from tests.rdap.rfc9083 import check_error


async def assert_error(rdap, path: str, status: int, method: str = "GET") -> dict:
    reply = await rdap.get(path, method=method)
    assert reply.status == status, (path, reply.raw[:300])
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert reply.headers["Content-Type"] == "application/rdap+json"
    doc = reply.json
    assert check_error(doc, status) == []
    return doc


@pytest.mark.parametrize("path", ["domain/nx-name.example", "domain/nx-name.other", "nameserver/ns1.nx-name.example",
                                  "nameserver/ns1.nx-name.net", "entity/NXHANDLE-X", "entity/424242"])
async def test_unknown_objects_are_404(rdap, seeded, path):
    await assert_error(rdap, path, 404)


@pytest.mark.parametrize("path", ["domain/a..example", f"domain/{'x' * 64}.example", "domain/-bad-.example",
                                  "domain/example", "domain/", "nameserver/a..b", "domain/%FF.example",
                                  "frobnicate/x", "", "domain/a/b", "domains", "domains?name=a&name=b",
                                  "domains?nsIp=not-an-ip", "nameservers?ip=1.2.3", "domains?name=exa*&cursor=!!",
                                  "domains?name=ex_*", "entity/" + "x" * 70])
async def test_malformed_queries_are_400(rdap, seeded, path):
    await assert_error(rdap, path, 400)


@pytest.mark.parametrize("path", ["domains?name=*", "domains?name=*ample", "domains?name=e*a*",
                                  "domains?name=b%C3%BC*", "nameservers?name=ns1.*.example", "entities?fn=*"])
async def test_unsupported_search_patterns_are_422(rdap, seeded, path):
    await assert_error(rdap, path, 422)


@pytest.mark.parametrize("path", ["ip/192.0.2.1", "autnum/65536", "ips?handle=x"])
async def test_query_types_of_other_registries_are_501(rdap, path):
    await assert_error(rdap, path, 501)


async def test_other_methods_are_405_and_options_is_a_preflight(rdap):
    reply = await rdap.get("domain/x.example", method="POST")
    assert reply.status == 405 and "GET" in reply.headers["Allow"]
    assert check_error(reply.json, 405) == []
    options = await rdap.get("domain/x.example", method="OPTIONS")
    assert options.status == 204 and options.headers["Access-Control-Allow-Origin"] == "*"


async def test_error_bodies_carry_rdap_conformance_and_terms(rdap):
    doc = await assert_error(rdap, "domain/nx-name.example", 404)
    assert doc["rdapConformance"] == ["rdap_level_0"]
    assert doc["notices"][0]["links"][0]["rel"] == "terms-of-service"


ODD_PATHS = ["domain/%00.example", "domain/..%2F..%2Fetc", "domain/%E2%80%AE.example", "domain/xn--.example",
             "domain/xn--zz.example", "domain/" + "a." * 200 + "example", "nameserver/%20", "entity/%0A",
             "entity/a%2Fb", "domains?name=" + "a" * 300 + "*", "domains?nsLdhName=ns1.*",
             "domains?nsIp=::ffff:1.2.3.4",
             "nameservers?name=%FF*", "entities?handle=%00", "domains?name=exa*&cursor=" + "A" * 600,
             "domains?name=exa*&cursor=MTo=", "domain/%C0%AF.example", "entity/9" * 30, "help/extra",
             "domain/x.example?x=" + "%FF" * 10, "nameservers?name=xn--*", "domain/.", "domain/..."]


async def test_nothing_a_client_sends_is_a_500(rdap, seeded):
    replies = await asyncio.gather(*(rdap.get(path) for path in ODD_PATHS))
    for path, reply in zip(ODD_PATHS, replies, strict=True):
        assert reply.status < 500, (path, reply.status, reply.raw[:200])
        if reply.status != 200:
            assert check_error(reply.json, reply.status) == [], path
