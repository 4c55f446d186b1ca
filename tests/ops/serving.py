"""`registry serve` as a real process tree for the tests: its config file, the process, and
waiting until every worker says it is ready. The tests that run the whole suite (workers,
login burst, shared limits, DNS) differ only in a few config keys, given as overrides."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from protocols.cli.certs import DevCerts
from tests.conftest import ROOT, TEST_KEY

Sections = Mapping[str, Mapping[str, object]]
LISTENERS = ("epp", "whois", "rdap", "metrics")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(*names: str) -> dict[str, int]:
    return {name: free_port() for name in names or LISTENERS}


def base_sections(root: Path, dsn: str, certs: DevCerts, ports: Mapping[str, int]) -> dict[str, dict[str, object]]:
    """What every test suite needs: its database, its own ports, its var directory."""
    return {
        "database": {"url": dsn, "pool_min": 1, "pool_max": 4},
        "registry": {"auth_info_key": TEST_KEY, "lifecycle_interval_seconds": 3600},
        "epp": {"port": ports["epp"], "cert": str(certs.server.cert), "key": str(certs.server.key),
                "ca": str(certs.ca_cert), "shutdown_grace": 2},
        "whois": {"port": ports["whois"]},
        "rdap": {"port": ports["rdap"], "base_url": f"http://127.0.0.1:{ports['rdap']}/"},
        "metrics": {"port": ports["metrics"]},
        "workers": {"restart_delay_max": 1, "stop_timeout": 10},
        "paths": {"var": str(root / "var")},
    }


def merged(base: Sections, overrides: Sections) -> dict[str, dict[str, object]]:
    result = {name: dict(keys) for name, keys in base.items()}
    for name, keys in overrides.items():
        result.setdefault(name, {}).update(keys)
    return result


def toml_text(sections: Sections) -> str:
    """TOML for flat sections of strings, numbers, booleans and lists (JSON spells them alike)."""
    return "".join(f"[{name}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items())
                   for name, keys in sections.items())


def write_config(root: Path, dsn: str, certs: DevCerts, ports: Mapping[str, int],
                 overrides: Sections | None = None) -> Path:
    path = root / "registry.toml"
    path.write_text(toml_text(merged(base_sections(root, dsn, certs, ports), overrides or {})))
    return path


def start_serving(config: Path, log: Path, workers: int) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "protocols.cli", "--config", str(config), "serve",
                                 "--workers", str(workers)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


async def eventually(probe: Callable[[], Awaitable[bool]], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not await probe():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


@dataclass
class Serving:
    """One running `registry serve`: a node."""

    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    log: Path
    worker_count: int

    def tail(self) -> str:
        return self.log.read_text()[-3000:]

    async def get(self, path: str, service: str = "metrics") -> tuple[int, str]:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{self.ports[service]}{path}") as resp:
            return resp.status, await resp.text()

    async def readyz(self) -> tuple[int, dict[str, object]]:
        status, body = await self.get("/readyz")
        return status, json.loads(body)

    async def workers(self) -> dict[str, int]:
        _status, body = await self.readyz()
        return {k: int(v) for k, v in body["workers"].items()}  # type: ignore[attr-defined]

    async def ready(self) -> bool:
        assert self.process.poll() is None, self.tail()
        try:
            return len(await self.workers()) == self.worker_count
        except (aiohttp.ClientError, ValueError, KeyError):
            return False

    def stop(self) -> None:
        """SIGTERM: the supervisor drains its workers and exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)

    def kill(self) -> None:
        """SIGKILL of the supervisor: its workers see their stdin close and stop by themselves."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


async def serve(config: Path, log: Path, ports: dict[str, int], workers: int, seconds: float = 40.0) -> Serving:
    """Start `registry serve` and wait until every worker is ready (killed if it never is)."""
    serving = Serving(start_serving(config, log, workers), ports, log, workers)
    try:
        await eventually(serving.ready, f"{workers} ready worker(s)", seconds)
    except BaseException:
        serving.kill()
        raise
    return serving
