"""The history's hash chains, as pure rules.

Every history row belongs to one of LANES chains. The transaction that writes a row picks
its lane from its own transaction id, so concurrent transactions append to different
lanes and one transaction never holds two lane locks (no deadlock between writers). In its
lane a row has a sequence number (1, 2, ...), the hash of the row before it (GENESIS for
the first) and its own hash: SHA-256 over the previous hash and the row's canonical bytes.

Editing a row changes its hash; deleting one leaves a gap in the sequence; deleting the
last rows disagrees with the lane's head; rewriting a whole lane consistently disagrees
with the signed checkpoints, which record every lane's head at a moment (the signature
cannot be redone without the registry's signing key)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

LANES = 64
GENESIS = bytes(32)
_DOMAIN = b"registry-history-v1\n"  # version of the canonical form below
_CHECKPOINT = b"registry-audit-checkpoint-v1\n"


@dataclass(frozen=True)
class HistoryEntry:
    """What a history row says; its hash covers exactly these fields."""

    object_type: str
    object_id: int | None
    object_name: str
    action: str
    registrar_id: str | None
    sv_trid: str
    cl_trid: str | None
    at: datetime
    before: Any
    after: Any
    via: dict[str, str] | None = None  # console or API: the user, address and session behind the registrar


@dataclass(frozen=True)
class ChainedRow:
    id: int
    lane: int
    seq: int
    prev_hash: bytes
    row_hash: bytes
    entry: HistoryEntry


@dataclass(frozen=True)
class Head:
    lane: int
    seq: int
    hash: bytes


@dataclass(frozen=True)
class Break:
    """The first broken link found: where, and what is wrong there."""

    lane: int
    seq: int
    history_id: int | None
    problem: str


def _utc(at: datetime) -> str:
    """ISO 8601 in UTC with microseconds (PostgreSQL's precision); a naive time is UTC, as
    the database driver takes it."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="microseconds")


def canonical(entry: HistoryEntry) -> bytes:
    """Stable bytes of an entry: sorted keys, no spaces, UTC time with microseconds. The
    before/after values are JSON already (as stored in jsonb)."""
    fields = [entry.object_type, entry.object_id, entry.object_name, entry.action, entry.registrar_id,
              entry.sv_trid, entry.cl_trid, _utc(entry.at),
              entry.before, entry.after]
    if entry.via is not None:  # rows without it hash as they always did
        fields.append(entry.via)
    return _DOMAIN + json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(prev: bytes, entry: HistoryEntry) -> bytes:
    return hashlib.sha256(prev + canonical(entry)).digest()


def lane_of(transaction_id: int) -> int:
    return transaction_id % LANES


def append(head: Head, entries: Sequence[HistoryEntry]) -> tuple[list[tuple[int, bytes, bytes]], Head]:
    """(seq, prev_hash, row_hash) for entries appended in order after `head`, and the new head."""
    chained, seq, prev = [], head.seq, head.hash
    for entry in entries:
        seq += 1
        digest = row_hash(prev, entry)
        chained.append((seq, prev, digest))
        prev = digest
    return chained, Head(head.lane, seq, prev)


def check_lane(lane: int, rows: Iterable[ChainedRow], head: Head | None,
               start: tuple[int, bytes] = (0, GENESIS)) -> Break | None:
    """The first break in one lane's rows (in seq order), continuing after (seq, hash)
    `start`; then the rows' end against the lane's head."""
    seq, prev = start
    for row in rows:
        if row.seq != seq + 1:
            return Break(lane, seq + 1, row.id, f"row {seq + 1} is missing (next is {row.seq})")
        if row.prev_hash != prev:
            return Break(lane, row.seq, row.id, "does not link to the row before it")
        if row_hash(row.prev_hash, row.entry) != row.row_hash:
            return Break(lane, row.seq, row.id, "its content was changed after it was written")
        seq, prev = row.seq, row.row_hash
    if head is not None and (head.seq, head.hash) != (seq, prev):
        return Break(lane, seq + 1, None, f"the lane's head says {head.seq} rows, the chain ends at {seq}")
    return None


def checkpoint_bytes(at: datetime, heads: Sequence[Head]) -> bytes:
    """What a checkpoint signs: its time and every lane's (seq, hash), in lane order."""
    lines = [_utc(at)]
    lines += [f"{h.lane} {h.seq} {h.hash.hex()}" for h in sorted(heads, key=lambda h: h.lane)]
    return _CHECKPOINT + "\n".join(lines).encode()


def checkpoint_root(at: datetime, heads: Sequence[Head]) -> bytes:
    return hashlib.sha256(checkpoint_bytes(at, heads)).digest()


def heads_from_json(value: Iterable[Sequence[Any]]) -> list[Head]:
    return [Head(int(lane), int(seq), bytes.fromhex(digest)) for lane, seq, digest in value]


def heads_to_json(heads: Iterable[Head]) -> list[list[Any]]:
    return [[h.lane, h.seq, h.hash.hex()] for h in heads]



def head_document(at: datetime, heads: Sequence[Head], signature: bytes, public_key: bytes) -> bytes:
    """A signed checkpoint as a file of its own (JSON, keys sorted): what travels beside each
    escrow deposit, so the agent holds the chain heads of that day outside the registry."""
    return json.dumps({"format": "registry-audit-head-1", "at": _utc(at), "heads": heads_to_json(heads),
                       "signature": base64.b64encode(signature).decode(),
                       "publicKey": base64.b64encode(public_key).decode()}, sort_keys=True, indent=1).encode()


def read_head_document(data: bytes) -> tuple[datetime, list[Head], bytes, bytes]:
    """(at, heads, signature, public key) of a head file; ValueError when it is not one."""
    try:
        doc = json.loads(data)
        if doc.get("format") != "registry-audit-head-1":
            raise ValueError("not a registry audit head file")
        at = datetime.fromisoformat(doc["at"].replace("Z", "+00:00"))
        return (at, heads_from_json(doc["heads"]), base64.b64decode(doc["signature"], validate=True),
                base64.b64decode(doc["publicKey"], validate=True))
    except (KeyError, TypeError, AttributeError, binascii.Error, json.JSONDecodeError) as exc:
        raise ValueError(f"not a registry audit head file: {exc}") from exc
