"""The limit store the workers of one node share: a fixed-size table in an mmap'd file
without a name (memfd), created by the supervisor and inherited by every worker. No round
trip to another process: a check hashes the key, locks one stripe of the table (an fcntl
record lock on one byte, which the kernel drops if its holder dies) and reads or writes a
few dozen bytes.

Layout: a header, one status line per worker slot (which store the worker uses, for
/readyz), then the buckets (key hash, tokens, stamp, the time the bucket is full again) and
the leases (key hash, one count per worker slot). A key lives in the stripe its hash names,
at the first free or idle entry there (a full bucket, or a lease entry whose counts are all 0).
When a stripe has no such entry left, that key is counted in the worker's own memory instead
(a `ProcessStore`): the limit then holds per worker, loosely, and nobody is refused because
the table is full; the worker logs it once.

Counts are kept per worker slot, so when a worker dies (even by SIGKILL) the supervisor
clears that slot's column before it starts the replacement: a dead worker's connections and
sessions do not stay counted. `time.monotonic` is CLOCK_MONOTONIC, the same for every
process of the machine."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import mmap
import os
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from protocols.net.limits import Lease, ProcessStore, refill

_log = logging.getLogger("registry.limits")
MAGIC = b"RGLIMIT1"
HEADER = struct.Struct("<8sIIII")  # magic, slots, bucket stripes, lease stripes, entries per stripe
BUCKET = struct.Struct("<Qddd")  # key hash, tokens, stamp, full at
STATUS_BYTES = 160
STRIPE = 64  # entries per stripe: one lock, one probe sequence
LOCK_BASE = 1 << 40  # lock offsets lie past the data, one byte per stripe


def key_hash(key: str) -> int:
    """64 bits of the key, the same in every process (never 0: 0 marks a free entry)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") or 1


def lease_format(slots: int) -> str:
    """A lease entry: key hash, one count per slot, padded to a multiple of 8 bytes."""
    return f"<Q{slots}I{4 * (slots % 2)}x"


class NodeTable:
    """The mapped file. `create_anonymous` (the supervisor) makes one that has no name, so
    nothing is left behind whatever happens to the supervisor; workers inherit its descriptor
    and `adopt` it. `create` and `open` make and map a named one (tests with spawned processes)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path  # for messages; an anonymous table's is "memfd:..." or a removed file
        self.fd = fd
        self._map = mmap.mmap(fd, 0)
        _magic, self.slots, bucket_stripes, lease_stripes, stripe = HEADER.unpack_from(self._map, 0)
        if _magic != MAGIC or stripe != STRIPE:
            raise ValueError(f"{path} is not a limit table")
        self.lease = struct.Struct(lease_format(self.slots))
        self.bucket_stripes, self.lease_stripes = bucket_stripes, lease_stripes
        self.status_at = HEADER.size
        self.buckets_at = self.status_at + STATUS_BYTES * self.slots
        self.leases_at = self.buckets_at + BUCKET.size * STRIPE * bucket_stripes
        self.view = memoryview(self._map)

    @classmethod
    def create(cls, directory: Path, slots: int, buckets: int = 65536, leases: int = 16384) -> NodeTable:
        """A new zeroed table file in `directory` for `slots` workers: `buckets` token buckets
        (32 bytes each) and `leases` lease entries (8 + 4 x slots bytes each, padded to 8)."""
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="registry-limits-", suffix=".table", dir=directory)
        return cls(Path(name), _laid_out(fd, slots, buckets, leases))

    @classmethod
    def create_anonymous(cls, slots: int, directory: Path, buckets: int = 65536, leases: int = 16384) -> NodeTable:
        """Like `create`, in memory without a name (memfd); where there is no memfd, a file in
        `directory` removed at once (its descriptor keeps it)."""
        if hasattr(os, "memfd_create"):
            fd = os.memfd_create("registry-limits", 0)  # not inheritable: passed on with pass_fds
            return cls(Path(f"memfd:registry-limits ({os.getpid()})"), _laid_out(fd, slots, buckets, leases))
        table = cls.create(directory, slots, buckets, leases)
        table.path.unlink()
        return table

    @classmethod
    def open(cls, path: Path) -> NodeTable:
        return cls(path, os.open(path, os.O_RDWR))

    @classmethod
    def adopt(cls, fd: int) -> NodeTable:
        """The table whose descriptor this process inherited."""
        return cls(Path(f"inherited descriptor {fd}"), fd)

    def close(self) -> None:
        self.view.release()
        self._map.close()
        os.close(self.fd)

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def lock(self, stripe: int) -> None:
        """Take the stripe's lock (an fcntl record lock: the kernel drops it if we die holding it)."""
        fcntl.lockf(self.fd, fcntl.LOCK_EX, 1, LOCK_BASE + stripe)

    def unlock(self, stripe: int) -> None:
        fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, LOCK_BASE + stripe)

    def hashes(self, at: int, entry_size: int) -> list[int]:
        """The key hashes of the stripe's entries that start at `at`."""
        return self.view[at:at + STRIPE * entry_size].cast("Q")[::entry_size // 8].tolist()

    def set_status(self, slot: int, text: str) -> None:
        at = self.status_at + slot * STATUS_BYTES
        self._map[at:at + STATUS_BYTES] = text.encode()[:STATUS_BYTES - 1].ljust(STATUS_BYTES, b"\0")

    def status(self, slot: int) -> str:
        at = self.status_at + slot * STATUS_BYTES
        return bytes(self._map[at:at + STATUS_BYTES]).split(b"\0", 1)[0].decode(errors="replace")

    def clear_slot(self, slot: int) -> None:
        """Forget what the worker in `slot` counted (it is gone) and its status line."""
        self.set_status(slot, "")
        size, column = self.lease.size, 8 + 4 * slot
        for stripe in range(self.lease_stripes):
            self.lock(self.bucket_stripes + stripe)
            try:
                base = self.leases_at + stripe * STRIPE * size
                for entry in range(STRIPE):
                    struct.pack_into("<I", self._map, base + entry * size + column, 0)
            finally:
                self.unlock(self.bucket_stripes + stripe)


def _laid_out(fd: int, slots: int, buckets: int, leases: int) -> int:
    bucket_stripes, lease_stripes = max(1, buckets // STRIPE), max(1, leases // STRIPE)
    size = (HEADER.size + STATUS_BYTES * slots + BUCKET.size * STRIPE * bucket_stripes
            + struct.calcsize(lease_format(slots)) * STRIPE * lease_stripes)
    os.ftruncate(fd, size)
    os.pwrite(fd, HEADER.pack(MAGIC, slots, bucket_stripes, lease_stripes, STRIPE), 0)
    return fd


class NodeStore:
    """The `LimitStore` on a `NodeTable`, for the worker in `slot`."""

    def __init__(self, table: NodeTable, slot: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.table = table
        self.slot = slot
        self._clock = clock
        self._overflow = ProcessStore()  # keys whose stripe is full
        self._warned = False
        self._buckets: dict[str, tuple[int, int]] = {}  # key -> (hash, entry offset) where it was last
        self._leases: dict[str, tuple[int, int]] = {}

    immediate = True

    def describe(self) -> str:
        return "node"

    async def reserve(self, key: str, rate: float, burst: float, max_wait: float) -> tuple[bool, float]:
        return self.reserve_now(key, rate, burst, max_wait)

    async def acquire(self, key: str, cap: int) -> Lease | None:
        return self.acquire_now(key, cap)

    def reserve_now(self, key: str, rate: float, burst: float, max_wait: float) -> tuple[bool, float]:
        table = self.table
        h, at = self._buckets.get(key) or (key_hash(key), -1)
        stripe = h % table.bucket_stripes
        table.lock(stripe)
        try:
            now = self._clock()
            if at < 0 or BUCKET.unpack_from(table.view, at)[0] != h:
                at = self._find_bucket(key, h, stripe, now)
                if at < 0:
                    return self._overflowed(key).reserve_now(key, rate, burst, max_wait)
            found, tokens, stamp, _full = BUCKET.unpack_from(table.view, at)
            if found != h:  # a free or idle entry: a new, full bucket
                tokens, stamp = burst, now
            admitted, wait, tokens = refill(tokens, stamp, now, rate, burst, max_wait)
            BUCKET.pack_into(table.view, at, h, tokens, now, now + (burst - tokens) / rate)
        finally:
            table.unlock(stripe)
        return admitted, wait

    def _find_bucket(self, key: str, h: int, stripe: int, now: float) -> int:
        """The entry offset holding `h` in its stripe, else the first free or idle one (-1: none)."""
        base = self.table.buckets_at + stripe * STRIPE * BUCKET.size
        hashes = self.table.hashes(base, BUCKET.size)
        if h in hashes:
            return self._remember(self._buckets, key, h, base + hashes.index(h) * BUCKET.size)
        for i, found in enumerate(hashes):
            at = base + i * BUCKET.size
            if found == 0 or BUCKET.unpack_from(self.table.view, at)[3] <= now:
                return self._remember(self._buckets, key, h, at)
        return -1

    @staticmethod
    def _remember(where: dict[str, tuple[int, int]], key: str, h: int, at: int) -> int:
        if len(where) >= 100_000:
            where.clear()
        where[key] = (h, at)
        return at

    def acquire_now(self, key: str, cap: int) -> Lease | None:
        table, lease = self.table, self.table.lease
        h, at = self._leases.get(key) or (key_hash(key), -1)
        stripe = table.bucket_stripes + h % table.lease_stripes
        table.lock(stripe)
        try:
            if at < 0 or struct.unpack_from("<Q", table.view, at)[0] != h:
                at = self._find_lease(key, h, stripe - table.bucket_stripes)
                if at < 0:
                    return self._overflowed(key).acquire_now(key, cap)
            counts = list(lease.unpack_from(table.view, at))
            if counts[0] != h:  # a free entry
                counts = [h] + [0] * table.slots
            if sum(counts[1:]) >= cap:
                return None
            counts[1 + self.slot] += 1
            lease.pack_into(table.view, at, *counts)
        finally:
            table.unlock(stripe)
        offset = at
        return Lease(key, lambda: self._release(h, stripe, offset))

    def _find_lease(self, key: str, h: int, stripe: int) -> int:
        """The entry offset holding `h` in its stripe, else the first one nobody holds (-1: none)."""
        size = self.table.lease.size
        base = self.table.leases_at + stripe * STRIPE * size
        hashes = self.table.hashes(base, size)
        if h in hashes:
            return self._remember(self._leases, key, h, base + hashes.index(h) * size)
        for i in range(STRIPE):
            if not any(self.table.lease.unpack_from(self.table.view, base + i * size)[1:]):
                return self._remember(self._leases, key, h, base + i * size)
        return -1

    def _release(self, h: int, stripe: int, at: int) -> None:
        column = at + 8 + 4 * self.slot
        self.table.lock(stripe)
        try:
            if struct.unpack_from("<Q", self.table.view, at)[0] == h:
                held = struct.unpack_from("<I", self.table.view, column)[0]
                if held:
                    struct.pack_into("<I", self.table.view, column, held - 1)
        finally:
            self.table.unlock(stripe)

    def _overflowed(self, key: str) -> ProcessStore:
        if not self._warned:
            self._warned = True
            _log.warning("limit table %s: a stripe is full; keys that do not fit are limited per worker "
                         "(first: %s)", self.table.path, key)
        return self._overflow
