"""A real Knot DNS (`knotd`) as the hidden primary: writes its configuration and the initial
zone files, runs it in the foreground as the current user, and drives it with `knotc`
(zone status, serial, reload, flush, adding a zone) and `keymgr` (the DS for the parent).

Everything lives under settings.directory: knot.conf, the control socket, the pid file,
zones/ (our initial zone files), db/ (journal, timers, catalog, KASP keys) and knot.log
(the server's log, rotated by size; its warnings and errors also reach our log:
protocols.dns.knot_log). Nothing is shared with a system-wide Knot. Subprocesses are awaited
on the event loop, never waited for in a blocking call."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import logging
import os
import re
import signal
import sys
from pathlib import Path

from protocols.dns import knot_stats
from protocols.dns.knot_conf import KnotSettings, render
from protocols.dns.knot_log import LINE_LIMIT, KnotLog
from protocols.dns.zone_file import SoaTimers, fqdn, initial_zone

_log = logging.getLogger("registry.dns")
CONTROL_TIMEOUT = 10  # seconds knotc waits for the server (its -t)
_SERIAL = re.compile(r"\bserial: (\d+)")


_PR_SET_PDEATHSIG = 1  # prctl(2) option: the signal this process gets when its parent dies


def _end_with_parent() -> None:
    """Run in the forked child before exec: SIGTERM knotd when the process that started it
    dies, however it dies (a SIGKILLed supervisor cannot stop it, and a knotd left behind
    would own the port and the directory). Linux only; elsewhere a no-op."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class KnotError(Exception):
    """knotd would not start, or a knotc/keymgr command failed (the message says which)."""


@dataclasses.dataclass(frozen=True)
class KnotPrograms:
    knotd: str = "knotd"
    knotc: str = "knotc"
    keymgr: str = "keymgr"


class KnotServer:
    """start() writes the files and waits until every zone is loaded; stop(grace) ends it."""

    def __init__(self, settings: KnotSettings, nameservers: tuple[str, ...], *,
                 programs: KnotPrograms = KnotPrograms(), timers: SoaTimers = SoaTimers(),
                 load_timeout: float = 15.0, log_max_bytes: int = 10 * 1024 * 1024, log_keep: int = 3) -> None:
        self.settings = settings
        self.log_rotation = (log_max_bytes, log_keep)
        self.log: KnotLog | None = None
        self.log_task: asyncio.Task[None] | None = None
        self.load_timeout = load_timeout  # seconds start() and add_zone() wait for the zones to load
        self.nameservers = nameservers
        self.programs = programs
        self.timers = timers
        self.process: asyncio.subprocess.Process | None = None

    @property
    def log_file(self) -> Path:
        return self.settings.directory / "knot.log"

    async def start(self) -> None:
        self._refuse_a_running_knotd()
        self._prepare()
        self.settings.socket.unlink(missing_ok=True)
        self.process = await asyncio.create_subprocess_exec(
            self.programs.knotd, "-c", str(self.settings.config_file), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, limit=LINE_LIMIT,
            preexec_fn=_end_with_parent)
        assert self.process.stdout is not None
        self.log = KnotLog(self.log_file, *self.log_rotation)
        self.log_task = asyncio.create_task(self.log.run(self.process.stdout), name="knotd-log")
        try:
            await self._until_loaded(self.settings.zones)
        except BaseException:
            await self.stop(1.0)
            raise

    async def stop(self, grace: float) -> None:
        """SIGTERM (knotd finishes pending work and exits), SIGKILL after `grace` seconds."""
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            await self._log_read()
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            _log.warning("knotd (pid %d) still running %.1f s after SIGTERM; killing it", process.pid, grace)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        await self._log_read()

    async def _log_read(self) -> None:
        """Until the log reader has read what knotd wrote before it exited."""
        task, self.log_task = self.log_task, None
        if task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(task, 5.0)

    def _refuse_a_running_knotd(self) -> None:
        """A knotd left over from a supervisor that was killed still owns the directory: say so."""
        try:
            pid = int((self.settings.directory / "knot.pid").read_text().strip())
            command = Path(f"/proc/{pid}/comm").read_text().strip()
        except (OSError, ValueError):
            return
        if command == "knotd":
            raise KnotError(f"knotd (pid {pid}) from an earlier run still serves {self.settings.directory}; "
                            f"stop it first (knotc -s {self.settings.socket} stop)")

    def _prepare(self) -> None:
        directory = self.settings.directory
        for path in (directory, directory / "zones", directory / "db"):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
        for zone in self.settings.zones:
            self._write_initial_zone(zone)
        self._write_config()

    def _write_initial_zone(self, zone: str) -> None:
        """Only for a new zone: afterwards the journal holds the zone (knot_conf explains)."""
        path = self.settings.zone_file(zone)
        if not path.exists():
            path.write_text(initial_zone(zone, self.nameservers, self.timers), "ascii")

    def _write_config(self) -> None:
        path = self.settings.config_file
        fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # TSIG secrets inside
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(render(self.settings))
        os.replace(path.with_suffix(".tmp"), path)

    async def _until_loaded(self, zones: tuple[str, ...]) -> None:
        """Until Knot serves every zone and the catalog; KnotError if it exits or takes too long."""
        waiting = [*zones, self.settings.catalog]
        try:
            async with asyncio.timeout(self.load_timeout):
                while waiting:
                    if self.process is None or self.process.returncode is not None:
                        await self._log_read()
                        raise KnotError(f"knotd exited: {self._last_error()} (see {self.log_file})")
                    waiting = [zone for zone in waiting if await self._serial_or_none(zone) is None]
                    if waiting:
                        await asyncio.sleep(0.1)
        except TimeoutError:
            raise KnotError(f"knotd did not load {', '.join(waiting)} within {self.load_timeout:.0f} s; "
                            f"see {self.log_file}") from None

    def _last_error(self) -> str:
        """The last error or critical line knotd logged, for the message that says it stopped."""
        return "; ".join(self.log.errors if self.log is not None else ()) or "no error logged"

    async def _serial_or_none(self, zone: str) -> int | None:
        try:
            return await self.zone_serial(zone)
        except KnotError:
            return None

    # --- control --------------------------------------------------------------------------

    async def knotc(self, *args: str) -> str:
        """Run one knotc command against this server's socket; its output, or KnotError."""
        return await _run(self.programs.knotc, "-s", str(self.settings.socket), "-t", str(CONTROL_TIMEOUT), *args)

    async def zone_query_counts(self, zone: str) -> dict[str, int]:
        """The zone's cumulative query counts as ICANN's report names them (knot_stats.py)."""
        return knot_stats.query_counts(knot_stats.parse(await self.knotc("zone-stats", fqdn(zone), "mod-stats")))

    async def zone_status(self, zone: str) -> str:
        return await self.knotc("zone-status", fqdn(zone))

    async def zone_serial(self, zone: str) -> int | None:
        """The SOA serial Knot serves for the zone (None while it is not loaded)."""
        match = _SERIAL.search(await self.zone_status(zone))
        return int(match.group(1)) if match else None

    async def zone_reload(self, zone: str) -> None:
        """Re-read the zone file; its difference to the served zone is applied (knot_conf)."""
        await self.knotc("-b", "zone-reload", fqdn(zone))

    async def load_zone_text(self, zone: str, text: str) -> None:
        """A full render: replace our zone file (its SOA serial above the served one) and reload;
        Knot applies the difference to what it serves, signs it and NOTIFYs (knot_conf explains)."""
        await asyncio.to_thread(self._replace_zone_file, zone, text)
        await self.zone_reload(zone)

    def _replace_zone_file(self, zone: str, text: str) -> None:
        path = self.settings.zone_file(zone)
        path.with_suffix(".tmp").write_text(text, "utf-8")
        os.replace(path.with_suffix(".tmp"), path)

    async def zone_flush(self, zone: str, directory: Path) -> Path:
        """Write the served (signed) zone to a file in `directory`, never over our zone file."""
        await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
        await self.knotc("-b", "zone-flush", fqdn(zone), "+outdir", str(directory))
        return directory / f"{fqdn(zone)}zone"

    async def add_zone(self, zone: str) -> None:
        """Serve one more zone: initial zone file, knot.conf rewritten, `knotc reload`.

        The configuration file stays the whole truth (a restart serves the same zones); the
        catalog zone lists the new member at once, so catalog consumers pick it up."""
        zone, before = fqdn(zone), self.settings
        if zone not in self.settings.zones:
            self.settings = dataclasses.replace(self.settings, zones=(*self.settings.zones, zone))
        try:
            self._write_initial_zone(zone)
            self._write_config()
            await self.knotc("reload")
            await self._until_loaded((zone,))
        except BaseException:
            self.settings = before  # not served: a later add tries again
            raise

    async def ksk_submitted(self, zone: str) -> None:
        """Tell Knot the parent now has the DS of the new KSK (the root zone: IANA's answer), so the
        KSK rollover goes on; KnotError while no new KSK is waiting for it."""
        await self.knotc("zone-ksk-submitted", fqdn(zone))

    async def ds_records(self, zone: str) -> list[str]:
        """The DS records (SHA-256, digest type 2) of the zone's KSKs, for the parent zone."""
        out = await _run(self.programs.keymgr, "-c", str(self.settings.config_file), fqdn(zone), "ds")
        return [line for line in out.splitlines() if re.search(r"\sDS\s+\d+\s+13\s+2\s", line)]


async def _run(*command: str) -> str:
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
    except OSError as exc:
        raise KnotError(f"{command[0]}: {exc}") from exc
    out, err = await process.communicate()
    if process.returncode != 0:
        raise KnotError(f"{' '.join(command[:1] + command[-3:])}: {(err or out).decode(errors='replace').strip()}")
    return out.decode(errors="replace")
