"""SQL of the registrar console's contact and host lists: a registrar's live objects by
handle or name, in keyset pages (after, limit) and, for exports, from a cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

_CONTACTS = """SELECT handle AS key, handle, roid, statuses, created_at FROM contact
               WHERE sponsor_id = $1 AND deleted_at IS NULL AND handle > $2 ORDER BY handle"""
_HOSTS = """SELECT h.name AS key, h.name, h.roid, h.statuses, h.created_at,
                   ARRAY(SELECT host(a.address) FROM host_address a WHERE a.host_id = h.id ORDER BY 1) AS addresses
            FROM host h WHERE h.sponsor_id = $1 AND h.deleted_at IS NULL AND h.name > $2 ORDER BY h.name"""
QUERIES = {"contact": _CONTACTS, "host": _HOSTS}


async def fetch_objects(conn: Any, kind: str, registrar_id: str, after: str, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(QUERIES[kind] + " LIMIT $3", registrar_id, after, limit)
    return [dict(r) for r in rows]


async def iter_objects(conn: Any, kind: str, registrar_id: str) -> AsyncIterator[dict[str, Any]]:
    """Every live object of the kind, from a cursor (inside a transaction)."""
    async for row in conn.cursor(QUERIES[kind], registrar_id, "", prefetch=2000):
        yield dict(row)
