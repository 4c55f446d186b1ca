"""Real Knot, NSD and BIND: the primary serves a signed TLD zone (ECDSA P-256, NSEC3 with no
extra iterations and an empty salt), takes RFC 2136 UPDATEs only with the publisher's TSIG
key, NOTIFYs its secondaries, which transfer with the transfer key and serve the same
serial; a zone added at run time reaches BIND through the catalog zone; an AXFR of the
signed zone passes ldns-verify-zone."""

from __future__ import annotations

import asyncio
import time

import dns.asyncquery
import dns.dnssec
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.update
import dns.xfr
import dns.zone
import pytest

from protocols.dns.zone_file import initial_zone
from tests.dns.conftest import NAMESERVERS, TIMERS, Servers, keyring, program
from tests.dns.queries import ask, validated
from tests.dns.servers import soa_serial, wait_for_serial

PROPAGATION_SECONDS = 10.0  # NOTIFY and IXFR on loopback take well under a second; this is the deadline


async def send_update(servers: Servers, update: dns.update.UpdateMessage) -> int:
    """The answer's RCODE; a TSIG error from the server (BADKEY, BADSIG) comes with NOTAUTH (RFC 8945 5.3.2)."""
    try:
        reply = await dns.asyncquery.tcp(update, "127.0.0.1", port=servers.settings.port, timeout=5.0)
    except (dns.tsig.PeerBadKey, dns.tsig.PeerBadSignature):
        return int(dns.rcode.NOTAUTH)
    return int(reply.rcode())


def delegation(servers: Servers, child: str, *, signed: bool = True) -> dns.update.UpdateMessage:
    """A new delegation as the publisher will send it: NS, DS and in-bailiwick glue."""
    key = servers.settings.update_key
    update = (dns.update.UpdateMessage("example.", keyring=keyring(key), keyname=key.name,
                                       keyalgorithm=dns.tsig.HMAC_SHA256)
              if signed else dns.update.UpdateMessage("example."))
    update.add(f"{child}.example.", 3600, "NS", f"ns1.{child}.example.")
    update.add(f"{child}.example.", 3600, "DS", "12345 13 2 " + "ab" * 32)
    update.add(f"ns1.{child}.example.", 3600, "A", "192.0.2.53")
    return update


async def test_the_primary_serves_a_signed_zone_with_nsec3_and_no_salt(servers: Servers) -> None:
    port = servers.settings.port
    soa = await validated(port, "example.", dns.rdatatype.SOA)
    assert soa[0].mname == dns.name.from_text("ns1.example.net.")
    keys = await validated(port, "example.", dns.rdatatype.DNSKEY)
    assert {key.algorithm for key in keys} == {dns.dnssec.Algorithm.ECDSAP256SHA256}
    assert sorted(key.flags for key in keys) == [256, 257]  # one ZSK, one KSK
    nsec3param = (await validated(port, "example.", dns.rdatatype.NSEC3PARAM))[0]
    assert (nsec3param.algorithm, nsec3param.flags, nsec3param.iterations, nsec3param.salt) == (1, 0, 0, b"")
    cds = await validated(port, "example.", dns.rdatatype.CDS)
    await validated(port, "example.", dns.rdatatype.CDNSKEY)
    ksk = next(key for key in keys if key.flags == 257)
    assert {rd.to_text() for rd in cds} == {dns.dnssec.make_ds("example.", ksk, "SHA256").to_text()}


async def test_the_ds_for_the_parent_is_the_published_ksk(servers: Servers) -> None:
    keys = await validated(servers.settings.port, "example.", dns.rdatatype.DNSKEY)
    ksk = next(key for key in keys if key.flags == 257)
    expected = dns.dnssec.make_ds("example.", ksk, "SHA256").to_text()
    records = await servers.knot.ds_records("example.")
    assert [line.split(" DS ", 1)[1].lower() for line in records] == [expected.lower()]


async def test_an_update_with_the_key_reaches_both_secondaries_signed(servers: Servers) -> None:
    assert await send_update(servers, delegation(servers, "delegated")) == dns.rcode.NOERROR
    serial = await servers.knot.zone_serial("example.")
    assert serial is not None and serial == await soa_serial(servers.settings.port, "example.")
    started = time.monotonic()
    for secondary in (servers.nsd, servers.bind):
        await wait_for_serial(secondary.port, "example.", serial, PROPAGATION_SECONDS)
    assert time.monotonic() - started < PROPAGATION_SECONDS
    for port in (servers.settings.port, servers.nsd.port, servers.bind.port):
        await assert_signed_delegation(port, "delegated.example.")


async def assert_signed_delegation(port: int, child: str) -> None:
    """A referral with NS and glue, and the DS signed by the parent (validated)."""
    referral = await ask(port, f"www.{child}", dns.rdatatype.A)
    ns = referral.find_rrset(referral.authority, dns.name.from_text(child), dns.rdataclass.IN, dns.rdatatype.NS)
    assert [rd.target.to_text() for rd in ns] == [f"ns1.{child}"]
    glue = referral.find_rrset(referral.additional, dns.name.from_text(f"ns1.{child}"), dns.rdataclass.IN,
                               dns.rdatatype.A)
    assert [rd.address for rd in glue] == ["192.0.2.53"]
    keys = await ask(port, "example.", dns.rdatatype.DNSKEY)
    answer = await ask(port, child, dns.rdatatype.DS)
    origin, name = dns.name.from_text("example."), dns.name.from_text(child)
    ds = answer.find_rrset(answer.answer, name, dns.rdataclass.IN, dns.rdatatype.DS)
    sig = answer.find_rrset(answer.answer, name, dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DS)
    keyset = {origin: keys.find_rrset(keys.answer, origin, dns.rdataclass.IN, dns.rdatatype.DNSKEY)}
    dns.dnssec.validate(ds, sig, keyset)  # type: ignore[arg-type]


async def test_an_update_without_the_key_is_refused(servers: Servers) -> None:
    before = await servers.knot.zone_serial("example.")
    denied = (dns.rcode.REFUSED, dns.rcode.NOTAUTH)  # Knot 3.2 answers NOTAUTH when no ACL matches
    assert await send_update(servers, delegation(servers, "unsigned", signed=False)) in denied
    transfer = servers.settings.transfer_key  # a key Knot knows, but not allowed to update
    wrong = dns.update.UpdateMessage("example.", keyring=keyring(transfer), keyname=transfer.name,
                                     keyalgorithm=dns.tsig.HMAC_SHA256)
    wrong.add("wrongkey.example.", 3600, "NS", "ns1.elsewhere.net.")
    assert await send_update(servers, wrong) in denied
    assert await servers.knot.zone_serial("example.") == before
    reply = await ask(servers.settings.port, "unsigned.example.", dns.rdatatype.NS)
    assert reply.rcode() == dns.rcode.NXDOMAIN


async def test_a_transfer_without_the_key_is_refused(servers: Servers) -> None:
    with pytest.raises(dns.xfr.TransferError, match="REFUSED|NOTAUTH"):
        await asyncio.to_thread(dns.zone.from_xfr, dns.query.xfr("127.0.0.1", "example.",
                                                                 port=servers.settings.port, timeout=3.0))


async def test_a_zone_added_at_run_time_reaches_bind_through_the_catalog(servers: Servers) -> None:
    bind_config = (servers.bind.directory / "named.conf").read_text()
    await servers.knot.add_zone("shop.")
    assert "shop." in (servers.settings.config_file.read_text())
    serial = await servers.knot.zone_serial("shop.")
    assert serial is not None
    await wait_for_serial(servers.bind.port, "shop.", serial, PROPAGATION_SECONDS)
    await validated(servers.bind.port, "shop.", dns.rdatatype.SOA)
    assert (servers.bind.directory / "named.conf").read_text() == bind_config  # BIND was never touched
    assert await soa_serial(servers.settings.port, "example.") is not None  # the other zone is still served


async def test_an_axfr_with_the_transfer_key_passes_ldns_verify_zone(servers: Servers) -> None:
    verify = program("ldns-verify-zone")
    key = servers.settings.transfer_key
    zone = await asyncio.to_thread(dns.zone.from_xfr, dns.query.xfr(
        "127.0.0.1", "example.", port=servers.settings.port, keyring=keyring(key), keyname=key.name,
        keyalgorithm=dns.tsig.HMAC_SHA256, timeout=5.0, relativize=False), relativize=False)
    assert zone.get_rdataset("example.", "NSEC3PARAM") is not None
    path = servers.knot.settings.directory / "axfr-example.zone"
    zone.to_file(str(path), relativize=False)
    process = await asyncio.create_subprocess_exec(verify, "-V", "2", str(path), stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    assert process.returncode == 0, out.decode()


async def test_a_flush_writes_the_signed_zone_elsewhere(servers: Servers) -> None:
    initial = servers.settings.zone_file("example.").read_text()
    flushed = await servers.knot.zone_flush("example.", servers.settings.directory / "flush")
    assert "RRSIG" in flushed.read_text() and "NSEC3PARAM" in flushed.read_text()
    assert servers.settings.zone_file("example.").read_text() == initial  # our zone file is ours


async def test_a_full_render_replaces_the_zone_by_difference_and_reaches_the_secondaries(servers: Servers) -> None:
    await send_update(servers, delegation(servers, "dropped"))
    served = await servers.knot.zone_serial("example.")
    assert served is not None
    rendered = initial_zone("example.", NAMESERVERS, TIMERS, serial=served + 1) + (
        "rendered 3600 IN NS ns1.rendered.example.\nns1.rendered 3600 IN A 192.0.2.54\n")
    await servers.knot.load_zone_text("example.", rendered)
    serial = await servers.knot.zone_serial("example.")
    assert serial is not None and serial > served
    for port in (servers.nsd.port, servers.bind.port):
        await wait_for_serial(port, "example.", serial, PROPAGATION_SECONDS)
        assert (await ask(port, "www.rendered.example.", dns.rdatatype.A)).authority  # a referral
        assert (await ask(port, "dropped.example.", dns.rdatatype.NS)).rcode() == dns.rcode.NXDOMAIN
        await validated(port, "example.", dns.rdatatype.SOA)
        await validated(port, "example.", dns.rdatatype.NSEC3PARAM)
