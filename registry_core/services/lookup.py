"""Read-only lookups and searches for the public services (RDAP, WHOIS).

Each use case reads one consistent snapshot: a read-only transaction, or for the domain
and host lookups (one SQL statement each) that statement's own snapshot. Its `now` is
the record's `as_of` (the "last update of RDAP/WHOIS database" time). Results never
carry an authInfo; contact redaction is the caller's job (`model.disclosure.public_view`)."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import lookup as repo
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, not_found
from registry_core.model import lifecycle, names
from registry_core.model.contact import ContactInfo, Disclose, PostalInfo
from registry_core.model.domain import DomainInfo, DsData, KeyData
from registry_core.model.host import HostInfo
from registry_core.model.lifecycle import GracePeriod
from registry_core.model.lookup import (
    ContactRecord,
    DomainContact,
    DomainRecord,
    DomainSummary,
    HostRecord,
    Page,
    PublicRegistrar,
    RegistrarRecord,
    TldFlags,
)
from registry_core.model.search import NamePattern, TextPattern
from registry_core.model.statuses import displayed_statuses

MAX_HANDLE = 64
_IANA_ID = re.compile(r"^[0-9]{1,9}$")


def lookup_name(name: str) -> str:
    """A queried name in stored form. Lookups fold case and NFC-normalize first, so that
    "Bücher.example" finds what "bücher.example" names (IDNA 2008 itself refuses capitals)."""
    return names.normalize_name(unicodedata.normalize("NFC", name).lower())


def _when(value: Any) -> datetime | None:
    """Timestamps arrive as datetimes from columns and as ISO text from JSON aggregates."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _registrar(row: dict[str, Any]) -> PublicRegistrar:
    created = _when(row["r_created_at"])
    assert created is not None
    return PublicRegistrar(row["r_id"], row["r_name"], row["r_iana_id"], row["r_status"], row["r_email"],
                           row["r_url"], row["r_whois_server"], row["r_abuse_email"], row["r_abuse_phone"],
                           created, _when(row["r_updated_at"]))


def _address_order(text: str) -> tuple[int, int]:
    address = ipaddress.ip_address(text)
    return address.version, int(address)


def _host(data: dict[str, Any], linked: bool) -> HostInfo:
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


def _ds(data: dict[str, Any]) -> DsData:
    key = (KeyData(data["key_flags"], data["key_protocol"], data["key_alg"], data["public_key"])
           if data["public_key"] is not None else None)
    return DsData(data["key_tag"], data["alg"], data["digest_type"], data["digest"], key)


def _rgp(row: dict[str, Any], now: datetime) -> tuple[str, ...]:
    graces = [GracePeriod(g["id"], g["kind"], g["registrar_id"], _when(g["ends_at"]) or now, Decimal(str(g["amount"])),
                          g["currency"], g["period_years"]) for g in sorted(row["graces"] or (), key=_by_id)]
    return lifecycle.rgp_statuses(graces, row["rgp_state"], now)


def _domain(row: dict[str, Any], hosts: list[HostInfo], contacts: list[DomainContact], now: datetime) -> DomainInfo:
    statuses = displayed_statuses(row["statuses"], pending_transfer=row["pending_transfer"], inactive=not hosts)
    registrant = next((c.contact.handle for c in contacts if c.role == "registrant"), None)
    return DomainInfo(
        row["name"], row["roid"], row["tld"], tuple(statuses), registrant,
        tuple((c.role, c.contact.handle) for c in contacts if c.role != "registrant"),
        tuple(h.name for h in hosts), tuple(sorted(row["subordinates"] or ())), row["sponsor_id"], row["creator_id"],
        row["created_at"], row["updater_id"], row["updated_at"], row["expires_at"], row["transferred_at"],
        tuple(sorted((_ds(d) for d in row["ds"] or ()), key=_ds_order)), None, True, _rgp(row, now))


def _by_id(data: dict[str, Any]) -> int:
    return int(data["id"])


def _ds_order(ds: DsData) -> tuple[int, int, int, str]:
    return ds.key_tag, ds.alg, ds.digest_type, ds.digest


def _contact_order(data: dict[str, Any]) -> tuple[bool, str, str]:
    return data["role"] != "registrant", data["role"], data["handle"]


def _domain_record(row: dict[str, Any], now: datetime) -> DomainRecord:
    hosts = sorted((_host(h, True) for h in row["hosts"] or ()), key=lambda h: h.name)
    contacts = [DomainContact(c["role"], _contact(c, linked=True))
                for c in sorted(row["contacts"] or (), key=_contact_order)]
    return DomainRecord(_domain(row, hosts, contacts, now), TldFlags(row["tld"], row["whois_enabled"],
                                                               row["rdap_icann_profile"]),
                        _registrar(row), tuple(hosts), tuple(contacts), now)


def _tld_flags(row: dict[str, Any]) -> TldFlags | None:
    if row.get("tld_name") is None:
        return None
    return TldFlags(row["tld_name"], row["whois_enabled"], row["rdap_icann_profile"])


async def _read(core: Core, fn: Callable[[Tx], Awaitable[Any]]) -> Any:
    """Read-only: no BEGIN/COMMIT, and the retry a broken connection deserves (db/tx.py)."""
    return await core.db.transaction(fn, readonly=True)


async def lookup_domain(core: Core, name: str) -> DomainRecord:
    """A live domain by name (any case, U- or A-labels, trailing dot); ObjectNotFound if none."""
    domain_name = lookup_name(name)

    async def run(tx: Tx) -> DomainRecord:
        row = await repo.fetch_domain_record(tx.conn, domain_name)
        if row is None:
            raise not_found("domain", domain_name)
        return _domain_record(row, tx.now)
    result: DomainRecord = await _read(core, run)
    return result


async def lookup_host(core: Core, name: str) -> HostRecord:
    host_name = lookup_name(name)

    async def run(tx: Tx) -> HostRecord:
        row = await repo.fetch_host_record(tx.conn, host_name)
        if row is None:
            raise not_found("host", host_name)
        return HostRecord(_host(row, row["linked"]), _registrar(row), _tld_flags(row), row["any_icann"], tx.now)
    result: HostRecord = await _read(core, run)
    return result


def _registrar_record(row: dict[str, Any], now: datetime) -> RegistrarRecord:
    return RegistrarRecord(_registrar(row), row["any_icann"], now)


async def _fetch_entity(tx: Tx, key: str, with_contacts: bool) -> RegistrarRecord | ContactRecord | None:
    if _IANA_ID.match(key):
        row = await repo.fetch_registrar_record(tx.conn, iana_id=int(key))
        if row is not None:
            return _registrar_record(row, tx.now)
    row = await repo.fetch_registrar_record(tx.conn, registrar_id=key)
    if row is not None:
        return _registrar_record(row, tx.now)
    if not with_contacts:
        return None
    for by_roid in (True, False):
        row = await repo.fetch_contact_record(tx.conn, key, by_roid=by_roid)
        if row is not None:
            contact = _contact(row["contact"], linked=row["linked"], pending_transfer=row["pending_transfer"])
            return ContactRecord(contact, row["any_icann"], tx.now)
    return None


async def lookup_entity(core: Core, key: str, *, with_contacts: bool = True) -> RegistrarRecord | ContactRecord:
    """An entity by handle, in this order: registrar by IANA id (all digits), registrar by
    id, contact by ROID, contact by id."""
    handle = key.strip()
    if not handle or len(handle) > MAX_HANDLE or not handle.isprintable():
        raise InvalidValue("invalid entity handle", object_type="entity", field="handle", value=key[:80])

    async def run(tx: Tx) -> RegistrarRecord | ContactRecord:
        found = await _fetch_entity(tx, handle, with_contacts)
        if found is None:
            raise not_found("entity", handle)
        return found
    result: RegistrarRecord | ContactRecord = await _read(core, run)
    return result


async def lookup_registrar(core: Core, key: str) -> RegistrarRecord:
    """A registrar by IANA id, id, or full name (case-insensitive)."""
    text = key.strip()
    if not text or len(text) > MAX_HANDLE * 4 or not text.isprintable():
        raise InvalidValue("invalid registrar name", object_type="registrar", field="name", value=text[:80])

    async def run(tx: Tx) -> RegistrarRecord:
        found = await _fetch_entity(tx, text, False)
        if found is None:
            rows = await repo.search_registrars(tx.conn, "name", text.lower(), False, "", 1)
            if rows:
                rows[0]["any_icann"] = await repo.fetch_any_icann_profile(tx.conn)
                found = _registrar_record(rows[0], tx.now)
        if not isinstance(found, RegistrarRecord):
            raise not_found("registrar", text)
        return found
    result: RegistrarRecord = await _read(core, run)
    return result


async def _tld_of(tx: Tx, name: str) -> TldFlags | None:
    """The served TLD a name lies in (the longest matching suffix), if any."""
    labels = name.lower().rstrip(".").split(".")
    served = set(await repo.fetch_tld_names(tx.conn))
    for i in range(1, len(labels)):
        if ".".join(labels[i:]) in served:
            row = await repo.fetch_tld_flags(tx.conn, ".".join(labels[i:]))
            return None if row is None else _tld_flags(row)
    return None


async def tld_flags_for(core: Core, name: str) -> TldFlags | None:
    """The switches of the TLD `name` lies in; None when no served TLD holds it."""
    async def run(tx: Tx) -> TldFlags | None:
        return await _tld_of(tx, name)
    result: TldFlags | None = await _read(core, run)
    return result


async def icann_profile_for(core: Core, name: str | None) -> bool:
    """Whether an answer about `name` (None: about no object in particular) follows the
    ICANN gTLD profile: that of the TLD the name lies in, else whether any TLD does."""
    async def run(tx: Tx) -> bool:
        flags = await _tld_of(tx, name) if name else None
        if flags is not None:
            return flags.rdap_icann_profile
        return await repo.fetch_any_icann_profile(tx.conn)
    result: bool = await _read(core, run)
    return result


def _summary(row: dict[str, Any], now: datetime) -> DomainSummary:
    statuses = displayed_statuses(row["statuses"], pending_transfer=row["pending_transfer"],
                                  inactive=not row["nameservers"])
    return DomainSummary(row["name"], row["roid"], tuple(statuses), tuple(sorted(row["nameservers"] or ())),
                         _registrar(row),
                         row["created_at"], row["updated_at"], row["expires_at"], row["transferred_at"],
                         _rgp(row, now))


def parse_address(text: str, field: str = "ip") -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError as exc:
        raise InvalidValue("invalid IP address", field=field, value=text[:64]) from exc


SearchFn = Callable[[Any, str, int], Awaitable[list[dict[str, Any]]]]


async def _page(core: Core, fetch: SearchFn, convert: Callable[[dict[str, Any], datetime], Any], after: str,
                limit: int) -> Page[Any]:
    async def run(tx: Tx) -> Page[Any]:
        rows = await fetch(tx.conn, after, limit + 1)
        icann = await repo.fetch_any_icann_profile(tx.conn)
        return Page(tuple(convert(r, tx.now) for r in rows[:limit]), len(rows) > limit, icann, tx.now)
    result: Page[Any] = await _read(core, run)
    return result


async def search_domains_by_name(core: Core, pattern: NamePattern, after: str, limit: int) -> Page[DomainSummary]:
    async def fetch(conn: Any, start: str, n: int) -> list[dict[str, Any]]:
        return await repo.search_domains_by_name(conn, pattern.low, pattern.high, pattern.suffix, start, n)
    return await _page(core, fetch, _summary, after, limit)


async def search_domains_by_nameserver(core: Core, pattern: NamePattern, after: str,
                                       limit: int) -> Page[DomainSummary]:
    async def fetch(conn: Any, start: str, n: int) -> list[dict[str, Any]]:
        return await repo.search_domains_by_nameserver(conn, pattern.low, pattern.high, pattern.suffix, start, n)
    return await _page(core, fetch, _summary, after, limit)


async def search_domains_by_nameserver_ip(core: Core, address: str, after: str,
                                          limit: int) -> Page[DomainSummary]:
    ip = parse_address(address, "nsIp")

    async def fetch(conn: Any, start: str, n: int) -> list[dict[str, Any]]:
        return await repo.search_domains_by_nameserver_ip(conn, ip, start, n)
    return await _page(core, fetch, _summary, after, limit)


def _host_row(row: dict[str, Any], _now: datetime) -> HostInfo:
    return _host(row, row["linked"])


async def search_hosts_by_name(core: Core, pattern: NamePattern, after: str, limit: int) -> Page[HostInfo]:
    async def fetch(conn: Any, start: str, n: int) -> list[dict[str, Any]]:
        return await repo.search_hosts_by_name(conn, pattern.low, pattern.high, pattern.suffix, start, n)
    return await _page(core, fetch, _host_row, after, limit)


async def search_hosts_by_ip(core: Core, address: str, after: str, limit: int) -> Page[HostInfo]:
    ip = parse_address(address)

    async def fetch(conn: Any, start: str, n: int) -> list[dict[str, Any]]:
        return await repo.search_hosts_by_ip(conn, ip, start, n)
    return await _page(core, fetch, _host_row, after, limit)


async def search_registrars(core: Core, by: str, pattern: TextPattern, after: str,
                            limit: int) -> Page[PublicRegistrar]:
    """Registrars by name (`by` = "name") or handle (`by` = "id"; an all-digit handle
    also matches the IANA id)."""
    async def fetch(conn: Any, start: str, n: int) -> list[dict[str, Any]]:
        rows = await repo.search_registrars(conn, by, pattern.text, pattern.prefix, start, n)
        if by == "id" and not pattern.prefix and _IANA_ID.match(pattern.text) and not start:
            row = await repo.fetch_registrar_record(conn, iana_id=int(pattern.text))
            rows = ([row] if row else []) + [r for r in rows if not row or r["r_id"] != row["r_id"]]
        return rows
    return await _page(core, fetch, lambda row, _now: _registrar(row), after, limit)
