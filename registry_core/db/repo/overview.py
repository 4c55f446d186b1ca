"""SQL of the consoles' dashboards: what one registrar holds, and the registry's totals."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


async def fetch_registrar_counts(conn: Any, registrar_id: str, now: datetime, soon: timedelta) -> dict[str, int]:
    """The registrar's live domains by what needs attention: the maintained totals (plus
    the deltas not folded in yet), and the few domains expiring soon by the expiry index."""
    row = await conn.fetchrow(
        """SELECT coalesce((SELECT domains FROM registrar_domain_count WHERE registrar_id = $1), 0)
                      + coalesce((SELECT sum(domains) FROM registrar_domain_delta WHERE registrar_id = $1), 0)
                      AS domains,
                  (SELECT count(*) FROM domain WHERE sponsor_id = $1 AND deleted_at IS NULL
                      AND expires_at < $2::timestamptz + $3::interval) AS expiring,
                  coalesce((SELECT in_redemption FROM registrar_domain_count WHERE registrar_id = $1), 0)
                      + coalesce((SELECT sum(in_redemption) FROM registrar_domain_delta WHERE registrar_id = $1), 0)
                      AS in_redemption,
                  coalesce((SELECT on_hold FROM registrar_domain_count WHERE registrar_id = $1), 0)
                      + coalesce((SELECT sum(on_hold) FROM registrar_domain_delta WHERE registrar_id = $1), 0)
                      AS on_hold,
                  (SELECT count(*) FROM transfer t WHERE t.status = 'pending'
                      AND (t.gaining_id = $1 OR t.losing_id = $1)) AS pending_transfers,
                  (SELECT count(*) FROM poll_message p WHERE p.registrar_id = $1 AND p.acked_at IS NULL) AS unread_poll
           """, registrar_id, now, soon)
    return {key: int(value) for key, value in dict(row).items()}


async def fold_registrar_counts(conn: Any) -> int:
    """Fold the appended deltas into the totals (the lifecycle runner, each pass); rows folded."""
    status = await conn.fetchval(
        """WITH moved AS (DELETE FROM registrar_domain_delta RETURNING registrar_id, domains, on_hold, in_redemption),
                summed AS (SELECT registrar_id, sum(domains) AS domains, sum(on_hold) AS on_hold,
                                  sum(in_redemption) AS in_redemption, count(*) AS folded
                           FROM moved GROUP BY registrar_id),
                stored AS (INSERT INTO registrar_domain_count AS c (registrar_id, domains, on_hold, in_redemption)
                           SELECT registrar_id, domains, on_hold, in_redemption FROM summed
                           ON CONFLICT (registrar_id) DO UPDATE SET domains = c.domains + EXCLUDED.domains,
                               on_hold = c.on_hold + EXCLUDED.on_hold,
                               in_redemption = c.in_redemption + EXCLUDED.in_redemption)
           SELECT coalesce(sum(folded), 0) FROM summed""")
    return int(status)


async def fetch_registry_counts(conn: Any) -> dict[str, int]:
    """Totals from the planner's statistics (pg_class.reltuples, kept by autovacuum and
    ANALYZE), so the admin dashboard never counts a million rows on each load."""
    rows = await conn.fetch(
        """SELECT relname, greatest(reltuples, 0)::bigint AS estimate FROM pg_class
           WHERE relkind = 'r' AND relname IN ('domain', 'host', 'contact', 'registrar', 'tld')
             AND relnamespace = 'public'::regnamespace""")
    return {r["relname"]: int(r["estimate"]) for r in rows}
