"""SQL of the registrar console's domain list: a registrar's live domains by name, in
keyset pages, narrowed by name prefix, status and expiry. Names compare in byte order
(`~>~`, `~>=~`, `~<~`, the operators of the text_pattern_ops index), so the sponsor filter,
the prefix range and the order all come from one index scan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any


async def fetch_registrar_domains(conn: Any, registrar_id: str, *, prefix: str, status: str | None,
                                  expires_before: datetime | None, after: str, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` domains named after `after` (domain_sponsor_name serves filter and order)."""
    rows = await conn.fetch(
        """SELECT name, statuses, expires_at, created_at FROM domain
           WHERE sponsor_id = $1 AND deleted_at IS NULL AND name ~>~ $2 AND name ~>=~ $3 AND name ~<~ $7
             AND ($4::text IS NULL OR $4 = ANY(statuses)) AND ($5::timestamptz IS NULL OR expires_at < $5)
           ORDER BY name USING ~<~ LIMIT $6""", registrar_id, after, prefix, status, expires_before, limit,
        prefix + "\x7f" if prefix else "\x7f")
    return [dict(r) for r in rows]


async def iter_registrar_domains(conn: Any, registrar_id: str) -> AsyncIterator[dict[str, Any]]:
    """Every live domain of the registrar by name, from a cursor (inside a transaction)."""
    async for row in conn.cursor(
            """SELECT name, roid, statuses, created_at, expires_at FROM domain
               WHERE sponsor_id = $1 AND deleted_at IS NULL ORDER BY name USING ~<~""", registrar_id,
            prefetch=2000):
        yield dict(row)
