"""The provider writers' pure parts: RRsets to Route 53 changes and to Cloudflare record
bodies, what counts against a request's limits, and how batches are split (owners whole)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from protocols.dns.cloudflare_writer import OwnerOps, batches, listed_key, owner_ops, record_body, record_key
from protocols.dns.route53 import cost, owner_changes, requests
from registry_core.model.zone import RRset
from registry_core.model.zone_diff import diff_owner

DIGEST = "2bb183af5f22588179a53b0a98631fad1a292118d2a4e0c6c50b1b8d8e45ea46"
NS = RRset("dom.example.", "NS", 3600, ("ns1.dom.example.", "ns2.other.net."))
DS = RRset("dom.example.", "DS", 3600, (f"12345 13 2 {DIGEST}",))


def test_route53_upserts_what_is_new_or_different_and_deletes_what_is_gone_as_published() -> None:
    new_ns = RRset("dom.example.", "NS", 3600, ("ns3.other.net.",))
    changes = owner_changes(diff_owner("dom.example", (NS, DS), (new_ns,)))
    assert changes == [
        {"Action": "DELETE", "ResourceRecordSet": {"Name": "dom.example.", "Type": "DS", "TTL": 3600,
                                                   "ResourceRecords": [{"Value": f"12345 13 2 {DIGEST}"}]}},
        {"Action": "UPSERT", "ResourceRecordSet": {"Name": "dom.example.", "Type": "NS", "TTL": 3600,
                                                   "ResourceRecords": [{"Value": "ns3.other.net."}]}}]


def test_route53_leaves_an_unchanged_rrset_out_and_upserts_a_new_ttl() -> None:
    longer = RRset("dom.example.", "DS", 86400, DS.rdata)
    changes = owner_changes(diff_owner("dom.example", (NS, DS), (NS, longer)))
    assert [(c["Action"], c["ResourceRecordSet"]["Type"], c["ResourceRecordSet"]["TTL"]) for c in changes] == [
        ("UPSERT", "DS", 86400)]


def test_route53_counts_an_upsert_twice() -> None:
    upsert = owner_changes(diff_owner("dom.example", (), (NS,)))
    delete = owner_changes(diff_owner("dom.example", (NS,), ()))
    chars = len("ns1.dom.example.") + len("ns2.other.net.")
    assert cost(upsert) == (4, 2 * chars)
    assert cost(delete) == (2, chars)


def delegations(count: int, values: int, width: int = 10) -> list:
    return [diff_owner(f"d{i}.example", (), (RRset(f"d{i}.example.", "NS", 3600,
                                                   tuple(f"{'n' * width}{j}.net." for j in range(values))),))
            for i in range(count)]


def test_route53_requests_split_on_records_and_on_characters() -> None:
    by_records = list(requests(delegations(300, 2)))  # 4 records each as counted: 250 owners a request
    assert [len(r) for r in by_records] == [250, 50]
    by_chars = list(requests(delegations(100, 1, width=300)))  # 2 x 306 characters each: 52 a request
    assert [len(r) for r in by_chars] == [52, 48]


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=60),
       st.integers(min_value=10, max_value=200))
def test_route53_requests_keep_owners_whole_and_in_order(sizes: list[int], limit: int) -> None:
    changes = [diff_owner(f"d{i}.example", (), (RRset(f"d{i}.example.", "NS", 60,
                                                      tuple(f"n{j}.net." for j in range(n))),))
               for i, n in enumerate(sizes)]
    sent = list(requests(changes, max_records=limit))
    names = [c["ResourceRecordSet"]["Name"] for request in sent for c in request]
    assert names == [f"d{i}.example." for i in range(len(sizes))]
    for request in sent:
        assert len(request) == 1 or cost(request)[0] <= limit


def test_cloudflare_record_bodies() -> None:
    assert record_body(DS, DS.rdata[0]) == {"name": "dom.example", "type": "DS", "ttl": 3600, "data": {
        "key_tag": 12345, "algorithm": 13, "digest_type": 2, "digest": DIGEST.upper()}}
    assert record_body(NS, "ns2.other.net.") == {"name": "dom.example", "type": "NS", "ttl": 3600,
                                                 "content": "ns2.other.net"}
    glue = RRset("ns1.dom.example.", "AAAA", 3600, ("2001:DB8:0:0::1",))
    assert record_body(glue, glue.rdata[0]) == {"name": "ns1.dom.example", "type": "AAAA", "ttl": 3600,
                                                "content": "2001:db8::1", "proxied": False}


def test_cloudflare_keys_match_however_each_side_spells_a_record() -> None:
    assert record_key("AAAA", "2001:db8:0::1") == record_key("AAAA", "2001:DB8::1")
    assert record_key("NS", "NS1.Other.NET.") == record_key("NS", "ns1.other.net")
    assert listed_key({"type": "DS", "content": f"12345 13 2 {DIGEST.upper()}"}) == record_key("DS", DS.rdata[0])
    assert listed_key({"type": "DS", "data": {"key_tag": 12345.0, "algorithm": 13.0, "digest_type": 2.0,
                                              "digest": DIGEST}}) == record_key("DS", DS.rdata[0])


def test_cloudflare_owner_ops_delete_what_differs_and_create_what_is_missing() -> None:
    listed = [{"id": "a", "type": "NS", "ttl": 3600, "content": "ns1.dom.example"},
              {"id": "b", "type": "NS", "ttl": 3600, "content": "old.other.net"},
              {"id": "c", "type": "NS", "ttl": 3600, "content": "ns1.dom.example"},  # a duplicate
              {"id": "d", "type": "DS", "ttl": 300, "content": f"12345 13 2 {DIGEST}"},  # TTL differs
              {"id": "e", "type": "TXT", "ttl": 300, "content": "not ours"}]
    ops = owner_ops(diff_owner("dom.example", (NS,), (NS, DS)), listed)
    assert set(ops.deletes) == {"b", "c", "d"}
    assert sorted((p["type"], p.get("content")) for p in ops.posts) == [("DS", None), ("NS", "ns2.other.net")]


def test_cloudflare_batches_keep_owners_whole_within_the_limit() -> None:
    ops = [OwnerOps(f"d{i}.example.", tuple(f"id{i}-{j}" for j in range(i % 4)), ({"name": f"d{i}"},))
           for i in range(50)]
    groups = list(batches(ops, limit=9))
    assert [o.owner for g in groups for o in g] == [o.owner for o in ops]
    assert all(sum(o.size for o in g) <= 9 for g in groups)
    assert list(batches([OwnerOps("empty.example.")], limit=9)) == []
