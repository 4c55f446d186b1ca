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
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import lookup as repo
from registry_core.db.repo import tlds as tld_repo
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, not_found
from registry_core.model import names
from registry_core.model.host import HostInfo
from registry_core.model.lookup import (
    ContactRecord,
    DomainRecord,
    DomainSummary,
    HostRecord,
    Page,
    PublicRegistrar,
    RegistrarRecord,
    TldFlags,
)
from registry_core.model.search import NamePattern, TextPattern

MAX_HANDLE = 64
_IANA_ID = re.compile(r"^[0-9]{1,9}$")


def lookup_name(name: str) -> str:
    """A queried name in stored form. Lookups fold case and NFC-normalize first, so that
    "Bücher.example" finds what "bücher.example" names (IDNA 2008 itself refuses capitals)."""
    return names.normalize_name(unicodedata.normalize("NFC", name).lower())


async def _read(core: Core, fn: Callable[[Tx], Awaitable[Any]]) -> Any:
    """Read-only: no BEGIN/COMMIT, and the retry a broken connection deserves (db/tx.py)."""
    return await core.db.transaction(fn, readonly=True)


async def lookup_domain(core: Core, name: str) -> DomainRecord:
    """A live domain by name (any case, U- or A-labels, trailing dot); ObjectNotFound if none."""
    domain_name = lookup_name(name)

    async def run(tx: Tx) -> DomainRecord:
        record = await repo.fetch_domain_record(tx.conn, domain_name, tx.now)
        if record is None:
            raise not_found("domain", domain_name)
        return record
    result: DomainRecord = await _read(core, run)
    return result


async def lookup_host(core: Core, name: str) -> HostRecord:
    host_name = lookup_name(name)

    async def run(tx: Tx) -> HostRecord:
        record = await repo.fetch_host_record(tx.conn, host_name, tx.now)
        if record is None:
            raise not_found("host", host_name)
        return record
    result: HostRecord = await _read(core, run)
    return result


async def _fetch_entity(tx: Tx, key: str, with_contacts: bool) -> RegistrarRecord | ContactRecord | None:
    if _IANA_ID.match(key):
        record = await repo.fetch_registrar_record(tx.conn, tx.now, iana_id=int(key))
        if record is not None:
            return record
    record = await repo.fetch_registrar_record(tx.conn, tx.now, registrar_id=key)
    if record is not None or not with_contacts:
        return record
    for by_roid in (True, False):
        contact = await repo.fetch_contact_record(tx.conn, key, tx.now, by_roid=by_roid)
        if contact is not None:
            return contact
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
            named = await repo.search_registrars(tx.conn, "name", text.lower(), False, "", 1)
            if named:
                found = RegistrarRecord(named[0], await repo.fetch_any_icann_profile(tx.conn), tx.now)
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
            return await repo.fetch_tld_flags(tx.conn, ".".join(labels[i:]))
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


def parse_address(text: str, field: str = "ip") -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError as exc:
        raise InvalidValue("invalid IP address", field=field, value=text[:64]) from exc


# (connection, after, at most n, now) -> up to n items in name order
SearchFn = Callable[[Any, str, int, datetime], Awaitable[list[Any]]]


async def _page(core: Core, fetch: SearchFn, after: str, limit: int) -> Page[Any]:
    """A page of search results; whether any TLD follows the ICANN profile comes from the
    TLD policy cache (db/tx.py: a change by another process is seen within seconds)."""
    async def run(tx: Tx) -> Page[Any]:
        items = await fetch(tx.conn, after, limit + 1, tx.now)
        icann = any(tld.rdap_icann_profile for tld in await tld_repo.fetch_all_tlds(tx))
        return Page(tuple(items[:limit]), len(items) > limit, icann, tx.now)
    result: Page[Any] = await _read(core, run)
    return result


async def search_domains_by_name(core: Core, pattern: NamePattern, after: str, limit: int) -> Page[DomainSummary]:
    async def fetch(conn: Any, start: str, n: int, now: datetime) -> list[DomainSummary]:
        return await repo.search_domains_by_name(conn, pattern.low, pattern.high, pattern.suffix, start, n, now)
    return await _page(core, fetch, after, limit)


async def search_domains_by_nameserver(core: Core, pattern: NamePattern, after: str,
                                       limit: int) -> Page[DomainSummary]:
    async def fetch(conn: Any, start: str, n: int, now: datetime) -> list[DomainSummary]:
        return await repo.search_domains_by_nameserver(conn, pattern.low, pattern.high, pattern.suffix, start, n,
                                                       now)
    return await _page(core, fetch, after, limit)


async def search_domains_by_nameserver_ip(core: Core, address: str, after: str,
                                          limit: int) -> Page[DomainSummary]:
    ip = parse_address(address, "nsIp")

    async def fetch(conn: Any, start: str, n: int, now: datetime) -> list[DomainSummary]:
        return await repo.search_domains_by_nameserver_ip(conn, ip, start, n, now)
    return await _page(core, fetch, after, limit)


async def search_hosts_by_name(core: Core, pattern: NamePattern, after: str, limit: int) -> Page[HostInfo]:
    async def fetch(conn: Any, start: str, n: int, _now: datetime) -> list[HostInfo]:
        return await repo.search_hosts_by_name(conn, pattern.low, pattern.high, pattern.suffix, start, n)
    return await _page(core, fetch, after, limit)


async def search_hosts_by_ip(core: Core, address: str, after: str, limit: int) -> Page[HostInfo]:
    ip = parse_address(address)

    async def fetch(conn: Any, start: str, n: int, _now: datetime) -> list[HostInfo]:
        return await repo.search_hosts_by_ip(conn, ip, start, n)
    return await _page(core, fetch, after, limit)


async def search_registrars(core: Core, by: str, pattern: TextPattern, after: str,
                            limit: int) -> Page[PublicRegistrar]:
    """Registrars by name (`by` = "name") or handle (`by` = "id"; an all-digit handle
    also matches the IANA id)."""
    async def fetch(conn: Any, start: str, n: int, now: datetime) -> list[PublicRegistrar]:
        found = await repo.search_registrars(conn, by, pattern.text, pattern.prefix, start, n)
        if by == "id" and not pattern.prefix and _IANA_ID.match(pattern.text) and not start:
            record = await repo.fetch_registrar_record(conn, now, iana_id=int(pattern.text))
            if record is not None:
                found = [record.registrar] + [r for r in found if r.id != record.registrar.id]
        return found
    return await _page(core, fetch, after, limit)
