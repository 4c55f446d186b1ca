"""Cost of one limit check in each local store (`python -m tests.bench_limits`): the RDAP
per-request token bucket and a connection lease taken and given back, on this process's
dict store and on the node table every worker shares (an fcntl lock and a few dozen bytes
of an mmap'd file). Prints microseconds per check; not a test."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from protocols.net.limit_table import NodeStore, NodeTable
from protocols.net.limits import IpLimits, LimitPolicy, LimitStore, ProcessStore

ROUNDS = 200_000


def per_call(run: object, rounds: int = ROUNDS) -> float:
    started = time.perf_counter()
    run(rounds)  # type: ignore[operator]
    return (time.perf_counter() - started) / rounds * 1e6


def bench(name: str, store: ProcessStore | NodeStore) -> None:
    clients = [f"192.0.2.{i % 250}" for i in range(1000)]

    def reserve(n: int) -> None:
        for i in range(n):
            store.reserve_now(f"rdap:rate:{clients[i % 1000]}", 1e6, 1e6, 0.0)

    def lease(n: int) -> None:
        for i in range(n):
            held = store.acquire_now(f"rdap:conn:{clients[i % 1000]}", 1 << 30)
            assert held is not None
            held.release()

    print(f"{name:8} reserve_now {per_call(reserve):5.2f} us   acquire+release {per_call(lease):5.2f} us")


async def bench_take(name: str, store: LimitStore) -> None:
    limits = IpLimits(LimitPolicy(1e6, 1_000_000, 0), store=store, scope="rdap")
    started = time.perf_counter()
    for i in range(ROUNDS):
        await limits.take(f"192.0.2.{i % 250}")
    print(f"{name:8} IpLimits.take (what RDAP awaits per request) "
          f"{(time.perf_counter() - started) / ROUNDS * 1e6:5.2f} us")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        table = NodeTable.create(Path(directory), slots=4)
        try:
            for name, store in (("process", ProcessStore()), ("node", NodeStore(table, 0))):
                bench(name, store)
                asyncio.run(bench_take(name, store))
        finally:
            table.remove()


if __name__ == "__main__":
    main()
