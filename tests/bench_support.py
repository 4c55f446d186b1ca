"""What every benchmark shares: a fresh migrated database, free ports, a closed-loop load
driver and its summary (throughput, p50, p99)."""

from __future__ import annotations

import asyncio
import socket
import statistics
import time
from collections.abc import Awaitable, Callable

import asyncpg

from registry_core.db.migrate import migrate


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def fresh_database(admin_dsn: str, name: str) -> str:
    """Drop and create database `name` on the server of `admin_dsn`, migrate it, return its DSN."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    head, _, tail = admin_dsn.partition("?")
    dsn = f"{head.rsplit('/', 1)[0]}/{name}?{tail}"
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return dsn


def summary(latencies: list[float], elapsed: float, errors: int) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"per_second": len(ordered) / elapsed, "p50_ms": statistics.median(ordered) * 1000,
            "p95_ms": ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000,
            "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, "count": len(ordered),
            "errors": errors}


async def drive(concurrency: int, one: Callable[[int, int], Awaitable[bool]], seconds: float) -> dict[str, float]:
    """`concurrency` closed loops calling one(loop, i) for `seconds`; one() says whether the
    answer was the expected one."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def loop(worker: int) -> None:
        nonlocal errors
        i = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            ok = await one(worker, i)
            latencies.append(time.perf_counter() - started)
            errors += not ok
            i += 1
    started = time.perf_counter()
    await asyncio.gather(*(loop(w) for w in range(concurrency)))
    return summary(latencies, time.perf_counter() - started, errors)
