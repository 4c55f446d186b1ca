"""A publisher writer for TLD zones hosted at Amazon Route 53 (aiobotocore's route53 client):
each batch becomes as few ChangeResourceRecordSets requests as Route 53 takes, every owner's
changes in one request (a request is applied whole, so an owner never shows half a change).

Route 53 changes whole RRsets: a type that is new or differs at an owner is UPSERTed as it
should be now (OwnerChange.after); a type that is gone is DELETEd, and a DELETE must name the
RRset exactly as it is, which is what the publisher last published (OwnerChange.before). When
Route 53 refuses a request with DELETEs (InvalidChangeBatch: someone changed the record
meanwhile, or a resend after a crash finds it already gone; moto says InvalidInput) the
writer reads those RRsets
(ListResourceRecordSets) and sends the request once more with what is really there. Route 53
takes NS (delegations), DS (since 2020) and A/AAAA (glue) at any owner of a hosted zone.

A request holds at most 1,000 records and 32,000 characters of values, an UPSERT counting
twice. Throttling and PriorRequestNotComplete are retried with backoff, anything else is a
WriterError. Optionally each request is waited for until Route 53 says INSYNC (GetChange).
serves(tld) says whether the TLD's hosted zone is there (GetHostedZone), for the publisher
to lead the TLD only then and to keep a batch waiting, not parked, while Route 53 is away.
Credentials come from the usual AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the
shared files ~/.aws/credentials and ~/.aws/config with an optional profile, an instance or
task role); an endpoint URL points the client elsewhere (moto in the tests)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore.exceptions import BotoCoreError, ClientError

from protocols.dns.provider_calls import Backoff, ServedZones, retrying
from protocols.dns.publisher import WriterError
from registry_core.model.zone import RRset, fqdn
from registry_core.model.zone_diff import OwnerChange

MAX_RECORDS = 1000  # ResourceRecord elements in one request (an UPSERT's count twice)
MAX_VALUE_CHARS = 32_000  # characters of all Value elements in one request (an UPSERT's count twice)
_log = logging.getLogger("registry.dns.publisher")

THROTTLED = frozenset({"Throttling", "PriorRequestNotComplete"})
STALE = frozenset({"InvalidChangeBatch", "InvalidInput"})  # a DELETE not matching (moto says InvalidInput)

Change = dict[str, Any]


@dataclass(frozen=True)
class Route53Settings:
    region: str = "us-east-1"
    endpoint_url: str = ""  # "" = Route 53 itself
    profile: str = ""  # "" = the default credential chain
    credentials: tuple[str, str] | None = None  # access key id and secret, instead of the chain
    wait: bool = False  # wait for INSYNC after every request
    wait_timeout: float = 300.0
    wait_poll: float = 5.0
    backoff: Backoff = Backoff()
    max_records: int = MAX_RECORDS
    max_value_chars: int = MAX_VALUE_CHARS


def rrset_body(rrset: RRset) -> dict[str, Any]:
    return {"Name": fqdn(rrset.owner), "Type": rrset.type, "TTL": rrset.ttl,
            "ResourceRecords": [{"Value": value} for value in rrset.rdata]}


def owner_changes(change: OwnerChange) -> list[Change]:
    """The Route 53 changes that make the owner hold `change.after`: an UPSERT of each RRset
    that is new or differs (TTL or records), a DELETE of each RRset that is gone, as published."""
    was = {r.type: r for r in change.before}
    now = {r.type: r for r in change.after}
    changes: list[Change] = []
    for rtype in sorted(set(was) | set(now)):
        old, new = was.get(rtype), now.get(rtype)
        if new is None and old is not None:
            changes.append({"Action": "DELETE", "ResourceRecordSet": rrset_body(old)})
        elif new is not None and (old is None or (old.ttl, set(old.rdata)) != (new.ttl, set(new.rdata))):
            changes.append({"Action": "UPSERT", "ResourceRecordSet": rrset_body(new)})
    return changes


def cost(changes: Sequence[Change]) -> tuple[int, int]:
    """(records, characters of values) as Route 53 counts them against a request's limits."""
    records = chars = 0
    for change in changes:
        weight = 2 if change["Action"] == "UPSERT" else 1
        values = [r["Value"] for r in change["ResourceRecordSet"]["ResourceRecords"]]
        records += weight * len(values)
        chars += weight * sum(len(v) for v in values)
    return records, chars


def requests(changes: Sequence[OwnerChange], max_records: int = MAX_RECORDS,
             max_chars: int = MAX_VALUE_CHARS) -> Iterator[list[Change]]:
    """Consecutive requests of whole owners, each within both limits (an owner that alone
    exceeds them goes alone, and Route 53 says why it refuses it)."""
    request: list[Change] = []
    records = chars = 0
    for change in changes:
        mine = owner_changes(change)
        more_records, more_chars = cost(mine)
        if request and (records + more_records > max_records or chars + more_chars > max_chars):
            yield request
            request, records, chars = [], 0, 0
        request += mine
        records, chars = records + more_records, chars + more_chars
    if request:
        yield request


def error_code(exc: Exception) -> str | None:
    return exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else None


def throttled(exc: Exception) -> float | None:
    return 0.0 if error_code(exc) in THROTTLED else None


class Route53Writer:
    """apply() publishes into the hosted zone of the TLD (`zones`: TLD -> hosted zone id);
    aclose() closes the HTTP connections (the client is opened on first use)."""

    def __init__(self, zones: Mapping[str, str], settings: Route53Settings = Route53Settings()) -> None:
        self.zones = {tld.lower().rstrip("."): zone for tld, zone in zones.items()}
        self.settings = settings
        self.session = AioSession(profile=settings.profile or None)
        self.stack = contextlib.AsyncExitStack()
        self.client: Any = None
        self.opening = asyncio.Lock()
        self.served = ServedZones()

    @property
    def target(self) -> str:
        return f"Route 53 ({self.settings.endpoint_url or self.settings.region})"

    async def _client(self) -> Any:
        async with self.opening:
            if self.client is None:
                keys = self.settings.credentials
                self.client = await self.stack.enter_async_context(self.session.create_client(
                    "route53", region_name=self.settings.region, endpoint_url=self.settings.endpoint_url or None,
                    aws_access_key_id=keys[0] if keys else None, aws_secret_access_key=keys[1] if keys else None,
                    config=AioConfig(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=30)))
            return self.client

    async def aclose(self) -> None:
        await self.stack.aclose()
        self.client = None

    def zone_id(self, tld: str) -> str:
        zone = self.zones.get(tld.lower().rstrip("."))
        if zone is None:
            raise WriterError(f"no Route 53 hosted zone configured for {tld} (dns.route53_zones)")
        return zone

    async def serves(self, tld: str) -> bool:
        """Whether the TLD has a hosted zone configured and Route 53 has it (GetHostedZone;
        remembered for a minute): False while Route 53 is unreachable, so changes wait."""
        key = tld.lower().rstrip(".")
        if key not in self.zones or self.served.known(key):
            return key in self.zones
        try:
            client = await self._client()
            await retrying(lambda: client.get_hosted_zone(Id=self.zones[key]), throttled, self.settings.backoff,
                           "Route 53 GetHostedZone")
        except (ClientError, BotoCoreError) as exc:
            _log.warning("Route 53 hosted zone %s of %s not available: %s", self.zones[key], tld, exc)
            return False
        self.served.found(key)
        return True

    async def apply(self, tld: str, changes: Sequence[OwnerChange]) -> None:
        zone = self.zone_id(tld)
        try:
            client = await self._client()
            for request in requests(changes, self.settings.max_records, self.settings.max_value_chars):
                await self._submit(client, tld, zone, request)
        except (ClientError, BotoCoreError) as exc:
            self.served.forget(tld.lower().rstrip("."))
            raise WriterError(f"Route 53 change of {tld} (zone {zone}): {exc}") from exc

    async def _submit(self, client: Any, tld: str, zone: str, request: list[Change]) -> None:
        try:
            info = await self._change(client, tld, zone, request)
        except ClientError as exc:
            if error_code(exc) not in STALE or not any(c["Action"] == "DELETE" for c in request):
                raise
            fixed = await self._as_it_is(client, zone, request)
            if fixed == request:
                raise
            info = await self._change(client, tld, zone, fixed)
        if self.settings.wait and info is not None:
            await self._wait_insync(client, tld, info["Id"])

    async def _change(self, client: Any, tld: str, zone: str, request: list[Change]) -> dict[str, Any] | None:
        if not request:
            return None

        async def call() -> Any:
            return await client.change_resource_record_sets(
                HostedZoneId=zone, ChangeBatch={"Comment": f"registry publisher, {tld}", "Changes": request})
        reply = await retrying(call, throttled, self.settings.backoff, f"Route 53 change of {tld}")
        return reply["ChangeInfo"]

    async def _as_it_is(self, client: Any, zone: str, request: list[Change]) -> list[Change]:
        """The request with each DELETE naming the RRset as Route 53 holds it now (dropped
        when there is none)."""
        fixed: list[Change] = []
        for change in request:
            if change["Action"] != "DELETE":
                fixed.append(change)
                continue
            current = await self._current(client, zone, change["ResourceRecordSet"])
            if current is not None:
                fixed.append({"Action": "DELETE", "ResourceRecordSet": current})
        return fixed

    async def _current(self, client: Any, zone: str, wanted: dict[str, Any]) -> dict[str, Any] | None:
        async def call() -> Any:
            return await client.list_resource_record_sets(
                HostedZoneId=zone, StartRecordName=wanted["Name"], StartRecordType=wanted["Type"], MaxItems="1")
        reply = await retrying(call, throttled, self.settings.backoff, "Route 53 read")
        for found in reply.get("ResourceRecordSets", []):
            if fqdn(found["Name"]) == fqdn(wanted["Name"]) and found["Type"] == wanted["Type"]:
                return found
        return None

    async def _wait_insync(self, client: Any, tld: str, change_id: str) -> None:
        deadline = time.monotonic() + self.settings.wait_timeout
        while True:
            async def call() -> Any:
                return await client.get_change(Id=change_id)
            reply = await retrying(call, throttled, self.settings.backoff, "Route 53 GetChange")
            if reply["ChangeInfo"]["Status"] == "INSYNC":
                return
            if time.monotonic() > deadline:
                raise WriterError(f"Route 53 change {change_id} of {tld} not INSYNC after "
                                  f"{self.settings.wait_timeout:.0f} s")
            await asyncio.sleep(self.settings.wait_poll)
