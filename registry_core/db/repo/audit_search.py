"""SQL of the audit search: history rows of one object name, newest first."""

from __future__ import annotations

from typing import Any


async def fetch_history(conn: Any, object_name: str, action: str, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT id, at, object_type, object_name, action, registrar_id, sv_trid, via, before, after
           FROM history WHERE object_name = $1 AND ($2 = '' OR action = $2)
           ORDER BY id DESC LIMIT $3""", object_name, action, limit)
    return [dict(r) for r in rows]
