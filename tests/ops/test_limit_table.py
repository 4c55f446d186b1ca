"""The node-shared limit table with real processes: two processes spending one bucket
admit what one bucket allows, and take no more places than the cap; a SIGKILLed worker's
places come back when its slot is cleared; a full table limits per process, refusing nobody."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from protocols.net.limit_table import NodeStore, NodeTable

ATTEMPTS = 400


def _spend(path: str, slot: int, start: float, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    store = NodeStore(NodeTable.open(Path(path)), slot)
    while time.monotonic() < start:  # both begin together
        pass
    admitted = sum(store.reserve_now("rdap:rate:192.0.2.1", 0.001, 150.0, 0.0)[0] for _ in range(ATTEMPTS))
    leases = [store.acquire_now("epp:sessions:alpha", 25) for _ in range(ATTEMPTS)]
    results.put((admitted, sum(lease is not None for lease in leases)))


def _hold(path: str, slot: int, ready: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    store = NodeStore(NodeTable.open(Path(path)), slot)
    held = [store.acquire_now("epp:sessions:alpha", 5) for _ in range(3)]
    assert all(held)
    ready.set()
    time.sleep(60)


@pytest.fixture
def table(tmp_path: Path) -> Iterator[NodeTable]:
    table = NodeTable.create(tmp_path, slots=2, buckets=1024, leases=256)
    yield table
    table.remove()


def test_two_processes_on_one_bucket_admit_what_one_bucket_allows(table: NodeTable) -> None:
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    start = time.monotonic() + 1.5
    workers = [spawn.Process(target=_spend, args=(str(table.path), slot, start, results)) for slot in (0, 1)]
    for worker in workers:
        worker.start()
    counted = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(10)
    assert sum(admitted for admitted, _ in counted) == 150  # the burst, once for both (the rate adds ~0)
    assert sum(places for _, places in counted) == 25


def test_a_killed_workers_places_come_back_when_its_slot_is_cleared(table: NodeTable) -> None:
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Event()
    holder = spawn.Process(target=_hold, args=(str(table.path), 1, ready))
    holder.start()
    assert ready.wait(30)
    here = NodeStore(table, 0)
    assert [here.acquire_now("epp:sessions:alpha", 5) is not None for _ in range(3)] == [True, True, False]
    os.kill(holder.pid or 0, signal.SIGKILL)
    holder.join(10)
    assert here.acquire_now("epp:sessions:alpha", 5) is None  # still counted: nobody released them
    table.clear_slot(1)  # what the supervisor does when the worker in slot 1 is gone
    assert [here.acquire_now("epp:sessions:alpha", 5) is not None for _ in range(4)] == [True, True, True, False]


def test_released_places_and_refilled_buckets_are_reused(table: NodeTable) -> None:
    now = [100.0]
    store = NodeStore(table, 0, clock=lambda: now[0])
    lease = store.acquire_now("whois:conn:192.0.2.9", 1)
    assert lease is not None and store.acquire_now("whois:conn:192.0.2.9", 1) is None
    lease.release()
    lease.release()  # once only
    assert store.acquire_now("whois:conn:192.0.2.9", 1) is not None
    assert store.reserve_now("k", 2.0, 1.0, 0.0) == (True, 0.0)
    assert store.reserve_now("k", 2.0, 1.0, 0.0) == (False, pytest.approx(0.5))
    assert store.reserve_now("k", 2.0, 1.0, 1.0) == (True, pytest.approx(0.5))  # reserved ahead
    assert store.reserve_now("k", 2.0, 1.0, 0.6) == (False, pytest.approx(1.0))  # queued behind it
    now[0] += 1.0
    assert store.reserve_now("k", 2.0, 1.0, 0.0) == (True, 0.0)


def test_a_full_table_limits_each_process_on_its_own_and_refuses_nobody(tmp_path: Path) -> None:
    table = NodeTable.create(tmp_path, slots=1, buckets=64, leases=64)  # one stripe of each
    try:
        store = NodeStore(table, 0)
        for i in range(64):  # every entry busy: an emptied bucket, a held place
            assert store.reserve_now(f"rate:{i}", 0.001, 1.0, 0.0)[0]
            assert store.acquire_now(f"conn:{i}", 1) is not None
        assert store.reserve_now("rate:late", 0.001, 1.0, 0.0)[0]  # counted in this process instead
        assert not store.reserve_now("rate:late", 0.001, 1.0, 0.0)[0]  # and still limited there
        assert store.acquire_now("conn:late", 1) is not None
        assert store.acquire_now("conn:late", 1) is None
    finally:
        table.remove()
