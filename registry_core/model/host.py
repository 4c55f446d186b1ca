"""Host objects (RFC 5732) as plain values."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from registry_core.errors import InvalidValue, PolicyViolation

MAX_ADDRESSES = 13


@dataclass(frozen=True)
class HostCreate:
    name: str
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class HostUpdate:
    name: str
    add_addresses: tuple[str, ...] = ()
    rem_addresses: tuple[str, ...] = ()
    add_statuses: frozenset[str] = frozenset()
    rem_statuses: frozenset[str] = frozenset()
    new_name: str | None = None


@dataclass(frozen=True)
class HostInfo:
    name: str
    roid: str
    statuses: tuple[str, ...]
    addresses: tuple[str, ...]
    sponsor_id: str
    creator_id: str
    created_at: datetime
    updater_id: str | None
    updated_at: datetime | None
    transferred_at: datetime | None
    superordinate: str | None
    linked: bool


def normalize_address(text: str, version: int | None = None) -> str:
    """Canonical text of an IP address; the version, when given, must match (v4 / v6)."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError as exc:
        raise InvalidValue("invalid IP address", field="addr", value=text[:64]) from exc
    if version is not None and address.version != version:
        raise InvalidValue(f"not an IPv{version} address", field="addr", value=text[:64])
    if (address.is_loopback or address.is_unspecified or address.is_multicast or address.is_link_local
            or _is_site_local(address)):
        raise PolicyViolation("address is not routable on the public Internet", field="addr", value=str(address))
    return str(address)


_SITE_LOCAL = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                  "100.64.0.0/10", "fc00::/7", "0.0.0.0/8")]


def _is_site_local(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address.version == net.version and address in net for net in _SITE_LOCAL)
