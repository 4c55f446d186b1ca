"""Public registration data as plain values: what the read-only lookups behind RDAP and
WHOIS return. Nothing here carries an authInfo; redaction of contact data is applied by
the caller with `model.disclosure`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, NamedTuple, TypeVar

from registry_core.model.contact import ContactInfo
from registry_core.model.domain import DomainInfo
from registry_core.model.host import HostInfo

T = TypeVar("T")


@dataclass(frozen=True)
class TldFlags:
    """The per-TLD switches of the public services."""

    name: str
    whois_enabled: bool
    rdap_icann_profile: bool


@dataclass(frozen=True)
class PublicRegistrar:
    """A registrar as the public sees it: no money, credentials or addresses allowlists."""

    id: str
    name: str
    iana_id: int | None
    status: str
    email: str | None
    url: str | None
    whois_server: str | None
    abuse_email: str | None
    abuse_phone: str | None
    created_at: datetime
    updated_at: datetime | None


@dataclass(frozen=True)
class DomainContact:
    role: str  # registrant, admin, billing or tech
    contact: ContactInfo


@dataclass(frozen=True)
class DomainRecord:
    domain: DomainInfo
    tld: TldFlags
    registrar: PublicRegistrar
    nameservers: tuple[HostInfo, ...]
    contacts: tuple[DomainContact, ...]
    as_of: datetime  # the database time the record was read at


@dataclass(frozen=True)
class HostRecord:
    host: HostInfo
    registrar: PublicRegistrar
    tld: TldFlags | None  # the TLD an in-registry host lies in; None for external hosts
    any_icann_profile: bool
    as_of: datetime


@dataclass(frozen=True)
class RegistrarRecord:
    registrar: PublicRegistrar
    any_icann_profile: bool
    as_of: datetime


@dataclass(frozen=True)
class ContactRecord:
    contact: ContactInfo
    any_icann_profile: bool
    as_of: datetime


class DomainSummary(NamedTuple):
    """One search hit: the domain without contacts or DS data. A named tuple, not a frozen
    dataclass: a page builds a hundred, and a frozen dataclass's __init__ costs four times
    as much (it sets each field through object.__setattr__)."""

    name: str
    roid: str
    statuses: tuple[str, ...]
    nameservers: tuple[str, ...]
    registrar: PublicRegistrar
    created_at: datetime
    updated_at: datetime | None
    expires_at: datetime
    transferred_at: datetime | None
    rgp_statuses: tuple[str, ...] = ()  # RFC 3915 rgpStatus values at the time of the search


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of search results in name order; `truncated` says more rows match."""

    items: tuple[T, ...]
    truncated: bool
    any_icann_profile: bool
    as_of: datetime
