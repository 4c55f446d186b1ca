"""SQL of the history's hash chains: taking a lane, appending to it, reading lanes back,
and the signed checkpoints (the rules are in registry_core/model/audit.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from registry_core.model import audit
from registry_core.model.audit import ChainedRow, Head, HistoryEntry

# The lane of this transaction, locked until commit: every row this transaction writes goes there.
_TAKE_LANE = f"""SELECT lane, seq, hash FROM history_head
                 WHERE lane = (pg_current_xact_id()::text::bigint % {audit.LANES}) FOR UPDATE"""
COLUMNS = "object_type, object_id, object_name, action, registrar_id, sv_trid, cl_trid, at, before, after, via"


async def take_lane(conn: Any) -> Head:
    row = await conn.fetchrow(_TAKE_LANE)
    return Head(row["lane"], row["seq"], bytes(row["hash"]))


async def insert_chained(conn: Any, entry: HistoryEntry) -> None:
    """One history row appended to this transaction's lane (two statements)."""
    head = await take_lane(conn)
    [(seq, prev, digest)], _new_head = audit.append(head, [entry])
    await conn.execute(
        f"""WITH moved AS (UPDATE history_head SET seq = $11, hash = $14 WHERE lane = $12)
            INSERT INTO history ({COLUMNS}, lane, seq, prev_hash, row_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $15, $12, $11, $13, $14)""",
        entry.object_type, entry.object_id, entry.object_name, entry.action, entry.registrar_id, entry.sv_trid,
        entry.cl_trid, entry.at, entry.before, entry.after, seq, head.lane, prev, digest, entry.via)


async def move_head(conn: Any, head: Head) -> None:
    await conn.execute("UPDATE history_head SET seq = $2, hash = $3 WHERE lane = $1", head.lane, head.seq, head.hash)


def _row(row: Any) -> ChainedRow:
    entry = HistoryEntry(row["object_type"], row["object_id"], row["object_name"], row["action"],
                         row["registrar_id"], row["sv_trid"], row["cl_trid"], row["at"], row["before"], row["after"],
                         row["via"])
    return ChainedRow(row["id"], row["lane"], row["seq"], bytes(row["prev_hash"]), bytes(row["row_hash"]), entry)


async def iter_lane(conn: Any, lane: int, after_seq: int = 0) -> AsyncIterator[ChainedRow]:
    """The lane's rows after `after_seq`, in order, from a cursor (inside a transaction)."""
    async for row in conn.cursor(
            f"""SELECT id, {COLUMNS}, lane, seq, prev_hash, row_hash FROM history
                WHERE lane = $1 AND seq > $2 ORDER BY seq""", lane, after_seq, prefetch=2000):
        yield _row(row)


async def fetch_lane_start(conn: Any, lane: int, since: datetime) -> tuple[int, bytes] | None:
    """(seq, hash) of the lane's last row written before `since`, to verify from there."""
    row = await conn.fetchrow(
        """SELECT seq, row_hash FROM history WHERE lane = $1 AND seq < coalesce(
               (SELECT min(seq) FROM history WHERE lane = $1 AND at >= $2), 9223372036854775807)
           ORDER BY seq DESC LIMIT 1""", lane, since)
    return None if row is None else (row["seq"], bytes(row["row_hash"]))


async def fetch_heads(conn: Any) -> list[Head]:
    rows = await conn.fetch("SELECT lane, seq, hash FROM history_head ORDER BY lane")
    return [Head(r["lane"], r["seq"], bytes(r["hash"])) for r in rows]


async def count_unchained(conn: Any) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM history WHERE lane IS NULL"))


async def fetch_row_hashes(conn: Any, places: Sequence[Head]) -> dict[tuple[int, int], bytes]:
    """The row hash at each (lane, seq) of `places` that exists."""
    rows = await conn.fetch(
        """SELECT h.lane, h.seq, h.row_hash FROM unnest($1::smallint[], $2::bigint[]) AS p (lane, seq)
           JOIN history h ON h.lane = p.lane AND h.seq = p.seq""",
        [p.lane for p in places], [p.seq for p in places])
    return {(r["lane"], r["seq"]): bytes(r["row_hash"]) for r in rows}


async def insert_checkpoint(conn: Any, at: datetime, heads: Sequence[Head], root: bytes, signature: bytes,
                            public_key: bytes) -> int:
    return int(await conn.fetchval(
        """INSERT INTO audit_checkpoint (at, heads, root, signature, public_key)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""", at, audit.heads_to_json(heads), root, signature, public_key))


async def fetch_checkpoints(conn: Any, since: datetime | None = None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT id, at, heads, root, signature, public_key FROM audit_checkpoint
           WHERE $1::timestamptz IS NULL OR at >= $1 ORDER BY id""", since)
    return [dict(r) for r in rows]


async def fetch_latest_checkpoint(conn: Any, at: datetime) -> dict[str, Any] | None:
    """The last checkpoint signed at or before `at`."""
    row = await conn.fetchrow(
        """SELECT id, at, heads, root, signature, public_key FROM audit_checkpoint
           WHERE at <= $1 ORDER BY at DESC, id DESC LIMIT 1""", at)
    return None if row is None else dict(row)
