"""A ZSK and a KSK rollover on a real Knot with a policy of seconds instead of days: the zone
validates at every step, against the DNSKEY set it serves and, for the DNSKEY set, against
the DS the parent holds at that moment (the test plays the parent: it swaps the DS when Knot
asks for the submission, then says `zone-ksk-submitted`), until both keys are new. A zone's
first KSK waits for that word too: its lifetime starts when the parent has its DS."""

from __future__ import annotations

import time
from pathlib import Path

import dns.dnssec
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY
import pytest

from protocols.dns.knot import KnotError, KnotServer
from protocols.dns.knot_conf import SigningPolicy
from tests.dns.conftest import NAMESERVERS, TIMERS, knot_settings, program
from tests.dns.queries import ask, validated

SHORT = SigningPolicy(ksk_lifetime=12, zsk_lifetime=5, propagation_delay=1, dnskey_ttl=1, zone_max_ttl=1,
                      rrsig_lifetime=60, rrsig_refresh=5, rrsig_pre_refresh=1)
DEADLINE = 50.0
ORIGIN = dns.name.from_text("example.")

Key = dns.rdtypes.ANY.DNSKEY.DNSKEY


def tags(keys: list[Key], flags: int) -> set[int]:
    return {dns.dnssec.key_id(key) for key in keys if key.flags == flags}


async def dnskeys_trusted_by(port: int, parent_ds: set[str]) -> list[Key]:
    """The served DNSKEY set, validated with only the KSKs whose DS the parent has."""
    answer = await ask(port, "example.", dns.rdatatype.DNSKEY)
    keys = answer.find_rrset(answer.answer, ORIGIN, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    sigs = answer.find_rrset(answer.answer, ORIGIN, dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
    anchored = [key for key in keys if dns.dnssec.make_ds(ORIGIN, key, "SHA256").to_text() in parent_ds]
    assert anchored, f"no served KSK matches the parent's DS {parent_ds}"
    trusted = dns.rrset.from_rdata_list(ORIGIN, keys.ttl, anchored)
    dns.dnssec.validate(keys, sigs, {ORIGIN: trusted})  # type: ignore[arg-type]
    return list(keys)


@pytest.mark.slow
async def test_zsk_and_ksk_roll_over_and_the_zone_validates_throughout(tmp_path: Path) -> None:
    program("knotd")
    knot = KnotServer(knot_settings(tmp_path / "knot", ("example.",), policy=SHORT), NAMESERVERS, timers=TIMERS)
    await knot.start()
    try:
        port = knot.settings.port
        first = list(await validated(port, "example.", dns.rdatatype.DNSKEY))
        parent_ds = {dns.dnssec.make_ds(ORIGIN, key, "SHA256").to_text() for key in first if key.flags == 257}
        old_zsk, old_ksk = tags(first, 256), tags(first, 257)
        await knot.ksk_submitted("example.")  # the parent has the first DS: the KSK becomes active, its life starts
        steps, deadline = 0, time.monotonic() + DEADLINE
        while True:
            keys = await dnskeys_trusted_by(port, parent_ds)
            await validated(port, "example.", dns.rdatatype.SOA)  # signed by a ZSK of the served set
            await validated(port, "example.", dns.rdatatype.NSEC3PARAM)
            steps += 1
            new_ksks = tags(keys, 257) - old_ksk
            if new_ksks and parent_ds != _ds_of(keys, new_ksks):
                try:
                    await knot.ksk_submitted("example.")
                    parent_ds = _ds_of(keys, new_ksks)  # the parent swaps the DS once Knot asks for it
                except KnotError:
                    pass  # published, not ready for submission yet
            if not tags(keys, 256) & old_zsk and not tags(keys, 257) & old_ksk:
                break
            assert time.monotonic() < deadline, f"after {DEADLINE} s: ZSK {tags(keys, 256)}, KSK {tags(keys, 257)}"
            await _pause()
        assert steps > 10  # it was checked at many points of the rollovers
    finally:
        await knot.stop(5.0)


def _ds_of(keys: list[Key], wanted: set[int]) -> set[str]:
    return {dns.dnssec.make_ds(ORIGIN, key, "SHA256").to_text() for key in keys if dns.dnssec.key_id(key) in wanted}


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.25)
