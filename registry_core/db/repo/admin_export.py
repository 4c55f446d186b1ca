"""SQL of the admin console's CSV exports: each list's rows from a cursor, in the order
the page shows them (inside the export's snapshot), so any size streams in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

QUERIES: dict[str, str] = {
    "tlds": """SELECT t.name, t.contact_policy, t.currency, t.min_period_years, t.max_period_years,
                      (SELECT string_agg(p.action || '=' || p.amount, ' ' ORDER BY p.action)
                       FROM tld_price p WHERE p.tld = t.name) AS prices
               FROM tld t WHERE $1::text IS NULL OR t.name = $1 ORDER BY t.name""",
    "registrars": """SELECT r.id, r.name, r.iana_id, r.status, r.balance, r.credit_limit, r.currency, r.email,
                            g.group_name AS price_group, array_to_string(r.ip_allowlist, ' ') AS ip_allowlist
                     FROM registrar r LEFT JOIN registrar_price_group g ON g.registrar_id = r.id
                     WHERE $1::text IS NULL OR r.id = $1 ORDER BY r.id""",
    "premium": """SELECT name, create_price AS "create", renew_price AS renew, transfer_price AS transfer,
                         restore_price AS restore FROM premium_name WHERE tld = $1 ORDER BY name""",
    "reserved": "SELECT name, reason FROM reserved_name WHERE tld = $1 ORDER BY name",
    "users": """SELECT u.login, u.email, u.role, coalesce(u.registrar_id, '') AS registrar_id, u.created_at,
                       u.disabled_at FROM console_user u
                WHERE $1::text IS NULL OR u.registrar_id = $1
                ORDER BY u.registrar_id NULLS FIRST, u.login""",
}


async def iter_rows(conn: Any, kind: str, key: str | None) -> AsyncIterator[dict[str, Any]]:
    async for row in conn.cursor(QUERIES[kind], key, prefetch=1000):
        yield dict(row)
