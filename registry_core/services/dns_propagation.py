"""Propagation results of the DNS publisher's probe: store one publication's outcome (its
owner changes with their commit times, when every server served it or that one did not,
each server's last answer), and summarize the newest changes for `registry dns status`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import dns_propagation as repo
from registry_core.db.repo import tlds
from registry_core.db.tx import Tx
from registry_core.errors import ObjectNotFound
from registry_core.services.tlds import tld_name


@dataclass(frozen=True)
class ServerCheck:
    server: str  # "address@port"
    serial: int | None  # what it answered last (None: no authoritative answer)
    lag: float | None  # seconds from the publication on the primary to this server serving it; None: not in time


@dataclass(frozen=True)
class Propagation:
    tld: str
    serial: int  # the primary's SOA serial after the publication
    measured_on: str  # "secondaries", or "primary" when none are configured
    changes: tuple[tuple[str, datetime], ...]  # (stored owner, commit time)
    served_at: datetime | None  # when the last server served it; None: one did not in time
    servers: tuple[ServerCheck, ...]


async def record_propagation(core: Core, result: Propagation, keep: int) -> None:
    """Store the outcome; only the newest `keep` changes of the TLD are kept."""
    async def run(tx: Tx) -> None:
        await repo.insert_results(tx.conn, result.tld, result.serial, result.measured_on, result.changes,
                                  result.served_at)
        await repo.prune_results(tx.conn, result.tld, keep)
        await repo.upsert_server_states(tx.conn, result.tld, [(s.server, s.serial, result.serial, s.lag)
                                                              for s in result.servers], tx.now)
    await core.db.transaction(run)


async def propagation_status(core: Core, tld: str, last: int = 1000) -> dict[str, Any]:
    """{"changes", "not_served", "p50", "p95", "max", "measured_on", "servers": [...]} over the
    newest `last` changes (seconds; None without any)."""
    async def run(tx: Tx) -> dict[str, Any]:
        name = tld_name(tld)
        if name not in await tlds.fetch_tld_names(tx):
            raise ObjectNotFound("no such TLD", object_type="tld", name=name)
        summary = await repo.fetch_summary(tx.conn, name, last)
        summary["servers"] = await repo.fetch_server_states(tx.conn, name)
        return summary
    return await core.db.transaction(run, readonly=True)
