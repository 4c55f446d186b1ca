"""The publisher's pure parts on values: UPDATE messages split under the 64 KB limit with
each owner whole, CZDS lines (Spec 4 section 2.1.4), master-file lines, batch halves that
keep each change row with its owner, the zone file's serial, and the cyclic GC's threshold
while a zone streams."""

from __future__ import annotations

import base64
import gc

import dns.message
import dns.rdatatype
import dns.tsigkeyring

from protocols.dns.publisher import split_batch
from protocols.dns.rfc2136 import Rfc2136Writer, TsigCredentials, chunks
from protocols.dns.zone_text import czds_lines, czds_text, master_lines, master_text, record_lines
from protocols.dns.zonefile import BULK_GC_THRESHOLD, bulk_gc, next_serial
from registry_core.model.zone import RRset
from registry_core.model.zone_diff import diff_owner
from registry_core.services.dns_publication import Batch

KEY = TsigCredentials("registry-publisher.", base64.b64encode(b"k" * 32).decode())


def delegation(i: int) -> tuple[RRset, ...]:
    owner = f"domain-with-a-longish-name-{i:05d}.example."
    return (RRset(owner, "DS", 3600, tuple(f"{k} 13 2 {'ab' * 32}" for k in range(1, 3))),
            RRset(owner, "NS", 3600, tuple(f"ns{n}.some-hosting-provider-{i % 7}.net." for n in range(13))))


def test_big_batches_become_several_signed_messages_under_64_kb_with_owners_whole():
    changes = [diff_owner(rrsets[0].owner, (), rrsets) for rrsets in map(delegation, range(1000))]
    messages = Rfc2136Writer("127.0.0.1", 53, KEY).messages("example", changes)
    assert len(messages) > 3
    seen: list[str] = []
    for message in messages:
        wire = message.to_wire()
        assert len(wire) <= 65535
        parsed = dns.message.from_wire(wire, keyring=dns.tsigkeyring.from_text({KEY.name: KEY.secret}))
        records = [(r.name.to_text(), r.rdtype) for r in parsed.update for _ in r]
        for owner in dict.fromkeys(name for name, _ in records):  # every record of an owner is here
            assert records.count((owner, dns.rdatatype.NS)) == 13 and records.count((owner, dns.rdatatype.DS)) == 2
            seen.append(owner)
    assert seen == [c.owner for c in changes]  # each owner once, in order, whole in one message


def test_chunks_never_split_an_owner_even_when_it_alone_exceeds_the_budget():
    changes = [diff_owner(rrsets[0].owner, (), rrsets) for rrsets in map(delegation, range(3))]
    assert [len(group) for group in chunks(changes, budget=10)] == [1, 1, 1]


SOA = RRset("example.", "SOA", 3600, ("ns1.nic.example. hostmaster.example. 7 1800 900 1209600 3600",))


def test_czds_lines_are_tab_separated_lower_case_with_the_soa_first_and_last():
    owners = [(RRset("example.", "NS", 3600, ("ns1.nic.example.",)),),
              (RRset("a.example.", "DS", 3600, ("1 13 2 AB",)), RRset("a.example.", "NS", 3600, ("ns.x.net.",)))]
    lines = list(czds_lines(SOA, owners))
    assert lines == ["example.\t3600\tin\tsoa\tns1.nic.example. hostmaster.example. 7 1800 900 1209600 3600",
                     "example.\t3600\tin\tns\tns1.nic.example.", "a.example.\t3600\tin\tds\t1 13 2 ab",
                     "a.example.\t3600\tin\tns\tns.x.net.",
                     "example.\t3600\tin\tsoa\tns1.nic.example. hostmaster.example. 7 1800 900 1209600 3600"]
    assert all(line.count("\t") == 4 and "$" not in line for line in lines)


def test_master_lines_are_absolute():
    assert list(master_lines(RRset("a.example.", "NS", 60, ("n1.x.", "n2.x.")))) == [
        "a.example.\t60\tIN\tNS\tn1.x.", "a.example.\t60\tIN\tNS\tn2.x."]


def test_texts_of_many_rrsets_are_their_lines_each_ended():
    rrsets = (SOA, RRset("a.example.", "TXT", 60, ('"Keep Case"',)), *delegation(1), *delegation(2))
    assert master_text(rrsets) == "".join(line + "\n" for r in rrsets for line in master_lines(r))
    assert czds_text(rrsets) == "".join(line + "\n" for r in rrsets for line in record_lines(r))
    assert master_text(()) == czds_text(()) == ""


def test_a_streaming_zone_raises_the_gc_threshold_once_and_restores_it():
    before = gc.get_threshold()
    with bulk_gc():
        assert gc.get_threshold() == (max(before[0], BULK_GC_THRESHOLD), *before[1:])
        with bulk_gc():  # a second render at the same time
            assert gc.get_threshold()[0] == max(before[0], BULK_GC_THRESHOLD)
        assert gc.get_threshold()[0] == max(before[0], BULK_GC_THRESHOLD)
    assert gc.get_threshold() == before


def test_batch_halves_keep_change_rows_with_their_owners():
    changes = [diff_owner(o, (), (RRset(o, "NS", 1, ("n.",)),)) for o in ("a.example.", "b.example.", "c.example.")]
    batch = Batch("example", [("a.example", 1), ("b.example", 2), ("c.example", 3), ("same.example", 4)], changes)
    first, second = split_batch(batch)
    assert [c.owner for c in first.changes] == ["a.example."] and [c.owner for c in second.changes] == [
        "b.example.", "c.example."]
    assert first.drained == [("a.example", 1), ("same.example", 4)]
    assert second.drained == [("b.example", 2), ("c.example", 3)]


def test_the_zone_file_serial_is_above_the_served_one():
    assert next_serial(None, 1_700_000_000.5) == 1_700_000_000
    assert next_serial(1_800_000_000, 1_700_000_000) == 1_800_000_001
