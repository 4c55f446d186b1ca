"""Domain objects (RFC 5731, RFC 5910 DS data) as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CONTACT_ROLES = ("admin", "billing", "tech")
MAX_NAMESERVERS = 13
MAX_DS = 8


@dataclass(frozen=True)
class KeyData:
    flags: int
    protocol: int
    alg: int
    public_key: str


@dataclass(frozen=True)
class DsData:
    key_tag: int
    alg: int
    digest_type: int
    digest: str  # upper-case hex
    key_data: KeyData | None = None


@dataclass(frozen=True)
class DomainCreate:
    name: str
    period_years: int = 1
    registrant: str | None = None
    contacts: tuple[tuple[str, str], ...] = ()  # (role, contact handle)
    nameservers: tuple[str, ...] = ()
    auth_info: str = ""
    ds: tuple[DsData, ...] = ()


@dataclass(frozen=True)
class DomainUpdate:
    name: str
    add_nameservers: tuple[str, ...] = ()
    rem_nameservers: tuple[str, ...] = ()
    add_contacts: tuple[tuple[str, str], ...] = ()
    rem_contacts: tuple[tuple[str, str], ...] = ()
    add_statuses: frozenset[str] = frozenset()
    rem_statuses: frozenset[str] = frozenset()
    registrant: str | None = None  # "" removes the registrant
    auth_info: str | None = None
    add_ds: tuple[DsData, ...] = ()
    rem_ds: tuple[DsData, ...] = ()
    rem_all_ds: bool = False


@dataclass(frozen=True)
class DomainInfo:
    name: str
    roid: str
    tld: str
    statuses: tuple[str, ...]
    registrant: str | None
    contacts: tuple[tuple[str, str], ...]
    nameservers: tuple[str, ...]
    subordinate_hosts: tuple[str, ...]
    sponsor_id: str
    creator_id: str
    created_at: datetime
    updater_id: str | None
    updated_at: datetime | None
    expires_at: datetime
    transferred_at: datetime | None
    ds: tuple[DsData, ...]
    auth_info: str | None = None  # only for the sponsor or a caller who proved it
    full: bool = True  # False: the caller is neither sponsor nor holder of the authInfo
    rgp_statuses: tuple[str, ...] = ()  # RFC 3915 rgpStatus values at the time of the query


@dataclass(frozen=True)
class DomainCreated:
    name: str
    created_at: datetime
    expires_at: datetime
    charged: str  # decimal amount as text
    currency: str = ""


@dataclass(frozen=True)
class DomainRenewed:
    name: str
    expires_at: datetime
    charged: str
    currency: str = ""
