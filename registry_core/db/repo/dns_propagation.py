"""SQL of the propagation probe: one row per published owner change (its commit, when every
server served it, or not), the serial each server answered when last asked, and the
figures `registry dns status` prints (percentiles over the newest changes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any


async def insert_results(conn: Any, tld: str, serial: int, measured_on: str,
                         changes: Sequence[tuple[str, datetime]], served_at: datetime | None) -> None:
    """A publication's owner changes ((owner, changed_at)) as served at `served_at` (None: not served)."""
    await conn.execute(
        """INSERT INTO dns_propagation (tld, owner, serial, changed_at, served_at, seconds, measured_on)
           SELECT $1, x.owner, $2, x.changed_at, $3,  -- greatest() would turn NULL into 0
                  CASE WHEN $3::timestamptz IS NOT NULL
                       THEN greatest(0, extract(epoch FROM $3::timestamptz - x.changed_at))::double precision END,
                  $4
           FROM unnest($5::text[], $6::timestamptz[]) AS x(owner, changed_at)""",
        tld, serial, served_at, measured_on, [o for o, _ in changes], [c for _, c in changes])


async def prune_results(conn: Any, tld: str, keep: int) -> None:
    """Keep the newest `keep` rows of the TLD."""
    await conn.execute("""DELETE FROM dns_propagation WHERE tld = $1 AND id <= (
                              SELECT id FROM dns_propagation WHERE tld = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)""",
                       tld, keep)


async def upsert_server_states(conn: Any, tld: str, states: Sequence[tuple[str, int | None, int, float | None]],
                               now: datetime) -> None:
    """(server, serial it answered, serial wanted, lag in seconds or None) per server."""
    await conn.executemany(
        """INSERT INTO dns_server_state (tld, server, serial, checked_at, wanted_serial, lag_seconds)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (tld, server) DO UPDATE SET serial = EXCLUDED.serial, checked_at = EXCLUDED.checked_at,
               wanted_serial = EXCLUDED.wanted_serial, lag_seconds = EXCLUDED.lag_seconds""",
        [(tld, server, serial, now, wanted, lag) for server, serial, wanted, lag in states])


async def fetch_summary(conn: Any, tld: str, last: int) -> dict[str, Any]:
    """Over the newest `last` changes: how many, how many not served, p50/p95/max seconds."""
    row = await conn.fetchrow(
        """SELECT count(*) AS changes, count(*) - count(seconds) AS not_served,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS p50,
                  percentile_cont(0.95) WITHIN GROUP (ORDER BY seconds) AS p95,
                  max(seconds) AS max, string_agg(DISTINCT measured_on, ',') AS measured_on
           FROM (SELECT seconds, measured_on FROM dns_propagation WHERE tld = $1
                 ORDER BY id DESC LIMIT $2) AS recent""", tld, last)
    return dict(row)


async def fetch_server_states(conn: Any, tld: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(
        """SELECT server, serial, checked_at, wanted_serial, lag_seconds FROM dns_server_state
           WHERE tld = $1 ORDER BY server""", tld)]
