"""SQL shared by every object kind: history rows, poll messages and transfers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from registry_core.db.repo import audit
from registry_core.model.actor import Actor
from registry_core.model.audit import HistoryEntry
from registry_core.model.poll import PollMessage
from registry_core.model.transfer import TransferInfo


def _jsonable(value: Any) -> Any:
    return None if value is None else json.loads(json.dumps(value, default=str))


def history_json(value: Any) -> Any:
    """Plain JSON values as jsonb gives them back, which the history's hashes are taken over
    (numbers that are not integers become text, so that no float is rounded on the way)."""
    return None if value is None else json.loads(json.dumps(value, default=str), parse_float=str)


async def insert_history(conn: Any, actor: Actor | None, now: datetime, object_type: str,
                         object_id: int | None, object_name: str, action: str,
                         before: Any = None, after: Any = None, sv_trid: str | None = None) -> None:
    """One history row, appended to this transaction's lane of the hash chains."""
    await audit.insert_chained(conn, HistoryEntry(
        object_type, object_id, object_name, action, (actor.registrar_id or None) if actor else None,
        sv_trid or (actor.sv_trid if actor else "system"), actor.cl_trid if actor else None, now,
        history_json(before), history_json(after), dict(actor.via) if actor and actor.via else None))


async def insert_poll_message(conn: Any, registrar_id: str, now: datetime, kind: str, message: str,
                              payload: dict[str, Any]) -> None:
    await conn.execute(
        """INSERT INTO poll_message (registrar_id, created_at, kind, message, payload)
           VALUES ($1, $2, $3, $4, $5)""", registrar_id, now, kind, message, _jsonable(payload))


async def fetch_poll_head(conn: Any, registrar_id: str) -> tuple[int, PollMessage | None]:
    row = await conn.fetchrow(
        """SELECT id, created_at, kind, message, payload,
                  count(*) OVER () AS total
           FROM poll_message WHERE registrar_id = $1 AND acked_at IS NULL
           ORDER BY id LIMIT 1""", registrar_id)
    if row is None:
        return 0, None
    return int(row["total"]), PollMessage(row["id"], row["created_at"], row["kind"], row["message"], row["payload"])


async def ack_poll_message(conn: Any, registrar_id: str, message_id: int, now: datetime) -> bool:
    status = await conn.execute(
        """UPDATE poll_message SET acked_at = $3
           WHERE id = $2 AND registrar_id = $1 AND acked_at IS NULL""", registrar_id, message_id, now)
    return bool(status == "UPDATE 1")


def _transfer(row: Any) -> TransferInfo:
    """acDate is the due time while pending and the completion time after (RFC 5731 3.1.3)."""
    charged = row["charged"]
    acted = row["action_due"] if row["status"] == "pending" else row["acted_at"]
    return TransferInfo(row["object_name"], row["status"], row["gaining_id"], row["requested_at"],
                        row["losing_id"], acted, row["expires_at"],
                        None if charged is None else str(charged))


async def fetch_latest_transfer(conn: Any, object_type: str, object_id: int) -> TransferInfo | None:
    row = await conn.fetchrow(
        """SELECT * FROM transfer WHERE object_type = $1 AND object_id = $2
           ORDER BY id DESC LIMIT 1""", object_type, object_id)
    return None if row is None else _transfer(row)


async def fetch_pending_transfer(conn: Any, object_type: str, object_id: int) -> dict[str, Any] | None:
    """The pending transfer of an object (callers that change it hold the object's row lock)."""
    row = await conn.fetchrow(
        """SELECT * FROM transfer WHERE object_type = $1 AND object_id = $2 AND status = 'pending'""",
        object_type, object_id)
    return None if row is None else dict(row)


async def insert_transfer(conn: Any, values: dict[str, Any]) -> TransferInfo:
    columns = list(values)
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    row = await conn.fetchrow(
        f"INSERT INTO transfer ({', '.join(columns)}) VALUES ({params}) RETURNING *", *values.values())
    return _transfer(row)


async def close_transfer(conn: Any, transfer_id: int, status: str, now: datetime,
                         expires_at: datetime | None) -> TransferInfo:
    row = await conn.fetchrow(
        """UPDATE transfer SET status = $2, acted_at = $3,
                  -- exDate stays only where the transfer changed the validity period
                  expires_at = CASE WHEN $2 IN ('clientApproved', 'serverApproved')
                                    THEN coalesce($4, expires_at) END
           WHERE id = $1 RETURNING *""", transfer_id, status, now, expires_at)
    return _transfer(row)
