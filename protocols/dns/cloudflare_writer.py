"""A publisher writer for TLD zones hosted at Cloudflare (the official `cloudflare` SDK,
AsyncCloudflare): Cloudflare keeps single records, each with an id, so at each changed owner
the writer lists what Cloudflare holds (by exact name, every page), compares it with what
the owner should hold (OwnerChange.after) for the types the publisher manages there (those
of OwnerChange.before and .after; others are left alone), and sends the difference through
the batch endpoint: deletes by id, then creates. Cloudflare runs a batch in one database
transaction and an owner's operations always travel in one batch, so an owner never shows
half a change; a record whose TTL changes is deleted and created again in the same batch.
Reading first makes a resend harmless: what is already there is not sent again.

NS (delegations and the TLD's own set), DS (sent as its structured `data`) and A/AAAA
(glue) are mapped; any other type is a WriterError. Names and NS targets go without the
trailing dot. A batch holds at most `batch_limit` operations (Cloudflare's Free plan takes
200, the other plans 3,500). A 429 is retried with backoff (Retry-After is honoured), any
other error is a WriterError. serves(tld) says whether Cloudflare has the TLD's zone (zone
details, not deactivated), as the publisher asks before leading it. The API token is read
from a file by the caller and is never logged; error messages carry Cloudflare's answer,
never the request's headers."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cloudflare
from cloudflare import AsyncCloudflare

from protocols.dns.provider_calls import Backoff, ServedZones, retrying
from protocols.dns.publisher import WriterError
from registry_core.model.zone import RRset
from registry_core.model.zone_diff import OwnerChange

_log = logging.getLogger("registry.dns.publisher")

BATCH_LIMIT = 200  # operations in one batch request on every plan
PER_PAGE = 100  # records per page when listing an owner
MAPPED = frozenset({"NS", "DS", "A", "AAAA"})


@dataclass(frozen=True)
class CloudflareSettings:
    base_url: str = ""  # "" = the SDK's default, Cloudflare's public API
    batch_limit: int = BATCH_LIMIT
    per_page: int = PER_PAGE
    concurrency: int = 8  # owners listed at once
    timeout: float = 30.0
    backoff: Backoff = Backoff()


@dataclass(frozen=True)
class OwnerOps:
    """The batch operations of one owner: record ids to delete, record bodies to create."""

    owner: str
    deletes: tuple[str, ...] = ()
    posts: tuple[dict[str, Any], ...] = field(default=())

    @property
    def size(self) -> int:
        return len(self.deletes) + len(self.posts)


def record_name(owner: str) -> str:
    return owner.lower().rstrip(".")


def record_body(rrset: RRset, rdata: str) -> dict[str, Any]:
    """The Cloudflare record for one record of an RRset."""
    body: dict[str, Any] = {"name": record_name(rrset.owner), "type": rrset.type, "ttl": rrset.ttl}
    if rrset.type == "DS":
        key_tag, algorithm, digest_type, *digest = rdata.split()
        body["data"] = {"key_tag": int(key_tag), "algorithm": int(algorithm), "digest_type": int(digest_type),
                        "digest": "".join(digest).upper()}
    elif rrset.type == "NS":
        body["content"] = rdata.lower().rstrip(".")
    elif rrset.type in ("A", "AAAA"):
        body.update(content=str(ipaddress.ip_address(rdata)), proxied=False)
    else:
        raise WriterError(f"the Cloudflare writer does not publish {rrset.type} records ({rrset.owner})")
    return body


def record_key(rtype: str, content: str) -> tuple[str, str]:
    """What makes two records of a type the same record, however each side spells it."""
    if rtype in ("A", "AAAA"):
        return rtype, str(ipaddress.ip_address(content))
    if rtype == "DS":
        key_tag, algorithm, digest_type, *digest = content.split()
        return rtype, f"{int(key_tag)} {int(algorithm)} {int(digest_type)} {''.join(digest).lower()}"
    return rtype, content.lower().rstrip(".")


def listed_key(record: Mapping[str, Any]) -> tuple[str, str]:
    """record_key of a record as Cloudflare lists it (a DS may come with only its data)."""
    data = record.get("data") or {}
    content = record.get("content") or " ".join(
        str(int(data[k])) for k in ("key_tag", "algorithm", "digest_type")) + " " + str(data["digest"])
    return record_key(record["type"], content)


def owner_ops(change: OwnerChange, listed: Sequence[Mapping[str, Any]]) -> OwnerOps:
    """What to delete and create so that the owner holds `change.after`, given the records
    Cloudflare lists at the owner now."""
    managed = {r.type for r in change.before} | {r.type for r in change.after}
    wanted = {record_key(r.type, rd): (r, rd) for r in change.after for rd in r.rdata}
    deletes, kept = [], set()
    for record in listed:
        if record["type"] not in managed:
            continue
        key = listed_key(record)
        rrset = wanted.get(key, (None,))[0]
        if rrset is None or key in kept or int(record["ttl"]) != rrset.ttl:
            deletes.append(str(record["id"]))
        else:
            kept.add(key)
    posts = [record_body(rrset, rd) for key, (rrset, rd) in sorted(wanted.items()) if key not in kept]
    return OwnerOps(change.owner, tuple(deletes), tuple(posts))


def batches(ops: Sequence[OwnerOps], limit: int = BATCH_LIMIT) -> Iterator[list[OwnerOps]]:
    """Consecutive groups of whole owners with at most `limit` operations (an owner with more
    goes alone)."""
    group: list[OwnerOps] = []
    size = 0
    for owner in ops:
        if not owner.size:
            continue
        if group and size + owner.size > limit:
            yield group
            group, size = [], 0
        group.append(owner)
        size += owner.size
    if group:
        yield group


def throttled(exc: Exception) -> float | None:
    if not isinstance(exc, cloudflare.RateLimitError):
        return None
    try:
        return float(exc.response.headers.get("retry-after", "0"))
    except ValueError:
        return 0.0


class CloudflareWriter:
    """apply() publishes into the Cloudflare zone of the TLD (`zones`: TLD -> zone id);
    aclose() closes the HTTP connections."""

    def __init__(self, zones: Mapping[str, str], token: str, settings: CloudflareSettings = CloudflareSettings()
                 ) -> None:
        self.zones = {tld.lower().rstrip("."): zone for tld, zone in zones.items()}
        self.settings = settings
        self.client = AsyncCloudflare(api_token=token, base_url=settings.base_url or None, max_retries=0,
                                      timeout=settings.timeout)
        self.listing = asyncio.Semaphore(settings.concurrency)
        self.served = ServedZones()

    @property
    def target(self) -> str:
        return f"Cloudflare ({self.settings.base_url or 'API'})"

    async def aclose(self) -> None:
        await self.client.close()

    def zone_id(self, tld: str) -> str:
        zone = self.zones.get(tld.lower().rstrip("."))
        if zone is None:
            raise WriterError(f"no Cloudflare zone configured for {tld} (dns.cloudflare_zones)")
        return zone

    async def serves(self, tld: str) -> bool:
        """Whether the TLD has a zone configured and Cloudflare has it, not deactivated
        (remembered for a minute): False while Cloudflare is unreachable, so changes wait."""
        key = tld.lower().rstrip(".")
        if key not in self.zones or self.served.known(key):
            return key in self.zones
        try:
            found = await retrying(lambda: self.client.zones.get(zone_id=self.zones[key]), throttled,
                                   self.settings.backoff, "Cloudflare zone details")
        except cloudflare.APIError as exc:
            _log.warning("Cloudflare zone %s of %s not available: %s", self.zones[key], tld, exc.message)
            return False
        if found is None or found.status in ("deactivated", "moved"):
            return False
        self.served.found(key)
        return True

    async def apply(self, tld: str, changes: Sequence[OwnerChange]) -> None:
        zone = self.zone_id(tld)
        try:
            ops = await self._all_owner_ops(zone, changes)
            for group in batches(ops, self.settings.batch_limit):
                await self._send(tld, zone, group)
        except cloudflare.APIError as exc:
            self.served.forget(tld.lower().rstrip("."))
            raise WriterError(f"Cloudflare change of {tld} (zone {zone}): {exc.__class__.__name__}: "
                              f"{exc.message}") from exc

    async def _all_owner_ops(self, zone: str, changes: Sequence[OwnerChange]) -> list[OwnerOps]:
        """Every owner's operations (listed `concurrency` at a time); the first failure stops the rest."""
        tasks = [asyncio.ensure_future(self._owner_ops(zone, change)) for change in changes]
        try:
            return await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _owner_ops(self, zone: str, change: OwnerChange) -> OwnerOps:
        unmapped = sorted({r.type for r in change.after} - MAPPED)
        if unmapped:  # refused before anything is read
            raise WriterError(f"the Cloudflare writer does not publish {', '.join(unmapped)} records ({change.owner})")
        async with self.listing:
            listed = await retrying(lambda: self._list(zone, change.owner), throttled, self.settings.backoff,
                                    f"Cloudflare listing of {change.owner}")
        return owner_ops(change, listed)

    async def _list(self, zone: str, owner: str) -> list[dict[str, Any]]:
        pages = self.client.dns.records.list(zone_id=zone, name={"exact": record_name(owner)},
                                             per_page=self.settings.per_page)
        return [record.to_dict() async for record in pages]

    async def _send(self, tld: str, zone: str, group: list[OwnerOps]) -> None:
        deletes = [{"id": record_id} for owner in group for record_id in owner.deletes]
        posts = [post for owner in group for post in owner.posts]

        async def call() -> Any:
            return await self.client.dns.records.batch(zone_id=zone, deletes=deletes, posts=posts)  # type: ignore[arg-type]
        await retrying(call, throttled, self.settings.backoff, f"Cloudflare batch of {tld}")
