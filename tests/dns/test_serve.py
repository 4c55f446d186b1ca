"""`registry serve` with [dns] enabled, as `make run` runs it: Knot starts before the workers,
serves every TLD of the database signed, and is gone once the supervisor has stopped."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import dns.rdatatype

from protocols.cli.certs import init_dev_certs
from registry_core.context import Core
from tests.dns.conftest import program
from tests.dns.queries import validated
from tests.dns.servers import free_port
from tests.ops.serving import start_serving as serve_process
from tests.ops.serving import write_config as serving_config

START_SECONDS = 30.0


def write_config(root: Path, dsn: str, ports: dict[str, int], *, dns: Mapping[str, object] | None = None,
                 registrars: tuple[str, ...] = ()) -> Path:
    """registry.toml for a serve on these ports with [dns] on; `dns` adds [dns] keys, `registrars` get certificates."""
    certs = init_dev_certs(root / "certs", list(registrars))
    return serving_config(root, dsn, certs, ports, {"database": {"pool_max": 2},
                                                    "dns": {"enabled": True, "port": ports["dns"], **(dns or {})}})


def start_serving(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return serve_process(config, log, workers=1)


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
