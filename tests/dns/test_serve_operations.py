"""`registry serve` with [dns] enabled and a real BIND secondary (a catalog consumer): a TLD
added with `registry tld add` while serve runs gets its zone on the running Knot and in
the catalog, so BIND serves it too, and a domain created in it over EPP is served;
drift injected on the primary (an UPDATE with the publisher's own key) is repaired by the
reconcile serve runs every [dns] reconcile_interval, logged and counted; `registry dns
status` prints the propagation to BIND that the probe measured."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import dns.asyncquery
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update

from protocols.cli.certs import init_dev_certs
from protocols.dns.tsig import ensure_key, read_key
from protocols.epp.client import EppClient
from protocols.net.tls import client_context
from registry_core.context import Core
from registry_core.services import registrars
from tests.conftest import ROOT
from tests.dns.answers import ns_set, until
from tests.dns.conftest import keyring, program
from tests.dns.queries import validated
from tests.dns.servers import BindSecondary, free_port, wait_for_serial
from tests.dns.test_publisher_serve import stop
from tests.dns.test_serve import logged, serving, start_serving, tail, write_config

DEADLINE = 20.0  # seconds: a poll for new TLDs, a zone load, a reconcile, NOTIFY and transfers on loopback


def cli(config: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "protocols.cli", "--config", str(config), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def served(port: int, zone: str, log: Path) -> None:
    deadline = time.monotonic() + DEADLINE
    while True:
        try:
            await validated(port, zone, dns.rdatatype.SOA)
            return
        except (OSError, EOFError, KeyError):
            assert time.monotonic() < deadline, tail(log)
            await asyncio.sleep(0.2)


async def epp_session(root: Path, port: int) -> EppClient:
    certs = init_dev_certs(root / "certs", ["alpha"])
    client = EppClient(timeout=10.0)
    await client.connect("127.0.0.1", port, client_context(certs.ca_cert, certs.registrars["alpha"].cert,
                                                           certs.registrars["alpha"].key, check_hostname=False))
    assert (await client.login("alpha", "Alpha-Pass1")).code == 1000
    return client


async def stray_update(var: Path, port: int) -> None:
    key = read_key(var / "dns" / "publisher.tsig", "registry-publisher.")
    update = dns.update.UpdateMessage("example.", keyring=keyring(key), keyname=key.name,
                                      keyalgorithm=dns.tsig.HMAC_SHA256)
    update.add("stray.example.", 3600, "NS", "ns.stray.net.")
    reply = await dns.asyncquery.tcp(update, "127.0.0.1", port=port, timeout=5.0)
    assert reply.rcode() == dns.rcode.NOERROR


def metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return str(answer.read().decode())


async def test_serve_adds_new_tlds_reconciles_drift_and_measures_propagation(core: Core, test_dsn: str,
                                                                            tmp_path: Path) -> None:
    for name in ("knotd", "named"):
        program(name)
    ports = {name: free_port() for name in ("epp", "whois", "rdap", "metrics", "dns")}
    transfer = ensure_key(tmp_path / "var" / "dns" / "transfer.tsig", "registry-transfer.")  # serve uses it
    bind = BindSecondary(tmp_path / "bind", ports["dns"], transfer, "catalog.invalid.")
    config = write_config(tmp_path, test_dsn, ports, registrars=("alpha",), dns={
        "secondaries": [f"127.0.0.1@{bind.port}"], "reconcile_interval": 1.0, "tld_poll_interval": 0.5,
        "poll_interval": 0.5, "probe_interval": 0.2})
    await registrars.add_certificate(core, "alpha", init_dev_certs(tmp_path / "certs", ["alpha"]).fingerprints["alpha"])
    log = tmp_path / "serve.log"
    process = start_serving(config, log)
    epp: Any = None
    try:
        await serving(ports["dns"], process, log)
        await bind.start("example.")
        await asyncio.to_thread(cli, config, "tld", "add", "shop")
        await served(ports["dns"], "shop.", log)  # without a restart
        await wait_for_serial(bind.port, "shop.", 1, DEADLINE)  # BIND learned it from the catalog
        epp = await epp_session(tmp_path, ports["epp"])
        assert (await epp.host_create("ns.shophost.net")).code == 1000
        assert (await epp.domain_create("new.shop", nameservers=["ns.shophost.net"])).code == 1000
        await until(lambda: ns_set(ports["dns"], "new.shop."), {"ns.shophost.net."}, DEADLINE)
        await until(lambda: ns_set(bind.port, "new.shop."), {"ns.shophost.net."}, DEADLINE)

        await stray_update(tmp_path / "var", ports["dns"])  # drift behind the registry's back
        await until(lambda: ns_set(ports["dns"], "stray.example."), None, DEADLINE)  # repaired by the reconcile
        await until(lambda: ns_set(bind.port, "stray.example."), None, DEADLINE)
        assert 'registry_dns_reconcile_repaired_owners_total{tld="example"} 1.0' in metrics(ports["metrics"])

        status = await asyncio.to_thread(cli, config, "dns", "status", "shop")
        assert "commit to served by every secondary" in status, status
        assert f"server               127.0.0.1@{bind.port}  serial " in status, status
        await epp.logout()
        await stop(process)
    finally:
        if epp is not None:
            await epp.close()
        if process.poll() is None:
            process.kill()
            process.wait(10)
        await bind.stop()
    text = logged(log)
    assert "DNS primary now serves zone shop." in text and "DNS publisher leads zone shop" in text
    assert "DNS reconcile of example repaired 1 drifted owners: stray.example." in text
