"""Read-only SQL behind RDAP and WHOIS. Each lookup is one statement (one round trip):
related rows come back as JSON aggregates. Name searches are range scans in byte order
(`~>=~`, `~<~`, `USING ~<~`), the operators of the `text_pattern_ops` indexes, so they
stay index scans with generic plans; the cursor is the last name of the previous page."""

from __future__ import annotations

from typing import Any

_REGISTRAR = """r.id AS r_id, r.name AS r_name, r.iana_id AS r_iana_id, r.status AS r_status,
    r.email AS r_email, r.url AS r_url, r.whois_server AS r_whois_server, r.abuse_email AS r_abuse_email,
    r.abuse_phone AS r_abuse_phone, r.created_at AS r_created_at, r.updated_at AS r_updated_at"""

_ANY_ICANN = "(SELECT coalesce(bool_or(rdap_icann_profile), false) FROM tld) AS any_icann"

# Aggregates carry no ORDER BY (a sort per row costs more here than in Python): the service
# puts names, addresses, contacts and DS records in order.
_HOST_JSON = """json_build_object(
    'name', h.name, 'roid', h.roid, 'statuses', h.statuses, 'sponsor_id', h.sponsor_id,
    'creator_id', h.creator_id, 'created_at', h.created_at, 'updater_id', h.updater_id,
    'updated_at', h.updated_at, 'transferred_at', h.transferred_at,
    'superordinate', (SELECT s.name FROM domain s WHERE s.id = h.superordinate_id),
    'addresses', (SELECT array_agg(host(a.address)) FROM host_address a WHERE a.host_id = h.id))"""

_CONTACT_JSON = """json_build_object(
    'role', x.role, 'handle', c.handle, 'roid', c.roid, 'statuses', c.statuses, 'postal_int', c.postal_int,
    'postal_loc', c.postal_loc, 'email', c.email, 'voice', c.voice, 'voice_ext', c.voice_ext, 'fax', c.fax,
    'fax_ext', c.fax_ext, 'sponsor_id', c.sponsor_id, 'creator_id', c.creator_id, 'created_at', c.created_at,
    'updater_id', c.updater_id, 'updated_at', c.updated_at, 'transferred_at', c.transferred_at,
    'disclose', c.disclose)"""

_PENDING = """EXISTS (SELECT 1 FROM transfer x WHERE x.object_type = '{kind}' AND x.object_id = {alias}.id
                      AND x.status = 'pending')"""

_RGP = """d.rgp_state,
       (SELECT json_agg(json_build_object(
                   'id', g.id, 'kind', g.kind, 'registrar_id', g.registrar_id, 'ends_at', g.ends_at,
                   'amount', g.amount, 'currency', g.currency, 'period_years', g.period_years))
          FROM grace_period g WHERE g.domain_id = d.id) AS graces"""

_DOMAIN = f"""
SELECT d.id, d.roid, d.name, d.tld, d.statuses, d.sponsor_id, d.creator_id, d.created_at, d.updater_id,
       d.updated_at, d.expires_at, d.transferred_at, t.whois_enabled, t.rdap_icann_profile, {_RGP},
       {_PENDING.format(kind='domain', alias='d')} AS pending_transfer,
       (SELECT json_agg({_HOST_JSON}) FROM domain_host dh JOIN host h ON h.id = dh.host_id
         WHERE dh.domain_id = d.id) AS hosts,
       (SELECT json_agg({_CONTACT_JSON})
          FROM (SELECT 'registrant' AS role, d.registrant_id AS contact_id
                UNION ALL
                SELECT dc.role, dc.contact_id FROM domain_contact dc WHERE dc.domain_id = d.id) x
          JOIN contact c ON c.id = x.contact_id) AS contacts,
       (SELECT json_agg(json_build_object(
                   'key_tag', k.key_tag, 'alg', k.alg, 'digest_type', k.digest_type, 'digest', k.digest,
                   'key_flags', k.key_flags, 'key_protocol', k.key_protocol, 'key_alg', k.key_alg,
                   'public_key', k.public_key))
          FROM ds_record k WHERE k.domain_id = d.id) AS ds,
       (SELECT array_agg(s.name) FROM host s WHERE s.superordinate_id = d.id AND s.deleted_at IS NULL)
         AS subordinates,
       {_REGISTRAR}
FROM domain d JOIN tld t ON t.name = d.tld JOIN registrar r ON r.id = d.sponsor_id
WHERE d.name = $1 AND d.deleted_at IS NULL"""

_HOST = f"""
SELECT h.name, h.roid, h.statuses, h.sponsor_id, h.creator_id, h.created_at, h.updater_id, h.updated_at,
       h.transferred_at, sup.name AS superordinate,
       (SELECT array_agg(host(a.address)) FROM host_address a WHERE a.host_id = h.id) AS addresses,
       EXISTS (SELECT 1 FROM domain_host dh JOIN domain ld ON ld.id = dh.domain_id
               WHERE dh.host_id = h.id AND ld.deleted_at IS NULL) AS linked,
       t.name AS tld_name, t.whois_enabled, t.rdap_icann_profile, {_ANY_ICANN}, {_REGISTRAR}
FROM host h LEFT JOIN domain sup ON sup.id = h.superordinate_id LEFT JOIN tld t ON t.name = sup.tld
JOIN registrar r ON r.id = h.sponsor_id
WHERE h.name = $1 AND h.deleted_at IS NULL"""

_CONTACT = f"""
SELECT to_jsonb(c) - 'auth_info' AS contact, {_PENDING.format(kind='contact', alias='c')} AS pending_transfer,
       (EXISTS (SELECT 1 FROM domain_contact dc JOIN domain d ON d.id = dc.domain_id
                WHERE dc.contact_id = c.id AND d.deleted_at IS NULL)
        OR EXISTS (SELECT 1 FROM domain d WHERE d.registrant_id = c.id AND d.deleted_at IS NULL)) AS linked,
       {_ANY_ICANN}
FROM contact c WHERE c.{{column}} = $1 AND c.deleted_at IS NULL"""

# The page of ids comes first, from a plain ordered range scan: with LIMIT the planner takes
# the index whatever it estimates for the filters; the details are joined to those ids only.
_SUMMARY = f"""
WITH page AS MATERIALIZED (
    SELECT d.id FROM domain d
    WHERE d.deleted_at IS NULL AND d.name ~>~ $1 AND {{condition}}
    ORDER BY d.name USING ~<~ LIMIT $2)
SELECT d.name, d.roid, d.statuses, d.created_at, d.updated_at, d.expires_at, d.transferred_at, {_RGP},
       {_PENDING.format(kind='domain', alias='d')} AS pending_transfer,
       (SELECT array_agg(h.name) FROM domain_host dh JOIN host h ON h.id = dh.host_id
         WHERE dh.domain_id = d.id) AS nameservers,
       {_REGISTRAR}
FROM page JOIN domain d ON d.id = page.id JOIN registrar r ON r.id = d.sponsor_id
ORDER BY d.name USING ~<~"""

_BY_NS_NAME = """d.id IN (SELECT dh.domain_id FROM host h JOIN domain_host dh ON dh.host_id = h.id
                          WHERE h.deleted_at IS NULL AND {range})"""
_BY_NS_IP = """d.id IN (SELECT dh.domain_id FROM host_address a JOIN host h ON h.id = a.host_id
                        JOIN domain_host dh ON dh.host_id = h.id
                        WHERE a.address = $3::inet AND h.deleted_at IS NULL)"""

_HOST_SUMMARY = """
WITH page AS MATERIALIZED (
    SELECT h.id FROM host h
    WHERE h.deleted_at IS NULL AND h.name ~>~ $1 AND {condition}
    ORDER BY h.name USING ~<~ LIMIT $2)
SELECT h.name, h.roid, h.statuses, h.sponsor_id, h.creator_id, h.created_at, h.updater_id, h.updated_at,
       h.transferred_at, sup.name AS superordinate,
       (SELECT array_agg(host(a.address)) FROM host_address a WHERE a.host_id = h.id) AS addresses,
       EXISTS (SELECT 1 FROM domain_host dh JOIN domain ld ON ld.id = dh.domain_id
               WHERE dh.host_id = h.id AND ld.deleted_at IS NULL) AS linked
FROM page JOIN host h ON h.id = page.id LEFT JOIN domain sup ON sup.id = h.superordinate_id
ORDER BY h.name USING ~<~"""

_HOST_BY_IP = "h.id IN (SELECT a.host_id FROM host_address a WHERE a.address = $3::inet)"


def name_range(column: str, low: str, high: str, suffix: str) -> tuple[str, list[str]]:
    """SQL (parameters from $3) for names in [low, high) that end with `suffix`."""
    sql = f"{column} ~>=~ $3 AND {column} ~<~ $4"
    if not suffix:
        return sql, [low, high]
    return sql + f" AND right({column}, length($5)) = $5", [low, high, suffix]


_REGISTRARS = f"""
SELECT {_REGISTRAR} FROM registrar r
WHERE {{condition}} AND r.id > $1 ORDER BY r.id LIMIT $2"""


async def fetch_domain_record(conn: Any, name: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(_DOMAIN, name)
    return None if row is None else dict(row)


async def fetch_host_record(conn: Any, name: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(_HOST, name)
    return None if row is None else dict(row)


async def fetch_contact_record(conn: Any, key: str, *, by_roid: bool) -> dict[str, Any] | None:
    row = await conn.fetchrow(_CONTACT.format(column="roid" if by_roid else "handle"), key)
    return None if row is None else dict(row)


async def fetch_registrar_record(conn: Any, *, registrar_id: str | None = None,
                                 iana_id: int | None = None) -> dict[str, Any] | None:
    column, value = ("iana_id", iana_id) if iana_id is not None else ("id", registrar_id)
    row = await conn.fetchrow(f"SELECT {_REGISTRAR}, {_ANY_ICANN} FROM registrar r WHERE r.{column} = $1", value)
    return None if row is None else dict(row)


async def fetch_tld_flags(conn: Any, name: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT name AS tld_name, whois_enabled, rdap_icann_profile FROM tld WHERE name = $1", name)
    return None if row is None else dict(row)


async def fetch_tld_names(conn: Any) -> list[str]:
    return [r["name"] for r in await conn.fetch("SELECT name FROM tld")]


async def fetch_any_icann_profile(conn: Any) -> bool:
    return bool(await conn.fetchval("SELECT coalesce(bool_or(rdap_icann_profile), false) FROM tld"))


async def search_domains_by_name(conn: Any, low: str, high: str, suffix: str, after: str,
                                 limit: int) -> list[dict[str, Any]]:
    condition, args = name_range("d.name", low, high, suffix)
    return [dict(r) for r in await conn.fetch(_SUMMARY.format(condition=condition), after, limit, *args)]


async def search_domains_by_nameserver(conn: Any, low: str, high: str, suffix: str, after: str,
                                       limit: int) -> list[dict[str, Any]]:
    condition, args = name_range("h.name", low, high, suffix)
    sql = _SUMMARY.format(condition=_BY_NS_NAME.format(range=condition))
    return [dict(r) for r in await conn.fetch(sql, after, limit, *args)]


async def search_domains_by_nameserver_ip(conn: Any, address: str, after: str,
                                          limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(_SUMMARY.format(condition=_BY_NS_IP), after, limit, address)
    return [dict(r) for r in rows]


async def search_hosts_by_name(conn: Any, low: str, high: str, suffix: str, after: str,
                               limit: int) -> list[dict[str, Any]]:
    condition, args = name_range("h.name", low, high, suffix)
    return [dict(r) for r in await conn.fetch(_HOST_SUMMARY.format(condition=condition), after, limit, *args)]


async def search_hosts_by_ip(conn: Any, address: str, after: str, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(_HOST_SUMMARY.format(condition=_HOST_BY_IP), after, limit, address)
    return [dict(r) for r in rows]


async def search_registrars(conn: Any, column: str, text: str, prefix: bool, after: str,
                            limit: int) -> list[dict[str, Any]]:
    """Registrars whose name (`column` = "name") or id matches `text`, case-insensitively."""
    expression = {"name": "lower(r.name)", "id": "lower(r.id)"}[column]
    condition = (f"left({expression}, length($3)) = $3" if prefix else f"{expression} = $3")
    rows = await conn.fetch(_REGISTRARS.format(condition=condition), after, limit, text)
    return [dict(r) for r in rows]
