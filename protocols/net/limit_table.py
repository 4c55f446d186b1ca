"""The limit store the workers of one node share: a fixed-size table in an mmap'd file
(under /dev/shm when it exists, else paths.var), created by the supervisor and opened by every
worker. No round trip to another process: a check hashes the key, locks one stripe of the
table (an fcntl record lock on one byte) and reads or writes a few dozen bytes.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def table_directory(var: Path) -> Path:
    """Memory-backed /dev/shm where there is one (the file gets a random name: mkstemp), else var."""
    shm = Path("/dev/shm")  # noqa: S108 - created with mkstemp (O_EXCL, mode 0600), never a guessed name
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else var


class NodeTable:
    """The mapped file. `create` (the supervisor) sizes and zeroes it; `open` (a worker) maps it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self._map = mmap.mmap(fd, 0)
        _magic, self.slots, bucket_stripes, lease_stripes, stripe = HEADER.unpack_from(self._map, 0)
        if _magic != MAGIC or stripe != STRIPE:
            raise ValueError(f"{path} is not a limit table")
        self.lease = struct.Struct(f"<Q{self.slots}I")
        self.bucket_stripes, self.lease_stripes = bucket_stripes, lease_stripes
        self.status_at = HEADER.size
        self.buckets_at = self.status_at + STATUS_BYTES * self.slots
        self.leases_at = self.buckets_at + BUCKET.size * STRIPE * bucket_stripes
        self.view = memoryview(self._map)

    @classmethod
    def create(cls, directory: Path, slots: int, buckets: int = 65536, leases: int = 16384) -> NodeTable:
        """A new zeroed table file in `directory` for `slots` workers: `buckets` token buckets
        (32 bytes each) and `leases` lease entries (8 + 4 x slots bytes each)."""
        bucket_stripes, lease_stripes = max(1, buckets // STRIPE), max(1, leases // STRIPE)
        size = (HEADER.size + STATUS_BYTES * slots + BUCKET.size * STRIPE * bucket_stripes
                + struct.calcsize(f"<Q{slots}I") * STRIPE * lease_stripes)
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="registry-limits-", suffix=".table", dir=directory)
        os.ftruncate(fd, size)
        os.pwrite(fd, HEADER.pack(MAGIC, slots, bucket_stripes, lease_stripes, STRIPE), 0)
        return cls(Path(name), fd)

    @classmethod
    def open(cls, path: Path) -> NodeTable:
        return cls(path, os.open(path, os.O_RDWR))

    def close(self) -> None:
        self.view.release()
        self._map.close()
        os.close(self._fd)

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    @contextmanager
    def locked(self, lock: int) -> Iterator[None]:
        fcntl.lockf(self._fd, fcntl.LOCK_EX, 1, LOCK_BASE + lock)
        try:
            yield
        finally:
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, LOCK_BASE + lock)

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
            with self.locked(self.bucket_stripes + stripe):
                base = self.leases_at + stripe * STRIPE * size
                for entry in range(STRIPE):
                    struct.pack_into("<I", self._map, base + entry * size + column, 0)


class NodeStore:
    """The `LimitStore` on a `NodeTable`, for the worker in `slot`."""

    def __init__(self, table: NodeTable, slot: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.table = table
        self.slot = slot
        self._clock = clock
        self._overflow = ProcessStore()  # keys whose stripe is full
        self._warned = False
        self._where: dict[str, tuple[int, int]] = {}  # key -> (hash, bucket entry offset) last seen

    immediate = True

    def describe(self) -> str:
        return "node"

    async def reserve(self, key: str, rate: float, burst: float, max_wait: float) -> tuple[bool, float]:
        return self.reserve_now(key, rate, burst, max_wait)

    async def acquire(self, key: str, cap: int) -> Lease | None:
        return self.acquire_now(key, cap)

    def reserve_now(self, key: str, rate: float, burst: float, max_wait: float) -> tuple[bool, float]:
        h, stripe = self._bucket_home(key)
        with self.table.locked(stripe):
            now = self._clock()
            at = self._find_bucket(key, h, stripe, now)
            if at is None:
                return self._overflowed(key).reserve_now(key, rate, burst, max_wait)
            found, tokens, stamp, _full = BUCKET.unpack_from(self.table.view, at)
            if found != h:
                tokens, stamp = burst, now
            admitted, wait, tokens = refill(tokens, stamp, now, rate, burst, max_wait)
            BUCKET.pack_into(self.table.view, at, h, tokens, now, now + (burst - tokens) / rate)
            return admitted, wait

    def _bucket_home(self, key: str) -> tuple[int, int]:
        known = self._where.get(key)
        h = known[0] if known is not None else key_hash(key)
        return h, h % self.table.bucket_stripes

    def _find_bucket(self, key: str, h: int, stripe: int, now: float) -> int | None:
        """The entry offset holding `h` in its stripe, else the first free or idle one."""
        known = self._where.get(key)
        if known is not None and struct.unpack_from("<Q", self.table.view, known[1])[0] == h:
            return known[1]
        base = self.table.buckets_at + stripe * STRIPE * BUCKET.size
        hashes = self.table.view[base:base + STRIPE * BUCKET.size].cast("Q")[::4].tolist()
        if h in hashes:
            at = base + hashes.index(h) * BUCKET.size
        else:
            at = next((base + i * BUCKET.size for i, found in enumerate(hashes)
                       if found == 0 or BUCKET.unpack_from(self.table.view, base + i * BUCKET.size)[3] <= now), -1)
            if at < 0:
                return None
        if len(self._where) >= 100_000:
            self._where.clear()
        self._where[key] = (h, at)
        return at

    def acquire_now(self, key: str, cap: int) -> Lease | None:
        h = key_hash(key)
        stripe = self.table.bucket_stripes + h % self.table.lease_stripes
        with self.table.locked(stripe):
            at = self._find_lease(h, stripe - self.table.bucket_stripes)
            if at is None:
                return self._overflowed(key).acquire_now(key, cap)
            counts = list(self.table.lease.unpack_from(self.table.view, at))
            if counts[0] != h:
                counts = [h] + [0] * self.table.slots
            if sum(counts[1:]) >= cap:
                return None
            counts[1 + self.slot] += 1
            self.table.lease.pack_into(self.table.view, at, *counts)
        offset = at
        return Lease(key, lambda: self._release(h, stripe, offset))

    def _find_lease(self, h: int, stripe: int) -> int | None:
        size = self.table.lease.size
        base = self.table.leases_at + stripe * STRIPE * size
        free = None
        for i in range(STRIPE):
            counts = self.table.lease.unpack_from(self.table.view, base + i * size)
            if counts[0] == h:
                return base + i * size
            if free is None and not any(counts[1:]):
                free = base + i * size
        return free

    def _release(self, h: int, stripe: int, at: int) -> None:
        column = at + 8 + 4 * self.slot
        with self.table.locked(stripe):
            if struct.unpack_from("<Q", self.table.view, at)[0] != h:
                return
            held = struct.unpack_from("<I", self.table.view, column)[0]
            if held:
                struct.pack_into("<I", self.table.view, column, held - 1)

    def _overflowed(self, key: str) -> ProcessStore:
        if not self._warned:
            self._warned = True
            _log.warning("limit table %s: a stripe is full; keys that do not fit are limited per worker "
                         "(first: %s)", self.table.path, key)
        return self._overflow
