"""`registry serve` with [dns] enabled, as `make run` runs it: Knot starts before the workers,
serves every TLD of the database signed, and is gone once the supervisor has stopped."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dns.rdatatype

from protocols.cli.certs import init_dev_certs
from registry_core.context import Core
from tests.conftest import ROOT, TEST_KEY
from tests.dns.conftest import program
from tests.dns.queries import validated
from tests.dns.servers import free_port

START_SECONDS = 30.0


def write_config(root: Path, dsn: str, ports: dict[str, int], *, dns: str = "",
                 registrars: tuple[str, ...] = ()) -> Path:
    """registry.toml for a serve on these ports; `dns` adds [dns] lines, `registrars` get certificates."""
    certs = init_dev_certs(root / "certs", list(registrars))
    q = json.dumps
    path = root / "registry.toml"
    path.write_text(f"""
[database]
url = {q(dsn)}
pool_min = 1
pool_max = 2
[registry]
auth_info_key = {q(TEST_KEY)}
lifecycle_interval_seconds = 3600
[epp]
port = {ports["epp"]}
cert = {q(str(certs.server.cert))}
key = {q(str(certs.server.key))}
ca = {q(str(certs.ca_cert))}
[whois]
port = {ports["whois"]}
[rdap]
port = {ports["rdap"]}
[metrics]
port = {ports["metrics"]}
[dns]
enabled = true
port = {ports["dns"]}
{dns}
[paths]
var = {q(str(root / "var"))}
""")
    return path


def start_serving(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "protocols.cli", "--config", str(config), "serve",
                                 "--workers", "1"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def logged(log: Path) -> str:
    return log.read_text()


def tail(log: Path) -> str:
    return logged(log)[-3000:]


async def serving(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        assert process.poll() is None, tail(log)
        try:
            await validated(port, "example.", dns.rdatatype.SOA)
            return
        except (OSError, EOFError, KeyError):
            assert time.monotonic() < deadline, tail(log)
            await asyncio.sleep(0.2)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_serve_runs_knot_for_the_tlds_and_stops_it(core: Core, test_dsn: str, tmp_path: Path) -> None:
    program("knotd")
    ports = {name: free_port() for name in ("epp", "whois", "rdap", "metrics", "dns")}
    log = tmp_path / "serve.log"
    process = start_serving(write_config(tmp_path, test_dsn, ports), log)
    try:
        await serving(ports["dns"], process, log)
        for zone in ("strict.", "thin."):
            await validated(ports["dns"], zone, dns.rdatatype.DNSKEY)
        knotd = int((tmp_path / "var" / "dns" / "knot" / "knot.pid").read_text())
        assert alive(knotd)
        assert (tmp_path / "var" / "dns" / "publisher.tsig").exists()  # for the publisher, generated on first start
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 30) == 0
        assert not alive(knotd), "knotd outlived registry serve"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert "serving DNS (Knot)" in logged(log)
