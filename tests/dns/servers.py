"""Real secondaries for the DNS tests: NSD and BIND on free loopback ports in temporary
directories, each a secondary of the Knot primary with the transfer TSIG key (NOTIFY
accepted from the primary, transfers requested with the key), with short refresh and
retry bounds. BIND consumes the primary's catalog zone (RFC 9432; BIND 9.18), so it
serves new TLD zones without a configuration change. NSD 4.6 has no catalog consumer
(that came with NSD 4.9), so its zones are listed explicitly."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import time
from pathlib import Path

import dns.asyncquery
import dns.exception
import dns.message
import dns.rcode
import dns.rdatatype

from protocols.dns.knot_conf import TsigKey

NSD = shutil.which("nsd") or "/usr/sbin/nsd"
NAMED = shutil.which("named") or "/usr/sbin/named"
REFRESH_BOUNDS = 5  # seconds: min/max refresh and retry on the secondaries


def free_port() -> int:
    """A loopback port free for both UDP and TCP (DNS needs both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return int(port)


async def soa_serial(port: int, zone: str, timeout: float = 1.0) -> int | None:
    """The serial a server on 127.0.0.1:port answers for the zone (None: no authoritative answer)."""
    query = dns.message.make_query(zone, dns.rdatatype.SOA)
    try:
        reply = await dns.asyncquery.udp(query, "127.0.0.1", port=port, timeout=timeout)
    except (dns.exception.Timeout, OSError):
        return None
    if reply.rcode() != dns.rcode.NOERROR or not reply.answer:
        return None
    return int(reply.answer[0][0].serial)


async def wait_for_serial(port: int, zone: str, at_least: int, seconds: float) -> int:
    """Poll until the server serves the zone with a serial >= at_least; the serial, or an AssertionError."""
    deadline = time.monotonic() + seconds
    serial = None
    while time.monotonic() < deadline:
        serial = await soa_serial(port, zone)
        if serial is not None and serial >= at_least:
            return serial
        await asyncio.sleep(0.1)
    raise AssertionError(f"port {port} serves {zone} with serial {serial} after {seconds} s, wanted >= {at_least}")


class Daemon:
    """A foreground server process writing its output to <directory>/<name>.log."""

    def __init__(self, name: str, directory: Path) -> None:
        self.name, self.directory = name, directory
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        self.refresh = REFRESH_BOUNDS  # seconds: min/max refresh and retry (a benchmark sets an hour)

    @property
    def log(self) -> Path:
        return self.directory / f"{self.name}.log"

    async def spawn(self, *command: str) -> None:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.DEVNULL,
                                                                stdout=out, stderr=out)

    async def wait_answering(self, zone: str, seconds: float = 15.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.returncode is None, self.log.read_text()[-2000:]
            if await soa_serial(self.port, zone, 0.3) is not None:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} does not serve {zone} after {seconds} s:\n{self.log.read_text()[-2000:]}")

    async def stop(self, grace: float = 5.0) -> None:
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            process.kill()
            await process.wait()


class NsdSecondary(Daemon):
    def __init__(self, directory: Path, primary_port: int, key: TsigKey, zones: tuple[str, ...]) -> None:
        super().__init__("nsd", directory)
        self.primary_port, self.key, self.zones = primary_port, key, zones

    def config(self) -> str:
        d = self.directory
        server = (f'server:\n  ip-address: 127.0.0.1@{self.port}\n  port: {self.port}\n  username: ""\n'
                  f'  chroot: ""\n  database: ""\n  zonesdir: "{d}"\n  zonelistfile: "{d}/zone.list"\n'
                  f'  pidfile: "{d}/nsd.pid"\n  xfrdfile: "{d}/xfrd.state"\n  xfrdir: "{d}"\n'
                  f'  logfile: "{d}/nsd.log"\n  server-count: 1\n  verbosity: 2\n  reuseport: no\n'
                  'remote-control:\n  control-enable: no\n')
        key = f'key:\n  name: "{self.key.name}"\n  algorithm: {self.key.algorithm}\n  secret: "{self.key.secret}"\n'
        return server + key + "".join(self._zone(zone) for zone in self.zones)

    def _zone(self, zone: str) -> str:
        primary = f"127.0.0.1@{self.primary_port} {self.key.name}"
        return (f'zone:\n  name: "{zone}"\n  zonefile: "{zone}zone"\n'
                f"  allow-notify: 127.0.0.1 {self.key.name}\n  request-xfr: {primary}\n"
                + "".join(f"  {name}: {self.refresh}\n" for name in
                          ("min-refresh-time", "max-refresh-time", "min-retry-time", "max-retry-time")))

    async def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        conf = self.directory / "nsd.conf"
        conf.write_text(self.config())
        await self.spawn(NSD, "-d", "-c", str(conf))
        await self.wait_answering(self.zones[0])


class BindSecondary(Daemon):
    """named, a secondary for the catalog zone; its members come from the catalog."""

    def __init__(self, directory: Path, primary_port: int, key: TsigKey, catalog: str) -> None:
        super().__init__("named", directory)
        self.primary_port, self.key, self.catalog = primary_port, key, catalog

    def config(self) -> str:
        d, k = self.directory, self.key
        primary = f"127.0.0.1 port {self.primary_port} key \"{k.name}\""
        timers = "".join(f"  {name} {self.refresh};\n" for name in
                         ("min-refresh-time", "max-refresh-time", "min-retry-time", "max-retry-time"))
        return (f'key "{k.name}" {{ algorithm {k.algorithm}; secret "{k.secret}"; }};\n'
                "controls { };\n"
                "server 127.0.0.1 { tcp-only yes; };\n"  # Knot answers catalog-zone SOA queries over TCP only
                f'options {{\n  directory "{d}";\n  pid-file "{d}/named.pid";\n'
                f'  session-keyfile "{d}/session.key";\n  managed-keys-directory "{d}";\n'
                f"  listen-on port {self.port} {{ 127.0.0.1; }};\n  listen-on-v6 {{ none; }};\n"
                "  recursion no;\n  dnssec-validation no;\n  notify no;\n"
                f"  allow-notify {{ 127.0.0.1; }};\n{timers}"
                f'  catalog-zones {{ zone "{self.catalog}" default-primaries {{ {primary}; }}'
                f' zone-directory "{d}" in-memory no; }};\n}};\n'
                f'zone "{self.catalog}" {{ type secondary; file "catalog.db"; primaries {{ {primary}; }}; }};\n')

    async def start(self, first_member: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        conf = self.directory / "named.conf"
        conf.write_text(self.config())
        await self.spawn(NAMED, "-g", "-4", "-c", str(conf))
        await self.wait_answering(first_member, 20.0)
