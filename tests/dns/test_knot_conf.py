"""The pure parts: knot.conf rendered from settings, the initial zone file, TSIG key files,
and the [dns] config turned into Knot settings."""

from __future__ import annotations

import stat
from pathlib import Path

import dns.zone
import pytest

from protocols.config import ConfigError, config_from_mapping
from protocols.dns.knot_conf import KnotSettings, Secondary, SigningPolicy, TsigKey, render
from protocols.dns.primary import knot_settings, parse_secondaries, publisher_key
from protocols.dns.tsig import TsigKeyError, ensure_key, read_key
from protocols.dns.zone_file import SoaTimers, initial_zone

UPDATE = TsigKey("publisher.", "c2VjcmV0LXNlY3JldC1zZWNyZXQ=")
TRANSFER = TsigKey("xfr.", "eGZyLXNlY3JldC14ZnItc2VjcmV0")


def settings(**changes: object) -> KnotSettings:
    values: dict[str, object] = {
        "directory": Path("/srv/knot"), "address": "127.0.0.1", "port": 5353, "update_key": UPDATE,
        "transfer_key": TRANSFER, "zones": ("example.", "shop."),
        "secondaries": (Secondary("nsd", "192.0.2.1", 53), Secondary("bind", "192.0.2.2", 5300, catalog=True))}
    return KnotSettings(**{**values, **changes})  # type: ignore[arg-type]


def section(conf: str, name: str) -> str:
    """The text of one top-level section of knot.conf."""
    return conf.split(f"\n{name}:\n", 1)[1].split("\n\n", 1)[0]


def test_the_policy_is_ecdsa_p256_with_nsec3_without_iterations_or_salt_and_cds() -> None:
    policy = section(render(settings()), "policy") + "\n"
    for line in ("algorithm: ecdsap256sha256", "nsec3: on", "nsec3-iterations: 0", "nsec3-salt-length: 0",
                 "nsec3-opt-out: off", "cds-cdnskey-publish: always", "ksk-lifetime: 0",
                 "zsk-lifetime: 2592000", "propagation-delay: 3600"):
        assert f"    {line}\n" in policy
    short = section(render(settings(policy=SigningPolicy(ksk_lifetime=20, zsk_lifetime=10, propagation_delay=1,
                                                         rrsig_refresh=2))), "policy")
    assert "ksk-lifetime: 20\n" in short and "zsk-lifetime: 10\n" in short and "rrsig-refresh: 2\n" in short


def test_update_needs_the_publisher_key_and_transfer_the_transfer_key() -> None:
    conf = render(settings())
    assert section(conf, "acl") == ("  - id: publisher-update\n    key: publisher.\n    action: update\n"
                                    "  - id: secondary-transfer\n    key: xfr.\n    action: transfer")
    assert "  - id: nsd\n    address: 192.0.2.1@53\n    key: xfr.\n" in section(conf, "remote") + "\n"


def test_tld_zones_are_signed_members_of_the_catalog_kept_in_the_journal() -> None:
    conf = render(settings())
    tld, catalog = section(conf, "template").split("  - id: catalog\n")
    for line in ("zonefile-sync: -1", "zonefile-load: difference", "journal-content: all", "dnssec-signing: on",
                 "dnssec-policy: registry", "catalog-role: member", "catalog-zone: catalog.invalid.",
                 "acl: [publisher-update, secondary-transfer]", "notify: [nsd, bind]"):
        assert f"    {line}\n" in tld + "\n"
    assert "catalog-role: generate\n" in catalog and "notify: [bind]" in catalog  # the catalog consumer only
    assert "acl: [secondary-transfer]" in catalog and "dnssec" not in catalog
    assert section(conf, "zone").splitlines() == [
        "  - domain: catalog.invalid.", "    template: catalog", "  - domain: example.", "    template: tld",
        "  - domain: shop.", "    template: tld"]


def test_everything_lives_under_the_directory_and_listens_where_told() -> None:
    conf = render(settings(address="::1", port=15353))
    assert "    listen: ::1@15353\n" in conf and 'control:\n    listen: "/srv/knot/knot.sock"' in conf
    assert 'storage: "/srv/knot/db"' in conf and 'kasp-db: "/srv/knot/db/keys"' in conf
    assert 'rundir: "/srv/knot"' in conf and 'storage: "/srv/knot/zones"' in conf
    assert render(settings()) == render(settings())  # same settings, same text
    assert "remote:" not in render(settings(secondaries=())) and "notify:" not in render(settings(secondaries=()))


def test_the_initial_zone_is_soa_and_apex_ns() -> None:
    text = initial_zone("Example", ("ns1.example.net", "ns2.example.net."), SoaTimers(refresh=5, retry=5))
    zone = dns.zone.from_text(text, "example.", relativize=False)
    soa = zone.get_rdataset("example.", "SOA")[0]
    assert (soa.mname.to_text(), soa.rname.to_text(), soa.serial, soa.refresh) == (
        "ns1.example.net.", "hostmaster.example.", 1, 5)
    assert sorted(rd.target.to_text() for rd in zone.get_rdataset("example.", "NS")) == [
        "ns1.example.net.", "ns2.example.net."]
    assert len(list(zone.iterate_rdatasets())) == 2
    with pytest.raises(ValueError, match="nameserver"):
        initial_zone("example", ())


def test_a_key_file_is_created_once_private_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "dns" / "publisher.tsig"
    key = ensure_key(path, "publisher.")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(key.secret) == 44
    assert ensure_key(path, "publisher.") == key == read_key(path, "publisher.")
    path.write_text("not base64!\n")
    with pytest.raises(TsigKeyError, match="publisher.tsig"):
        read_key(path, "publisher.")
    path.write_text("c2hvcnQ=\n")
    with pytest.raises(TsigKeyError, match="at least 16"):
        read_key(path, "publisher.")


def test_the_dns_section_becomes_knot_settings(tmp_path: Path) -> None:
    config = config_from_mapping({"paths": {"var": str(tmp_path)}, "dns": {
        "enabled": True, "port": 15353, "secondaries": ["192.0.2.1@53", "2001:db8::1@5300"],
        "update_key_name": "pub", "zsk_lifetime": 60}})
    knot = knot_settings(config, ["example", "Shop."])
    assert knot.directory == (tmp_path / "dns" / "knot").resolve() and knot.port == 15353
    assert knot.zones == ("example.", "shop.") and knot.update_key.name == "pub."
    assert (tmp_path / "dns" / "publisher.tsig").exists() and (tmp_path / "dns" / "transfer.tsig").exists()
    assert publisher_key(config) == knot.update_key != knot.transfer_key  # what the publisher will sign with
    assert [(s.address, s.port) for s in knot.secondaries] == [("192.0.2.1", 53), ("2001:db8::1", 5300)]
    assert knot.policy.zsk_lifetime == 60
    assert config_from_mapping({}).dns.enabled is False  # `make run` turns it on


@pytest.mark.parametrize("entry", ["192.0.2.1", "192.0.2.1@", "@53", "192.0.2.1@99999", "host@port"])
def test_a_bad_secondary_is_refused_by_name(entry: str) -> None:
    with pytest.raises(ConfigError, match="dns.secondaries"):
        parse_secondaries([entry])
