"""RDAP searches (RFC 9082 section 3.2) with RFC 8977 paging, backed by the name indexes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import asyncpg
import pytest

from registry_core.db.repo import lookup as lookup_repo
from tests.core.helpers import make_domain
from tests.rdap.conftest import running_rdap
from tests.rdap.rfc9083 import check_search


async def names_of(rdap, path: str, member: str = "domainSearchResults", kind: str = "domain") -> list[str]:
    reply = await rdap.get(path)
    assert reply.status == 200, reply.raw[:300]
    doc = reply.json
    assert check_search(doc, member, kind) == []
    key = "handle" if kind == "entity" else "ldhName"
    return [item[key] for item in doc[member]]


@pytest.fixture
async def many(core, seeded):
    for name in ("exact.example", "example-two.example", "other.strict", "bücher.example"):
        await make_domain(core, name, registrant=seeded.private_contact,
                          contacts_=(("admin", seeded.private_contact), ("tech", seeded.private_contact)))
    return seeded


@pytest.mark.parametrize("pattern, expected", [
    ("exa*", ["exact.example", "example-name.example", "example-two.example"]),
    ("EXAMPLE-*", ["example-name.example", "example-two.example"]),
    ("ex*.example", ["exact.example", "example-name.example", "example-two.example"]),
    ("o*.strict", ["other.strict"]), ("o*.example", []), ("exact.example", ["exact.example"]),
    ("Bücher.example", ["xn--bcher-kva.example"]), ("xn--b*", ["xn--bcher-kva.example"]),
    ("nothing*", []),
])
async def test_domains_by_name(rdap, many, pattern, expected):
    assert await names_of(rdap, f"domains?name={pattern}") == expected


async def test_hits_show_grace_periods_and_registrars_as_lookups_do(rdap, many):
    hits = (await rdap.get("domains?name=ex*.example")).json["domainSearchResults"]
    assert len(hits) == 3 and all(h["status"][-1] == "add period" for h in hits)  # RFC 3915, just created
    lookup = (await rdap.get(f"domain/{hits[0]['ldhName']}")).json
    registrar = lookup["entities"][0]
    assert registrar["roles"] == ["registrar"]
    for hit in hits:  # one registrar: its entity as the lookup shows it, without the abuse contact
        (entity,) = hit["entities"]
        assert entity["handle"] == registrar["handle"] and entity["vcardArray"] == registrar["vcardArray"]
        assert "entities" not in entity and entity == hits[0]["entities"][0]


async def test_domains_by_nameserver_name_and_address(rdap, many):
    assert await names_of(rdap, "domains?nsLdhName=ns1.dns-host.net") == [many.domain]
    assert await names_of(rdap, "domains?nsLdhName=ns1.example-*") == [many.domain]
    assert await names_of(rdap, "domains?nsIp=2001:7fd:0::1") == [many.domain]
    assert await names_of(rdap, "domains?nsIp=193.0.14.130") == []


async def test_nameservers_by_name_and_address(rdap, many):
    expected = [many.external_host, many.glue_host]
    assert await names_of(rdap, "nameservers?name=ns1.*", "nameserverSearchResults", "nameserver") == expected
    assert await names_of(rdap, "nameservers?ip=193.0.14.129", "nameserverSearchResults", "nameserver") == \
        [many.glue_host]


async def test_registrar_entities_by_name_and_handle(rdap, many):
    assert await names_of(rdap, "entities?fn=alpha*", "entitySearchResults", "entity") == ["alpha"]
    assert await names_of(rdap, "entities?fn=Beta Registrar", "entitySearchResults", "entity") == ["beta"]
    assert await names_of(rdap, "entities?handle=9999", "entitySearchResults", "entity") == ["alpha"]
    assert await names_of(rdap, "entities?handle=b*", "entitySearchResults", "entity") == ["beta"]
    assert await names_of(rdap, "entities?fn=priv*", "entitySearchResults", "entity") == []  # no contacts


async def test_results_come_in_pages_with_a_truncation_notice(core, seeded):
    for i in range(5):
        await make_domain(core, f"page-{i}.example")
    seen: list[str] = []
    async with running_rdap(core, search_limit=2) as rdap:
        path = "domains?name=page-*"
        for _ in range(3):
            doc = (await rdap.get(path)).json
            assert check_search(doc, "domainSearchResults", "domain") == []
            seen += [d["ldhName"] for d in doc["domainSearchResults"]]
            links = doc["paging_metadata"].get("links")
            if not links:
                assert not any(n.get("type") for n in doc["notices"])
                break
            assert "paging" in doc["rdapConformance"]
            assert doc["notices"][-1]["type"] == "result set truncated due to excessive load"
            path = links[0]["href"].removeprefix(rdap.base)
    assert seen == [f"page-{i}.example" for i in range(5)]
    assert doc["paging_metadata"]["pageNumber"] == 3


async def test_prefix_search_is_an_index_range_scan(core, seeded):
    """Over many domains the name search reads the text_pattern_ops index, also with the
    generic plan a prepared statement ends up with."""
    async with core.db.pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO domain (roid, name, tld, sponsor_id, creator_id, created_at, expires_at)
               SELECT 'B' || g || '-EXAMPLE', 'bulk' || g || '.example', 'example', 'alpha', 'alpha', now(),
                      now() + interval '1 year' FROM generate_series(1, 20000) g""")
        await conn.execute("ANALYZE domain")
        for prefix in ("bulk1", "bulk1234"):  # 55 % of the rows, and 11 of them
            condition, args = lookup_repo.name_range("d.name", prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1), "")
            sql = lookup_repo._SUMMARY.format(condition=condition)
            for mode in ("auto", "force_generic_plan"):
                await conn.execute(f"SET plan_cache_mode = {mode}")
                plan = await conn.fetch("EXPLAIN " + sql, "", 101, *args)
                text = "\n".join(r[0] for r in plan)
                assert "Index Scan using domain_name_prefix on domain" in text, (prefix, mode, text)
                # "Seq Scan on domain d" (the domain table itself), not "Seq Scan on domain_host"
                assert not re.search(r"Seq Scan on domain\b(?!_)", text), (prefix, mode, text)
        await conn.execute("RESET plan_cache_mode")


async def test_a_prepared_prefix_search_settles_on_its_generic_plan(core, seeded, test_dsn):
    """Planning a search page costs about what running it does: after its first custom
    plans, the prepared statement runs on the generic one (PostgreSQL counts both). With
    short prefixes of many names the planner's custom estimates are tiny, and with plain
    parameters it would plan every search afresh."""
    condition, _ = lookup_repo.name_range("d.name", "", "", "")
    sql = lookup_repo._SUMMARY.format(condition=condition)
    counts = "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1"
    conn = await asyncpg.connect(test_dsn)  # its own connection: no earlier plans of this statement
    try:
        await conn.execute(
            """INSERT INTO domain (roid, name, tld, sponsor_id, creator_id, created_at, expires_at)
               SELECT 'G' || g || '-EXAMPLE', 'x' || md5(g::text) || '.example', 'example', 'alpha', 'alpha',
                      now(), now() + interval '1 year' FROM generate_series(1, 20000) g""")
        await conn.execute("ANALYZE domain")
        prefixes = [f"x{h:03x}" for h in range(0, 4096, 200)]  # about five names each
        await lookup_repo.search_domains_by_name(conn, "x000", "x001", "", "", 11, datetime.now(UTC))
        before = await conn.fetchrow(counts, sql)
        for prefix in prefixes:
            found = await lookup_repo.search_domains_by_name(
                conn, prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1), "", "", 11, datetime.now(UTC))
            assert all(d.name.startswith(prefix) for d in found)
        after = await conn.fetchrow(counts, sql)
    finally:
        await conn.close()
    custom, generic = (after["custom_plans"] - before["custom_plans"], after["generic_plans"] - before["generic_plans"])
    assert custom <= 5 and generic >= len(prefixes) - 5, (custom, generic)
