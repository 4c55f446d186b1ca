"""Contact objects (RFC 5733) as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

DISCLOSE_FIELDS = frozenset({"name_int", "name_loc", "org_int", "org_loc", "addr_int", "addr_loc",
                             "voice", "fax", "email"})


@dataclass(frozen=True)
class PostalInfo:
    type: str  # "int" (7-bit ASCII) or "loc"
    name: str
    org: str | None
    street: tuple[str, ...]
    city: str
    sp: str | None
    pc: str | None
    cc: str

    def as_json(self) -> dict:
        return {"name": self.name, "org": self.org, "street": list(self.street), "city": self.city,
                "sp": self.sp, "pc": self.pc, "cc": self.cc}

    @classmethod
    def from_json(cls, kind: str, data: dict) -> PostalInfo:
        return cls(kind, data["name"], data.get("org"), tuple(data.get("street") or ()), data["city"],
                   data.get("sp"), data.get("pc"), data["cc"])


@dataclass(frozen=True)
class PostalChange:
    """A postalInfo inside contact:chg: every part optional (None = unchanged)."""

    type: str
    name: str | None = None
    org: str | None = None
    street: tuple[str, ...] | None = None
    city: str | None = None
    sp: str | None = None
    pc: str | None = None
    cc: str | None = None
    has_addr: bool = False


@dataclass(frozen=True)
class Disclose:
    """RFC 5733 disclose: flag=True lists fields to show, flag=False fields to hide."""

    flag: bool
    fields: frozenset[str]


@dataclass(frozen=True)
class ContactCreate:
    handle: str
    postal: tuple[PostalInfo, ...]
    email: str
    auth_info: str
    voice: str | None = None
    voice_ext: str | None = None
    fax: str | None = None
    fax_ext: str | None = None
    disclose: Disclose | None = None


@dataclass(frozen=True)
class ContactUpdate:
    handle: str
    add_statuses: frozenset[str] = frozenset()
    rem_statuses: frozenset[str] = frozenset()
    postal: tuple[PostalChange, ...] = ()
    voice: str | None = None  # "" removes
    voice_ext: str | None = None
    fax: str | None = None  # "" removes
    fax_ext: str | None = None
    email: str | None = None
    auth_info: str | None = None
    disclose: Disclose | None = None


@dataclass(frozen=True)
class ContactInfo:
    handle: str
    roid: str
    statuses: tuple[str, ...]
    postal: tuple[PostalInfo, ...]
    email: str
    voice: str | None
    voice_ext: str | None
    fax: str | None
    fax_ext: str | None
    sponsor_id: str
    creator_id: str
    created_at: datetime
    updater_id: str | None
    updated_at: datetime | None
    transferred_at: datetime | None
    disclose: Disclose | None
    auth_info: str | None = None  # only for the sponsor or a caller who proved it
    linked: bool = False
    extra: dict = field(default_factory=dict)
