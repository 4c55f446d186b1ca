"""SQL of the admin console's lifecycle overview: how many transitions are due (counted up
to a cap, on the partial indexes the lifecycle runner uses, so a million domains cost no
scan), the next domains to expire, and the redemption queue in the order it drains."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from registry_core.db.repo.lifecycle import _EXPIRY_DUE, _RGP_DUE

_QUEUE = """SELECT name, sponsor_id, rgp_state, rgp_until, redemption_ends_at, expires_at FROM domain
            WHERE deleted_at IS NULL AND rgp_state IS NOT NULL ORDER BY rgp_until, id"""


async def fetch_due_counts(conn: Any, now: datetime, cap: int) -> dict[str, int]:
    row = await conn.fetchrow(
        f"""SELECT (SELECT count(*) FROM (SELECT 1 FROM domain WHERE {_EXPIRY_DUE} LIMIT $2) e) AS expiry,
                   (SELECT count(*) FROM (SELECT 1 FROM domain WHERE {_RGP_DUE} LIMIT $2) r) AS redemption,
                   (SELECT count(*) FROM (SELECT 1 FROM transfer WHERE status = 'pending' AND action_due <= $1
                                          LIMIT $2) t) AS transfers""", now, cap)
    return dict(row)


async def fetch_next_expiring(conn: Any, now: datetime, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT name, sponsor_id, expires_at, statuses FROM domain
           WHERE deleted_at IS NULL AND rgp_state IS NULL AND expires_at > $1 ORDER BY expires_at LIMIT $2""",
        now, limit)
    return [dict(r) for r in rows]


async def fetch_redemption_queue(conn: Any, limit: int) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(_QUEUE + " LIMIT $1", limit)]


async def iter_redemption_queue(conn: Any) -> AsyncIterator[dict[str, Any]]:
    async for row in conn.cursor(_QUEUE, prefetch=1000):
        yield dict(row)
