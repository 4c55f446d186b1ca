"""The primary as `registry serve` runs it: one signed zone per TLD in the database, TSIG keys
generated into var/, UPDATEs kept in the journal across a restart (the initial zone file
never overrides them), a clear warning instead of a crash when knotd is missing or
cannot start, and Knot's log rotated by size with its errors in our log."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from pathlib import Path

import dns.asyncquery
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.update
import pytest

from protocols.config import Config, config_from_mapping
from protocols.dns.knot import KnotError, KnotServer
from protocols.dns.primary import primary_zones, publisher_key, start_primary, stop_primary
from registry_core.context import Core
from tests.dns.conftest import keyring, program
from tests.dns.queries import ask, validated
from tests.dns.servers import free_port


def dns_config(var: Path, **dns: object) -> Config:
    return config_from_mapping({"paths": {"var": str(var)}, "dns": {
        "enabled": True, "port": free_port(), "zsk_lifetime": 0, **dns}})


async def add_delegation(config: Config, child: str) -> int:
    """An UPDATE as the publisher sends it, with the key file `registry serve` generated."""
    key = publisher_key(config)
    update = dns.update.UpdateMessage("example.", keyring=keyring(key), keyname=key.name,
                                      keyalgorithm=dns.tsig.HMAC_SHA256)
    update.add(child, 3600, "NS", "ns1.elsewhere.net.")
    reply = await dns.asyncquery.tcp(update, "127.0.0.1", port=config.dns.port, timeout=5.0)
    return int(reply.rcode())


async def delegated(config: Config, child: str) -> bool:
    reply = await ask(config.dns.port, child, dns.rdatatype.NS)
    return bool(reply.get_rrset(reply.authority, dns.name.from_text(child), dns.rdataclass.IN, dns.rdatatype.NS))


async def test_every_tld_is_served_signed_and_updates_survive_a_restart(core: Core, tmp_path: Path) -> None:
    program("knotd")
    config = dns_config(tmp_path / "var")
    zones = await primary_zones(config, core)
    assert set(zones) == {"example.", "strict.", "thin."}
    primary = await start_primary(config, zones)
    assert primary is not None
    try:
        for zone in zones:
            await validated(config.dns.port, zone, dns.rdatatype.SOA)
        assert await add_delegation(config, "kept.example.") == dns.rcode.NOERROR
        serial = await primary.zone_serial("example.")
    finally:
        await stop_primary(primary, config)
    assert (tmp_path / "var" / "dns" / "knot" / "zones" / "example.zone").read_text().count("IN NS") == 2
    again = await start_primary(config, zones)
    assert again is not None
    try:
        assert await delegated(config, "kept.example.")  # from the journal: the zone file has SOA and NS only
        assert await again.zone_serial("example.") == serial
        await validated(config.dns.port, "example.", dns.rdatatype.SOA)
    finally:
        await stop_primary(again, config)
    assert again.process is None


async def test_without_knotd_serve_warns_and_runs_the_rest(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = dns_config(tmp_path, knotd=str(tmp_path / "no-such-knotd"))
    with caplog.at_level(logging.WARNING, logger="registry.dns"):
        assert await start_primary(config, ("example.",)) is None
    assert "not found (Debian package knot" in caplog.text


async def test_a_knot_that_cannot_bind_is_reported_not_fatal(tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    program("knotd")
    config = dns_config(tmp_path)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", config.dns.port))
        with caplog.at_level(logging.ERROR, logger="registry.dns"):
            assert await start_primary(config, ("example.",)) is None
    assert "cannot bind address" in caplog.text


async def test_with_dns_off_nothing_starts(core: Core, tmp_path: Path) -> None:
    config = config_from_mapping({"paths": {"var": str(tmp_path)}})
    assert await primary_zones(config, core) == ()
    assert await start_primary(config, ("example.",)) is None
    assert not (tmp_path / "dns").exists()


async def test_a_knotd_left_running_is_named_not_fought(tmp_path: Path) -> None:
    program("knotd")
    config = dns_config(tmp_path)
    first = await start_primary(config, ("example.",))
    assert first is not None
    try:
        second = KnotServer(first.settings, first.nameservers, programs=first.programs)
        with pytest.raises(KnotError, match=r"knotd \(pid \d+\) from an earlier run still serves"):
            await second.start()
        assert await first.zone_serial("example.") is not None  # its control socket is untouched
    finally:
        await stop_primary(first, config)


async def test_knots_log_rotates_by_size_and_its_errors_reach_our_log(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    program("knotd")
    config = dns_config(tmp_path, log_max_bytes=1000, log_keep=2)
    primary = await start_primary(config, ("example.", "strict.", "thin."))  # a few KB of start-up lines
    assert primary is not None
    await stop_primary(primary, config)
    logs = sorted(p.name for p in (tmp_path / "dns" / "knot").glob("knot.log*"))
    assert logs == ["knot.log", "knot.log.1", "knot.log.2"]  # the oldest went
    assert all(0 < (tmp_path / "dns" / "knot" / name).stat().st_size < 1000 + 512 for name in logs)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", config.dns.port))
        with caplog.at_level(logging.ERROR, logger="registry.dns.knot"):
            assert await start_primary(config, ("example.",)) is None
    assert any(r.name == "registry.dns.knot" and r.getMessage().startswith("knotd: ") and "cannot bind" in
               r.getMessage() for r in caplog.records)


ROOT = Path(__file__).resolve().parents[2]
_STARTER = """
import asyncio, sys
from protocols.config import config_from_mapping
from protocols.dns.primary import start_primary

async def main():
    config = config_from_mapping({"paths": {"var": sys.argv[1]}, "dns": {
        "enabled": True, "port": int(sys.argv[2]), "zsk_lifetime": 0}})
    primary = await start_primary(config, ("example.",))
    print(primary.process.pid, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"
    except OSError:
        return False


async def test_knotd_ends_when_the_process_that_started_it_is_killed(tmp_path: Path) -> None:
    """A SIGKILLed supervisor cannot stop knotd; the kernel's parent-death signal does."""
    program("knotd")
    starter = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _STARTER, str(tmp_path / "var"), str(free_port()),
        stdout=asyncio.subprocess.PIPE, cwd=ROOT)
    assert starter.stdout is not None
    line = await asyncio.wait_for(starter.stdout.readline(), 30)
    knotd = int(line)
    assert _alive(knotd)
    starter.kill()
    await starter.wait()
    for _ in range(100):
        if not _alive(knotd):
            break
        await asyncio.sleep(0.1)
    assert not _alive(knotd), f"knotd (pid {knotd}) outlived the process that started it"
