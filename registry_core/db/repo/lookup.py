"""Read-only SQL behind RDAP and WHOIS, returning the model values of `model.lookup`.
Each lookup is one statement (one round trip): related rows come back as JSON aggregates.
Name searches are range scans in byte order (`~>=~`, `~<~`, `USING ~<~`), the operators of
the `text_pattern_ops` indexes, so they stay index scans with generic plans; the cursor is
the last name of the previous page. `now` is the reading transaction's time: it decides
which grace periods are open and is each record's `as_of`."""

from __future__ import annotations

import functools
import ipaddress
from datetime import datetime
from typing import Any

from registry_core.db.repo.codecs import decode_json
from registry_core.model import lifecycle
from registry_core.model.contact import ContactInfo, Disclose, PostalInfo
from registry_core.model.domain import DomainInfo, DsData, KeyData
from registry_core.model.host import HostInfo
from registry_core.model.lookup import (
    ContactRecord,
    DomainContact,
    DomainRecord,
    DomainSummary,
    HostRecord,
    PublicRegistrar,
    RegistrarRecord,
    TldFlags,
)
from registry_core.model.statuses import displayed_statuses

_REGISTRAR = """r.id AS r_id, r.name AS r_name, r.iana_id AS r_iana_id, r.status AS r_status,
    r.email AS r_email, r.url AS r_url, r.whois_server AS r_whois_server, r.abuse_email AS r_abuse_email,
    r.abuse_phone AS r_abuse_phone, r.created_at AS r_created_at, r.updated_at AS r_updated_at"""

_ANY_ICANN = "(SELECT coalesce(bool_or(rdap_icann_profile), false) FROM tld) AS any_icann"

_PENDING = """EXISTS (SELECT 1 FROM transfer x WHERE x.object_type = '{kind}' AND x.object_id = {alias}.id
                      AND x.status = 'pending')"""

# The rgpStatus values need each grace period's kind and end only: two arrays (decoded by
# asyncpg in C), read by one probe of grace_period per domain.
_RGP = "d.rgp_state, gp.grace_kinds, gp.grace_ends"
_GRACES = """LEFT JOIN LATERAL (SELECT array_agg(g.kind) AS grace_kinds, array_agg(g.ends_at) AS grace_ends
                      FROM grace_period g WHERE g.domain_id = d.id) gp ON true"""

# The domain lookup reads its related rows as arrays of anonymous records: asyncpg decodes
# them in C with native types, where JSON aggregates cost PostgreSQL a text rendering of every
# value and us a parse (jsonb goes as text: asyncpg hands a record's jsonb to no codec).
# Field order is that of the unpacking in `_linked_host`, `_linked_contact` and `_ds_record`.
# No ORDER BY in the aggregates (a sort per row costs more there than in Python): the
# conversions below put names, addresses, contacts and DS records in order.
_HOST_RECORD = """(h.name, h.roid, h.statuses, h.sponsor_id, h.creator_id, h.created_at, h.updater_id,
    h.updated_at, h.transferred_at, sup.name,
    (SELECT array_agg(host(a.address)) FROM host_address a WHERE a.host_id = h.id))"""

_CONTACT_RECORD = """(x.role, c.handle, c.roid, c.statuses, c.postal_int::text, c.postal_loc::text, c.email,
    c.voice, c.voice_ext, c.fax, c.fax_ext, c.sponsor_id, c.creator_id, c.created_at, c.updater_id,
    c.updated_at, c.transferred_at, c.disclose::text)"""

_DS_RECORD = """(k.key_tag, k.alg, k.digest_type, k.digest, k.key_flags, k.key_protocol, k.key_alg,
    k.public_key)"""

_DOMAIN = f"""
SELECT d.id, d.roid, d.name, d.tld, d.statuses, d.sponsor_id, d.creator_id, d.created_at, d.updater_id,
       d.updated_at, d.expires_at, d.transferred_at, t.whois_enabled, t.rdap_icann_profile, {_RGP},
       {_PENDING.format(kind='domain', alias='d')} AS pending_transfer,
       (SELECT array_agg({_HOST_RECORD})
          FROM domain_host dh JOIN host h ON h.id = dh.host_id LEFT JOIN domain sup ON sup.id = h.superordinate_id
         WHERE dh.domain_id = d.id) AS hosts,
       (SELECT array_agg({_CONTACT_RECORD})
          FROM (SELECT 'registrant' AS role, d.registrant_id AS contact_id
                UNION ALL
                SELECT dc.role, dc.contact_id FROM domain_contact dc WHERE dc.domain_id = d.id) x
          JOIN contact c ON c.id = x.contact_id) AS contacts,
       (SELECT array_agg({_DS_RECORD}) FROM ds_record k WHERE k.domain_id = d.id) AS ds,
       {_REGISTRAR}
FROM domain d JOIN tld t ON t.name = d.tld JOIN registrar r ON r.id = d.sponsor_id {_GRACES}
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

# Search parameters reach the planner through scalar sub-selects, `(SELECT $n::type)`: a
# custom plan then knows no more than the generic one, so after its first five runs a
# prepared search keeps the generic plan (with bare $n the planner, which estimates a
# three-letter prefix at one row, would plan afresh on every search; planning a page cost
# about what running it does). The plans stay the ordered index range scans below.
def arg(number: int, sql_type: str) -> str:
    return f"(SELECT ${number}::{sql_type})"


# The page of ids comes first, from a plain ordered range scan: with LIMIT the planner takes
# the index whatever it estimates for the filters; the details are joined to those ids only.
# A hit names its sponsor only: the page's registrars come from one more statement
# (`_PUBLIC_REGISTRARS`), not in every row.
_SUMMARY = f"""
WITH page AS MATERIALIZED (
    SELECT d.id FROM domain d
    WHERE d.deleted_at IS NULL AND d.name ~>~ {arg(1, 'text')} AND {{condition}}
    ORDER BY d.name USING ~<~ LIMIT {arg(2, 'int')})
SELECT d.name, d.roid, d.statuses, d.created_at, d.updated_at, d.expires_at, d.transferred_at, {_RGP},
       {_PENDING.format(kind='domain', alias='d')} AS pending_transfer,
       (SELECT array_agg(h.name) FROM domain_host dh JOIN host h ON h.id = dh.host_id
         WHERE dh.domain_id = d.id) AS nameservers,
       d.sponsor_id
FROM page JOIN domain d ON d.id = page.id {_GRACES}
ORDER BY d.name USING ~<~"""

_PUBLIC_REGISTRARS = f"SELECT {_REGISTRAR} FROM registrar r WHERE r.id = ANY($1::text[])"

_BY_NS_NAME = """d.id IN (SELECT dh.domain_id FROM host h JOIN domain_host dh ON dh.host_id = h.id
                          WHERE h.deleted_at IS NULL AND {range})"""
_BY_NS_IP = f"""d.id IN (SELECT dh.domain_id FROM host_address a JOIN host h ON h.id = a.host_id
                        JOIN domain_host dh ON dh.host_id = h.id
                        WHERE a.address = {arg(3, 'inet')} AND h.deleted_at IS NULL)"""

_HOST_SUMMARY = f"""
WITH page AS MATERIALIZED (
    SELECT h.id FROM host h
    WHERE h.deleted_at IS NULL AND h.name ~>~ {arg(1, 'text')} AND {{condition}}
    ORDER BY h.name USING ~<~ LIMIT {arg(2, 'int')})
SELECT h.name, h.roid, h.statuses, h.sponsor_id, h.creator_id, h.created_at, h.updater_id, h.updated_at,
       h.transferred_at, sup.name AS superordinate,
       (SELECT array_agg(host(a.address)) FROM host_address a WHERE a.host_id = h.id) AS addresses,
       EXISTS (SELECT 1 FROM domain_host dh JOIN domain ld ON ld.id = dh.domain_id
               WHERE dh.host_id = h.id AND ld.deleted_at IS NULL) AS linked
FROM page JOIN host h ON h.id = page.id LEFT JOIN domain sup ON sup.id = h.superordinate_id
ORDER BY h.name USING ~<~"""

_HOST_BY_IP = f"h.id IN (SELECT a.host_id FROM host_address a WHERE a.address = {arg(3, 'inet')})"


def name_range(column: str, low: str, high: str, suffix: str) -> tuple[str, list[str]]:
    """SQL (parameters from $3) for names in [low, high) that end with `suffix`."""
    sql = f"{column} ~>=~ {arg(3, 'text')} AND {column} ~<~ {arg(4, 'text')}"
    if not suffix:
        return sql, [low, high]
    return sql + f" AND right({column}, length({arg(5, 'text')})) = {arg(5, 'text')}", [low, high, suffix]


_REGISTRARS = f"""
SELECT {_REGISTRAR} FROM registrar r
WHERE {{condition}} AND r.id > $1 ORDER BY r.id LIMIT $2"""


# --- rows to model values -----------------------------------------------------------------
def _when(value: Any) -> datetime | None:
    """Timestamps arrive as datetimes from columns and as ISO text from JSON aggregates."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _registrar(row: Any) -> PublicRegistrar:
    created = _when(row["r_created_at"])
    assert created is not None
    return PublicRegistrar(row["r_id"], row["r_name"], row["r_iana_id"], row["r_status"], row["r_email"],
                           row["r_url"], row["r_whois_server"], row["r_abuse_email"], row["r_abuse_phone"],
                           created, _when(row["r_updated_at"]))


def _address_order(text: str) -> tuple[int, int]:
    address = ipaddress.ip_address(text)
    return address.version, int(address)


def _host(data: Any, linked: bool) -> HostInfo:
    created = _when(data["created_at"])
    assert created is not None
    addresses = sorted(data["addresses"] or (), key=_address_order)
    return HostInfo(data["name"], data["roid"], tuple(displayed_statuses(data["statuses"], linked=linked)),
                    tuple(addresses), data["sponsor_id"], data["creator_id"], created,
                    data["updater_id"], _when(data["updated_at"]), _when(data["transferred_at"]),
                    data["superordinate"], linked)


def _contact(data: dict[str, Any], *, linked: bool, pending_transfer: bool = False) -> ContactInfo:
    postal = tuple(PostalInfo.from_json(kind, data[f"postal_{kind}"])
                   for kind in ("int", "loc") if data.get(f"postal_{kind}"))
    disclose = data.get("disclose")
    created = _when(data["created_at"])
    assert created is not None
    return ContactInfo(
        data["handle"], data["roid"],
        tuple(displayed_statuses(data["statuses"], linked=linked, pending_transfer=pending_transfer)),
        postal, data["email"], data["voice"], data["voice_ext"], data["fax"], data["fax_ext"],
        data["sponsor_id"], data["creator_id"], created, data["updater_id"], _when(data["updated_at"]),
        _when(data["transferred_at"]),
        Disclose(disclose["flag"], frozenset(disclose["fields"])) if disclose else None, None, linked)


@functools.lru_cache(maxsize=1024)  # hosts and contacts of a domain carry a few status sets
def _linked_statuses(stored: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(displayed_statuses(stored, linked=True))


def _linked_host(fields: tuple[Any, ...]) -> HostInfo:
    """A name server of the looked-up domain, from its `_HOST_RECORD`."""
    (name, roid, statuses, sponsor_id, creator_id, created_at, updater_id, updated_at, transferred_at,
     superordinate, addresses) = fields
    return HostInfo(name, roid, _linked_statuses(tuple(statuses)),
                    tuple(sorted(addresses or (), key=_address_order)), sponsor_id, creator_id, created_at,
                    updater_id, updated_at, transferred_at, superordinate, True)


def _json_text(text: str | None) -> Any:
    return None if text is None else decode_json(text)


def _linked_contact(fields: tuple[Any, ...]) -> DomainContact:
    """A contact of the looked-up domain in its role, from its `_CONTACT_RECORD`."""
    (role, handle, roid, statuses, postal_int, postal_loc, email, voice, voice_ext, fax, fax_ext, sponsor_id,
     creator_id, created_at, updater_id, updated_at, transferred_at, disclose_text) = fields
    postal = tuple(PostalInfo.from_json(kind, decode_json(text))
                   for kind, text in (("int", postal_int), ("loc", postal_loc)) if text is not None)
    disclose = _json_text(disclose_text)
    return DomainContact(role, ContactInfo(
        handle, roid, _linked_statuses(tuple(statuses)), postal, email, voice, voice_ext, fax,
        fax_ext, sponsor_id, creator_id, created_at, updater_id, updated_at, transferred_at,
        Disclose(disclose["flag"], frozenset(disclose["fields"])) if disclose else None, None, True))


def _ds_record(fields: tuple[Any, ...]) -> DsData:
    key_tag, alg, digest_type, digest, key_flags, key_protocol, key_alg, public_key = fields
    key = KeyData(key_flags, key_protocol, key_alg, public_key) if public_key is not None else None
    return DsData(key_tag, alg, digest_type, digest, key)


def _rgp(row: Any, now: datetime) -> tuple[str, ...]:
    if row["grace_kinds"] is None and row["rgp_state"] is None:
        return ()
    graces = zip(row["grace_kinds"] or (), row["grace_ends"] or (), strict=True)
    return lifecycle.rgp_statuses_of(graces, row["rgp_state"], now)


def _ds_order(ds: DsData) -> tuple[int, int, int, str]:
    return ds.key_tag, ds.alg, ds.digest_type, ds.digest


def _contact_order(link: DomainContact) -> tuple[bool, str, str]:
    return link.role != "registrant", link.role, link.contact.handle


def _domain(row: Any, hosts: list[HostInfo], contacts: list[DomainContact], now: datetime) -> DomainInfo:
    """The looked-up domain as RDAP and WHOIS show it. They show no subordinate hosts, so the
    lookup does not read them (`subordinate_hosts` is empty): one sub-select less per lookup."""
    statuses = displayed_statuses(row["statuses"], pending_transfer=row["pending_transfer"], inactive=not hosts)
    registrant = next((c.contact.handle for c in contacts if c.role == "registrant"), None)
    return DomainInfo(
        row["name"], row["roid"], row["tld"], tuple(statuses), registrant,
        tuple((c.role, c.contact.handle) for c in contacts if c.role != "registrant"),
        tuple(h.name for h in hosts), (), row["sponsor_id"], row["creator_id"],
        row["created_at"], row["updater_id"], row["updated_at"], row["expires_at"], row["transferred_at"],
        tuple(sorted((_ds_record(d) for d in row["ds"] or ()), key=_ds_order)), None, True, _rgp(row, now))


def _domain_record(row: Any, now: datetime) -> DomainRecord:
    hosts = sorted((_linked_host(h) for h in row["hosts"] or ()), key=lambda h: h.name)
    contacts = sorted((_linked_contact(c) for c in row["contacts"] or ()), key=_contact_order)
    return DomainRecord(_domain(row, hosts, contacts, now), TldFlags(row["tld"], row["whois_enabled"],
                                                               row["rdap_icann_profile"]),
                        _registrar(row), tuple(hosts), tuple(contacts), now)


def _tld_flags(row: Any) -> TldFlags | None:
    if row["tld_name"] is None:
        return None
    return TldFlags(row["tld_name"], row["whois_enabled"], row["rdap_icann_profile"])


@functools.lru_cache(maxsize=1024)  # a page's hits mostly repeat a few status sets
def _shown_statuses(stored: tuple[str, ...], pending_transfer: bool, inactive: bool) -> tuple[str, ...]:
    return tuple(displayed_statuses(stored, pending_transfer=pending_transfer, inactive=inactive))


def _summary(row: Any, registrar: PublicRegistrar, now: datetime) -> DomainSummary:
    statuses = _shown_statuses(tuple(row["statuses"]), row["pending_transfer"], not row["nameservers"])
    return DomainSummary(row["name"], row["roid"], statuses, tuple(sorted(row["nameservers"] or ())),
                         registrar, row["created_at"], row["updated_at"], row["expires_at"], row["transferred_at"],
                         _rgp(row, now))


async def _summaries(conn: Any, rows: list[Any], now: datetime) -> list[DomainSummary]:
    """The hits, with one PublicRegistrar per sponsor of the page (read after the hits, so a
    sponsor is always found: registrars are never deleted)."""
    sponsors = list(dict.fromkeys(row["sponsor_id"] for row in rows))
    registrars = {r["r_id"]: _registrar(r) for r in await conn.fetch(_PUBLIC_REGISTRARS, sponsors)} if rows else {}
    return [_summary(row, registrars[row["sponsor_id"]], now) for row in rows]


# --- look-ups -------------------------------------------------------------------------------
async def fetch_domain_record(conn: Any, name: str, now: datetime) -> DomainRecord | None:
    row = await conn.fetchrow(_DOMAIN, name)
    return None if row is None else _domain_record(row, now)


async def fetch_host_record(conn: Any, name: str, now: datetime) -> HostRecord | None:
    row = await conn.fetchrow(_HOST, name)
    if row is None:
        return None
    return HostRecord(_host(row, row["linked"]), _registrar(row), _tld_flags(row), row["any_icann"], now)


async def fetch_contact_record(conn: Any, key: str, now: datetime, *, by_roid: bool) -> ContactRecord | None:
    row = await conn.fetchrow(_CONTACT.format(column="roid" if by_roid else "handle"), key)
    if row is None:
        return None
    contact = _contact(row["contact"], linked=row["linked"], pending_transfer=row["pending_transfer"])
    return ContactRecord(contact, row["any_icann"], now)


async def fetch_registrar_record(conn: Any, now: datetime, *, registrar_id: str | None = None,
                                 iana_id: int | None = None) -> RegistrarRecord | None:
    column, value = ("iana_id", iana_id) if iana_id is not None else ("id", registrar_id)
    row = await conn.fetchrow(f"SELECT {_REGISTRAR}, {_ANY_ICANN} FROM registrar r WHERE r.{column} = $1", value)
    return None if row is None else RegistrarRecord(_registrar(row), row["any_icann"], now)


async def fetch_tld_flags(conn: Any, name: str) -> TldFlags | None:
    row = await conn.fetchrow(
        "SELECT name AS tld_name, whois_enabled, rdap_icann_profile FROM tld WHERE name = $1", name)
    return None if row is None else _tld_flags(row)


async def fetch_tld_names(conn: Any) -> list[str]:
    return [r["name"] for r in await conn.fetch("SELECT name FROM tld")]


async def fetch_any_icann_profile(conn: Any) -> bool:
    return bool(await conn.fetchval("SELECT coalesce(bool_or(rdap_icann_profile), false) FROM tld"))


# --- searches (`limit` rows at most, in name order after `after`) ---------------------------
async def search_domains_by_name(conn: Any, low: str, high: str, suffix: str, after: str, limit: int,
                                 now: datetime) -> list[DomainSummary]:
    condition, args = name_range("d.name", low, high, suffix)
    return await _summaries(conn, await conn.fetch(_SUMMARY.format(condition=condition), after, limit, *args), now)


async def search_domains_by_nameserver(conn: Any, low: str, high: str, suffix: str, after: str, limit: int,
                                       now: datetime) -> list[DomainSummary]:
    condition, args = name_range("h.name", low, high, suffix)
    sql = _SUMMARY.format(condition=_BY_NS_NAME.format(range=condition))
    return await _summaries(conn, await conn.fetch(sql, after, limit, *args), now)


async def search_domains_by_nameserver_ip(conn: Any, address: str, after: str, limit: int,
                                          now: datetime) -> list[DomainSummary]:
    return await _summaries(conn, await conn.fetch(_SUMMARY.format(condition=_BY_NS_IP), after, limit, address), now)


async def search_hosts_by_name(conn: Any, low: str, high: str, suffix: str, after: str,
                               limit: int) -> list[HostInfo]:
    condition, args = name_range("h.name", low, high, suffix)
    rows = await conn.fetch(_HOST_SUMMARY.format(condition=condition), after, limit, *args)
    return [_host(r, r["linked"]) for r in rows]


async def search_hosts_by_ip(conn: Any, address: str, after: str, limit: int) -> list[HostInfo]:
    rows = await conn.fetch(_HOST_SUMMARY.format(condition=_HOST_BY_IP), after, limit, address)
    return [_host(r, r["linked"]) for r in rows]


async def search_registrars(conn: Any, column: str, text: str, prefix: bool, after: str,
                            limit: int) -> list[PublicRegistrar]:
    """Registrars whose name (`column` = "name") or id matches `text`, case-insensitively."""
    expression = {"name": "lower(r.name)", "id": "lower(r.id)"}[column]
    condition = (f"left({expression}, length($3)) = $3" if prefix else f"{expression} = $3")
    rows = await conn.fetch(_REGISTRARS.format(condition=condition), after, limit, text)
    return [_registrar(r) for r in rows]
