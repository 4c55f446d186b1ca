"""SQL of the audit search: history rows of one object name, newest first; and every row
of one object kind and name, oldest first (the timeline and the state at a time)."""

from __future__ import annotations

from typing import Any


async def fetch_history(conn: Any, object_name: str, action: str, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT id, at, object_type, object_name, action, registrar_id, sv_trid, via, before, after
           FROM history WHERE object_name = $1 AND ($2 = '' OR action = $2)
           ORDER BY id DESC LIMIT $3""", object_name, action, limit)
    return [dict(r) for r in rows]


async def fetch_object_history(conn: Any, object_type: str, object_name: str) -> list[dict[str, Any]]:
    """Every history row of the objects of that kind and name (all registrations), oldest first."""
    rows = await conn.fetch(
        """SELECT id, object_id, at, action, registrar_id, sv_trid, before, after
           FROM history WHERE object_name = $1 AND object_type = $2 ORDER BY id""", object_name, object_type)
    return [dict(r) for r in rows]
