"""A TLD zone as a whole: its apex settings (`registry dns set TLD KEY=VALUE`) and the
full list of its records, streamed from a cursor in owner order (zone file renders and
the CZDS export)."""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import dns_changes, dns_publication, dns_zone, tlds
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, ObjectNotFound
from registry_core.model import names
from registry_core.model.zone import (
    OPERATOR_TYPES,
    RRset,
    ZoneSettings,
    desired_rrsets,
    fqdn,
    nic_name,
    operator_owners,
    relative,
    soa_rrset,
)
from registry_core.model.zone_records import ZoneRecords
from registry_core.services.tlds import tld_name

_SECONDS = ("ttl", "soa_ttl", "soa_refresh", "soa_retry", "soa_expire", "soa_minimum", "delete_floor")
_NAMES = ("soa_mname", "soa_rname")
_LISTS = ("nameservers", "nic_addresses")
SETTING_KEYS = (*_SECONDS, *_NAMES, *_LISTS, "max_delete_share", "records")


def _invalid(key: str, value: str) -> InvalidValue:
    return InvalidValue(f"bad value for {key}", object_type="tld", field=key, value=value)


def _host_name(key: str, text: str) -> str:
    try:
        return relative(names.normalize_name(text.rstrip(".")))
    except InvalidValue:
        raise _invalid(key, text) from None


def _address(key: str, text: str) -> str:
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        raise _invalid(key, text) from None


def _operator_records(tld: str, text: str) -> list[str]:
    """`records`: "owner TYPE rdata" entries separated by ";" (owner relative to the TLD, @
    for the apex). The rdata must already be in presentation format: the caller (a protocol
    that knows DNS) checks and canonicalizes it."""
    found = set()
    for entry in (e.strip() for e in text.split(";")):
        if not entry:
            continue
        parts = entry.split(None, 2)
        if len(parts) != 3 or parts[1].upper() not in OPERATOR_TYPES:
            raise _invalid("records", entry)
        owner = tld if parts[0] == "@" else _host_name("records", f"{parts[0].rstrip('.')}.{tld}")
        found.add(f"{fqdn(owner)} {parts[1].upper()} {parts[2]}")
    return sorted(found)


def parse_setting(key: str, text: str, tld: str = "") -> Any:
    """One `KEY=VALUE` of `registry dns set` as the value stored; lists are comma-separated."""
    if key == "records":
        return _operator_records(tld, text)
    if key in _SECONDS:
        if not text.isdigit() or int(text) > 2**31 - 1:
            raise _invalid(key, text)
        return int(text)
    if key in _NAMES:
        return _host_name(key, text) if text else None
    if key in _LISTS:
        items = [t.strip() for t in text.split(",") if t.strip()]
        parse = _host_name if key == "nameservers" else _address
        return sorted({parse(key, item) for item in items})
    if key == "max_delete_share":
        try:
            share = float(text)
        except ValueError:
            raise _invalid(key, text) from None
        if not 0 <= share <= 1:
            raise _invalid(key, text)
        return share
    raise InvalidValue("unknown DNS setting", object_type="tld", field=key,
                       value=f"known: {', '.join(SETTING_KEYS)}")


async def _tld(tx: Tx, tld: str) -> str:
    name = tld_name(tld)
    if name not in await tlds.fetch_tld_names(tx):
        raise ObjectNotFound("no such TLD", object_type="tld", name=name)
    return name


async def configure_zone(core: Core, tld: str, raw: dict[str, str]) -> ZoneSettings:
    """Store the settings; the apex owners (the TLD, nic.<tld>) and, when the TTL changes,
    every owner are marked for publication."""
    async def run(tx: Tx) -> ZoneSettings:
        name = await _tld(tx, tld)
        values = {key: parse_setting(key, text, name) for key, text in raw.items()}
        before = await dns_zone.fetch_zone_settings(tx.conn, name)
        await dns_zone.upsert_zone_settings(tx.conn, name, values)
        after = await dns_zone.fetch_zone_settings(tx.conn, name)
        if "ttl" in values:
            await dns_changes.mark_full_publication(tx.conn, name)
        owners = {name, relative(nic_name(name)), *map(relative, operator_owners(before) + operator_owners(after))}
        await dns_changes.record_dns_changes(tx.conn, tx.now, owners=[(name, o) for o in sorted(owners)])
        return after
    return await core.db.transaction(run)


async def zone_settings(core: Core, tld: str) -> ZoneSettings:
    async def run(tx: Tx) -> ZoneSettings:
        return await dns_zone.fetch_zone_settings(tx.conn, await _tld(tx, tld))
    return await core.db.transaction(run, readonly=True)


RecordSink = Callable[[tuple[RRset, ...]], Awaitable[None]]  # the records of one or more owners, in owner order


async def stream_zone(core: Core, tld: str, sink: RecordSink, *, serial: int | None = None,
                      apex_nameservers: tuple[str, ...] = ()) -> int:
    """Call `sink` with the SOA (`serial`, else the publication count), then with the
    records of the owners of the zone: the apex, then in owner order (the stored order of
    names), many owners a call. `apex_nameservers` stand in for an apex NS set the TLD's
    settings leave empty (the primary's start-up set). Returns the number of delegations."""
    async def run(tx: Tx) -> int:
        name = await _tld(tx, tld)
        settings = await dns_zone.fetch_zone_settings(tx.conn, name)
        if not settings.nameservers:
            settings = dataclasses.replace(settings, nameservers=apex_nameservers)
        counted = (await dns_publication.fetch_state(tx.conn, name))["serial"]
        await sink((soa_rrset(name, settings, counted if serial is None else serial),))
        apex = desired_rrsets(name, name, settings, None, None)
        if apex:
            await sink(apex)
        zone = ZoneRecords(name, settings, await dns_zone.fetch_zone_hosts(tx.conn, name))
        async with contextlib.aclosing(dns_zone.stream_zone_domains(tx.conn, name)) as chunks:
            async for domains in chunks:  # closed before the transaction ends, even when the sink fails
                if records := zone.chunk(domains):
                    await sink(tuple(records))
        if rest := zone.rest():
            await sink(tuple(rest))
        return zone.delegations
    # Not through Database.transaction: a retry would hand the sink the same records twice.
    # One cursor statement reads one snapshot; a fault surfaces to the caller, who starts over.
    async with core.db.pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
        return await run(Tx(conn, core.db.clock.now(), core.db.tld_cache))
