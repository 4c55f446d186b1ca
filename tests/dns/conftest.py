"""Fixtures: a real Knot primary on a free loopback port with NSD and BIND secondaries.
Tests skip, naming the Debian package, when a program is missing (`make test-deps`)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import dns.name
import dns.tsig
import dns.tsigkeyring
import pytest

from protocols.dns.knot import KnotServer
from protocols.dns.knot_conf import KnotSettings, Secondary, SigningPolicy, TsigKey
from protocols.dns.tsig import new_secret
from protocols.dns.zone_file import SoaTimers
from tests.dns.servers import BindSecondary, NsdSecondary, free_port

PACKAGES = {"knotd": "knot", "knotc": "knot", "keymgr": "knot", "kdig": "knot-dnsutils", "nsd": "nsd",
            "named": "bind9", "ldns-verify-zone": "ldnsutils"}
NAMESERVERS = ("ns1.example.net.", "ns2.example.net.")
TIMERS = SoaTimers(refresh=5, retry=5, expire=3600, minimum=60, ttl=60)


def program(name: str) -> str:
    """The program's path, or a skip naming the Debian package that has it."""
    found = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}")
                                        if Path(p).exists()), None)
    if found is None:
        pytest.skip(f"{name} not found (`make test-deps` installs the Debian package: "
                    f"apt-get install {PACKAGES.get(name, name)})")
    return found


def tsig_keys() -> tuple[TsigKey, TsigKey]:
    return TsigKey("registry-publisher.", new_secret()), TsigKey("registry-transfer.", new_secret())


def keyring(key: TsigKey) -> dict[dns.name.Name, dns.tsig.Key]:
    return dns.tsigkeyring.from_text({key.name: (dns.tsig.HMAC_SHA256, key.secret)})  # type: ignore[no-any-return]


def knot_settings(directory: Path, zones: tuple[str, ...], secondaries: tuple[Secondary, ...] = (),
                  policy: SigningPolicy = SigningPolicy()) -> KnotSettings:
    update, transfer = tsig_keys()
    return KnotSettings(directory=directory, address="127.0.0.1", port=free_port(), update_key=update,
                        transfer_key=transfer, zones=zones, secondaries=secondaries, policy=policy)


@dataclass
class Servers:
    knot: KnotServer
    nsd: NsdSecondary
    bind: BindSecondary

    @property
    def settings(self) -> KnotSettings:
        return self.knot.settings


@pytest.fixture(scope="module")
async def servers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Servers]:
    """Knot serving `example.` signed, NOTIFYing NSD (zones listed) and BIND (catalog consumer)."""
    for name in ("knotd", "knotc", "keymgr", "nsd", "named"):
        program(name)
    root = tmp_path_factory.mktemp("dns")
    nsd_dir, bind_dir = root / "nsd", root / "bind"
    settings = knot_settings(root / "knot", ("example.",))
    nsd = NsdSecondary(nsd_dir, settings.port, settings.transfer_key, ("example.",))
    bind = BindSecondary(bind_dir, settings.port, settings.transfer_key, settings.catalog)
    settings = KnotSettings(**{**settings.__dict__, "secondaries": (
        Secondary("nsd", "127.0.0.1", nsd.port), Secondary("bind", "127.0.0.1", bind.port, catalog=True))})
    knot = KnotServer(settings, NAMESERVERS, timers=TIMERS)
    await knot.start()
    try:
        await nsd.start()
        await bind.start("example.")
        yield Servers(knot, nsd, bind)
    finally:
        await bind.stop()
        await nsd.stop()
        await knot.stop(5.0)
