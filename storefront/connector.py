"""A registry connector: a pool of logged-in EPP sessions to one registry (RFC 5730 over
RFC 5734 TLS with our client certificate), kept alive with <hello> while idle, reopened
with backoff when a session breaks, and paced to the registry's command rate. Any RFC
5730 registry works; in `make run` it is our own, with the shop as a registrar."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal

from protocols.epp.client import EppClient, EppConnectionError, EppError, EppTimeout, fee_check
from protocols.epp.codec import DOMAIN_NS, FEE_NS

_log = logging.getLogger("storefront.connector")
NS = {"domain": DOMAIN_NS, "fee": FEE_NS}


@dataclass(frozen=True)
class ConnectorSettings:
    name: str
    host: str
    port: int
    clid: str
    password: str = field(repr=False)  # never in a log line
    tlds: tuple[str, ...]
    sessions: int = 2
    commands_per_second: float = 20.0
    keepalive: float = 300.0  # an idle session sends <hello> this often (servers drop idle sessions)
    backoff_cap: float = 30.0
    timeout: float = 15.0


@dataclass(frozen=True)
class Availability:
    name: str
    available: bool
    reason: str | None  # why not (the registry's words: in use, reserved ...)
    fee: Decimal | None  # create, one year
    currency: str | None
    fee_class: str | None  # "premium", "standard" ...


class RegistryConnector:
    def __init__(self, settings: ConnectorSettings, context: ssl.SSLContext) -> None:
        self.settings, self.context = settings, context
        self._idle: asyncio.Queue[EppClient] = asyncio.Queue()
        self._opened = 0
        self._next_slot = 0.0
        self._pace = asyncio.Lock()
        self._keepalive: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._keepalive = asyncio.create_task(self._keep_alive(), name=f"epp-keepalive-{self.settings.name}")

    async def stop(self, grace: float = 5.0) -> None:
        if self._keepalive is not None:
            self._keepalive.cancel()
        while not self._idle.empty():
            client = self._idle.get_nowait()
            with contextlib.suppress(EppError, OSError):
                await asyncio.wait_for(client.logout(), grace)
            await client.close()

    async def _open(self) -> EppClient:
        """A logged-in session; retried with backoff (1 s doubling to backoff_cap) until it works."""
        delay = 1.0
        while True:
            client = EppClient(timeout=self.settings.timeout, cl_trid_prefix=f"shop-{self.settings.name}")
            try:
                await client.connect(self.settings.host, self.settings.port, self.context)
                (await client.login(self.settings.clid, self.settings.password)).check()
                return client
            except (EppError, OSError) as exc:
                await client.close()
                _log.warning("registry %s unreachable (%s); again in %.0f s", self.settings.name, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.backoff_cap)

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[EppClient]:
        """A session of the pool (opened when fewer than `sessions` exist); a session that
        broke under its user is dropped, the next user gets a fresh one."""
        if self._idle.empty() and self._opened < self.settings.sessions:
            self._opened += 1
            try:
                client = await self._open()
            except BaseException:
                self._opened -= 1
                raise
        else:
            client = await self._idle.get()
        await self._paced()
        try:
            yield client
        except (EppError, OSError):
            self._opened -= 1
            await client.close()
            raise
        self._idle.put_nowait(client)

    async def _paced(self) -> None:
        """At most commands_per_second commands to this registry, spread evenly."""
        async with self._pace:
            now = time.monotonic()
            wait = self._next_slot - now
            self._next_slot = max(now, self._next_slot) + 1 / self.settings.commands_per_second
        if wait > 0:
            await asyncio.sleep(wait)

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.settings.keepalive)
            for _ in range(self._idle.qsize()):
                with contextlib.suppress(EppError, OSError):
                    async with self.session() as client:
                        await client.hello()

    async def check(self, names: list[str]) -> list[Availability]:
        """One <domain:check> with <fee:check> (create, one year) for every name. A check
        changes nothing, so a session found broken is replaced and the check sent again once."""
        for attempt in (1, 2):
            try:
                async with self.session() as client:
                    reply = await client.domain_check(*names, extensions=(fee_check("create", period=1),))
                break
            except (EppConnectionError, EppTimeout, OSError):
                if attempt == 2:
                    raise
        return parse_check(reply.check().root, names)


def parse_check(root: object, names: list[str]) -> list[Availability]:
    """domain:chkData and fee:chkData of a check response, in the order of `names`."""
    found: dict[str, Availability] = {}
    fees: dict[str, tuple[Decimal | None, str | None, str | None]] = {}
    currency = root.findtext(".//fee:chkData/fee:currency", None, NS)  # type: ignore[attr-defined]
    for cd in root.iterfind(".//fee:chkData/fee:cd", NS):  # type: ignore[attr-defined]
        fee = cd.findtext("fee:command/fee:fee", None, NS)
        fees[(cd.findtext("fee:objID", "", NS) or "").lower()] = (
            Decimal(fee) if fee else None, currency, cd.findtext("fee:class", None, NS))
    for cd in root.iterfind(".//domain:chkData/domain:cd", NS):  # type: ignore[attr-defined]
        node = cd.find("domain:name", NS)
        name = (node.text or "").lower()
        fee, cur, fee_class = fees.get(name, (None, None, None))
        found[name] = Availability(name, node.get("avail") in ("1", "true"), cd.findtext("domain:reason", None, NS),
                                   fee, cur, fee_class)
    return [found[n] for n in names if n in found]
