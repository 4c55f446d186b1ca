"""Data escrow (RFC 8909, RFC 9022) as plain values and pure rules: when each mode's
deposits are due, how a deposit is named, and the objects a deposit carries (filled by
registry_core/services/escrow.py, written as XML by protocols/escrow/)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from registry_core.model.contact import PostalInfo
from registry_core.model.domain import DsData

MODES = ("full", "diff", "thin")
# ICANN Registry Agreement Specification 2: a FULL deposit every Sunday and a DIFF on the
# other days, watermark 00:00 UTC; the BRDA thin file (Specification 4, 3.1) every Tuesday.
_WEEKDAYS = {"full": frozenset({6}), "diff": frozenset({0, 1, 2, 3, 4, 5}), "thin": frozenset({1})}
_MODE_LETTER = {"full": "F", "diff": "D", "thin": "T"}


def scheduled(mode: str, day: datetime) -> bool:
    return day.weekday() in _WEEKDAYS[mode]


def day_of(at: datetime) -> datetime:
    """00:00 UTC of `at`'s day."""
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def due_watermarks(mode: str, next_due: datetime, now: datetime) -> Iterator[datetime]:
    """Every scheduled watermark of `mode` from `next_due` up to `now` (the catch-up)."""
    day = day_of(next_due)
    while day <= now:
        if scheduled(mode, day):
            yield day
        day += timedelta(days=1)


def following(mode: str, watermark: datetime) -> datetime:
    """The first scheduled watermark of `mode` after `watermark`."""
    day = day_of(watermark) + timedelta(days=1)
    while not scheduled(mode, day):
        day += timedelta(days=1)
    return day


def deposit_id(mode: str, watermark: datetime) -> str:
    """RFC 8909 `id` (\\w{1,13}): the watermark to the minute and the mode, e.g. 202612060000F."""
    return f"{watermark.astimezone(UTC):%Y%m%d%H%M}{_MODE_LETTER[mode]}"


def file_stem(tld: str, mode: str, watermark: datetime, resend: int, split: int = 1) -> str:
    """ICANN's name of a deposit file, without the extension: {tld}_{date}_{mode}_S{n}_R{resend}."""
    return f"{tld}_{watermark.astimezone(UTC):%Y-%m-%d}_{mode}_S{split}_R{resend}"


@dataclass(frozen=True)
class DepositPlan:
    """One deposit to write: `deposit_type` is FULL or DIFF (a thin deposit is FULL)."""

    tld: str
    mode: str
    deposit_type: str
    watermark: datetime
    resend: int = 0
    prev_id: str | None = None
    since_lanes: tuple[int, ...] | None = None  # DIFF: history lane heads of the previous deposit
    since_at: datetime | None = None  # DIFF: the previous deposit's watermark
    cursor_mode: str | None = None  # the cursor this deposit moves, when not its own mode's

    @property
    def id(self) -> str:
        return deposit_id(self.mode, self.watermark)

    @property
    def stem(self) -> str:
        return file_stem(self.tld, self.mode, self.watermark, self.resend)


@dataclass(frozen=True)
class Rr:
    """A registrar reference with the optional client (RFC 9022 rrType)."""

    registrar: str
    client: str | None = None


@dataclass(frozen=True)
class EscrowTransfer:
    status: str
    gaining: str
    requested_at: datetime
    losing: str
    action_due: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True)
class EscrowDomain:
    name: str
    roid: str
    u_name: str | None
    statuses: tuple[str, ...]
    rgp_statuses: tuple[str, ...]
    registrant: str | None
    contacts: tuple[tuple[str, str], ...]  # (type, handle)
    nameservers: tuple[str, ...]
    sponsor: str
    creator: str
    created_at: datetime
    expires_at: datetime
    updater: str | None = None
    updated_at: datetime | None = None
    ds: tuple[DsData, ...] = ()
    transferred_at: datetime | None = None
    transfer: EscrowTransfer | None = None


@dataclass(frozen=True)
class EscrowHost:
    name: str
    roid: str
    statuses: tuple[str, ...]
    addresses: tuple[str, ...]
    sponsor: str
    creator: str
    created_at: datetime
    updater: str | None = None
    updated_at: datetime | None = None
    transferred_at: datetime | None = None


@dataclass(frozen=True)
class EscrowAddress:
    """A registrar's postal address (RFC 9022 registrar addrType: no name or org)."""

    street: tuple[str, ...]
    city: str
    sp: str | None
    pc: str | None
    cc: str


@dataclass(frozen=True)
class EscrowContact:
    handle: str
    roid: str
    statuses: tuple[str, ...]
    postal: tuple[PostalInfo, ...]
    voice: str | None
    voice_ext: str | None
    fax: str | None
    fax_ext: str | None
    email: str
    sponsor: str
    creator: str
    created_at: datetime
    updater: str | None = None
    updated_at: datetime | None = None
    transferred_at: datetime | None = None
    transfer: EscrowTransfer | None = None


@dataclass(frozen=True)
class EscrowRegistrar:
    id: str
    name: str
    iana_id: int | None
    status: str  # RFC 9022: ok | readonly | terminated
    address: EscrowAddress | None
    voice: str | None
    fax: str | None
    email: str | None
    url: str | None
    whois_server: str | None
    created_at: datetime
    updated_at: datetime | None = None


@dataclass(frozen=True)
class EscrowDelete:
    object_type: str  # domain | host | contact
    key: str  # domain name, host ROID, contact handle


@dataclass(frozen=True)
class EppParams:
    versions: tuple[str, ...]
    langs: tuple[str, ...]
    obj_uris: tuple[str, ...]
    ext_uris: tuple[str, ...]


# RFC 9022 object URIs, also the keys of the header counts
URI_DOMAIN = "urn:ietf:params:xml:ns:rdeDomain-1.0"
URI_HOST = "urn:ietf:params:xml:ns:rdeHost-1.0"
URI_CONTACT = "urn:ietf:params:xml:ns:rdeContact-1.0"
URI_REGISTRAR = "urn:ietf:params:xml:ns:rdeRegistrar-1.0"
URI_EPP_PARAMS = "urn:ietf:params:xml:ns:rdeEppParams-1.0"
URI_HEADER = "urn:ietf:params:xml:ns:rdeHeader-1.0"
COUNTED: dict[type, str] = {EscrowDomain: URI_DOMAIN, EscrowHost: URI_HOST, EscrowContact: URI_CONTACT,
           EscrowRegistrar: URI_REGISTRAR}


def registrar_status(status: str) -> str:
    """Our registrar states in RFC 9022's words."""
    return {"active": "ok", "readonly": "readonly", "suspended": "readonly"}.get(status, "terminated")


@dataclass
class DepositCounts:
    """Objects written per RFC 9022 URI: what the header must state exactly."""

    by_uri: dict[str, int] = field(default_factory=dict)

    def add(self, item: object) -> None:
        uri = COUNTED.get(type(item))
        if uri is not None:
            self.by_uri[uri] = self.by_uri.get(uri, 0) + 1


def menu_uris(mode: str, with_contacts: bool) -> tuple[str, ...]:
    """The object URIs a deposit of `mode` declares (its rdeMenu), in the header's order."""
    if mode == "thin":
        return (URI_HEADER, URI_DOMAIN, URI_REGISTRAR)
    contacts = (URI_CONTACT,) if with_contacts else ()
    return (URI_HEADER, URI_DOMAIN, URI_HOST, *contacts, URI_REGISTRAR, URI_EPP_PARAMS)


def counted_uris(menu: tuple[str, ...]) -> tuple[str, ...]:
    """The menu's URIs the header counts: every object kind but the header and the EPP parameters."""
    return tuple(u for u in menu if u not in (URI_HEADER, URI_EPP_PARAMS))
