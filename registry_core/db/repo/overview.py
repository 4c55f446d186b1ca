"""SQL of the consoles' dashboards: what one registrar holds, and the registry's totals."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


async def fetch_registrar_counts(conn: Any, registrar_id: str, now: datetime, soon: timedelta) -> dict[str, int]:
    """The registrar's live domains by what needs attention (one indexed pass over its domains)."""
    row = await conn.fetchrow(
        """SELECT count(*) AS domains,
                  count(*) FILTER (WHERE expires_at < $2::timestamptz + $3::interval) AS expiring,
                  count(*) FILTER (WHERE 'redemptionPeriod' = ANY(statuses) OR 'pendingDelete' = ANY(statuses))
                      AS in_redemption,
                  count(*) FILTER (WHERE 'clientHold' = ANY(statuses) OR 'serverHold' = ANY(statuses)) AS on_hold,
                  (SELECT count(*) FROM transfer t WHERE t.status = 'pending'
                      AND (t.gaining_id = $1 OR t.losing_id = $1)) AS pending_transfers,
                  (SELECT count(*) FROM poll_message p WHERE p.registrar_id = $1 AND p.acked_at IS NULL) AS unread_poll
           FROM domain WHERE sponsor_id = $1 AND deleted_at IS NULL""", registrar_id, now, soon)
    return {key: int(value) for key, value in dict(row).items()}


async def fetch_registry_counts(conn: Any) -> dict[str, int]:
    """Totals from the planner's statistics (pg_class.reltuples, kept by autovacuum and
    ANALYZE), so the admin dashboard never counts a million rows on each load."""
    rows = await conn.fetch(
        """SELECT relname, greatest(reltuples, 0)::bigint AS estimate FROM pg_class
           WHERE relkind = 'r' AND relname IN ('domain', 'host', 'contact', 'registrar', 'tld')
             AND relnamespace = 'public'::regnamespace""")
    return {r["relname"]: int(r["estimate"]) for r in rows}
