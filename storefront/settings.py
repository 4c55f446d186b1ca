"""The shop's settings: its own TOML file (the shop is a registrar, configured apart from
the registry it buys from), typed and checked once at start.

    [storefront]
    host = "127.0.0.1"          port = 8083          title = "Domain shop"
    database_url = "postgresql://..."   # or STOREFRONT_DATABASE_URL (it wins)
    searches_per_second = 2.0   search_burst = 10    trusted_proxies = ["127.0.0.1"]

    [[storefront.registry]]     # one connector per registry, with the TLDs it sells
    name = "house"  host = "127.0.0.1"  port = 7000  clid = "shop"  password = "..."
    tlds = ["example"]  ca = "certs/dev/ca.pem"  cert = "..."  key = "..."

    [storefront.margin.example] # the shop's margin on the registry's fee, per TLD
    fixed = "2.00"  percent = "10"

Payment gateways read their own sub-tables ([storefront.stripe], [storefront.paypal])."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from storefront.connector import ConnectorSettings
from storefront.search import Margin


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class RegistryLink:
    """One connector's settings plus the TLS files it presents and trusts."""

    connector: ConnectorSettings
    ca: Path
    cert: Path
    key: Path


@dataclass(frozen=True)
class ShopSettings:
    host: str = "127.0.0.1"
    port: int = 8083
    title: str = "Domain shop"
    database_url: str = field(default="", repr=False)
    searches_per_second: float = 2.0
    search_burst: int = 10
    trusted_proxies: tuple[str, ...] = ()
    registries: tuple[RegistryLink, ...] = ()
    margins: Mapping[str, Margin] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)  # the whole [storefront] table


_SCALARS: dict[str, type] = {"host": str, "port": int, "title": str, "database_url": str,
                             "searches_per_second": float, "search_burst": int}
# stripe, paypal and payments are read by storefront/payments/settings.py, mail by storefront/mail.py
_TABLES = ("registry", "margin", "trusted_proxies", "stripe", "paypal", "payments", "mail")


def load_settings(path: Path, environ: Mapping[str, str] | None = None) -> ShopSettings:
    env = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text("utf-8")).get("storefront", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    return settings_from_mapping(raw, env.get("STOREFRONT_DATABASE_URL"))


def settings_from_mapping(raw: Mapping[str, Any], database_url: str | None = None) -> ShopSettings:
    unknown = set(raw) - set(_SCALARS) - set(_TABLES)
    if unknown:
        raise SettingsError(f"unknown key(s) in [storefront]: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for key, kind in _SCALARS.items():
        if key in raw:
            values[key] = _typed(f"storefront.{key}", raw[key], kind)
    if database_url:
        values["database_url"] = database_url
    if not values.get("database_url"):
        raise SettingsError("storefront.database_url (or STOREFRONT_DATABASE_URL) is required")
    values["trusted_proxies"] = tuple(str(p) for p in raw.get("trusted_proxies", ()))
    values["registries"] = tuple(_registry(i, r) for i, r in enumerate(raw.get("registry", ())))
    values["margins"] = {str(tld).lower(): _margin(str(tld), m) for tld, m in raw.get("margin", {}).items()}
    sold = [t for link in values["registries"] for t in link.connector.tlds]
    if len(sold) != len(set(sold)):
        raise SettingsError("a TLD is sold through two registries; give each TLD one connector")
    return ShopSettings(**values, raw=raw)


def _typed(name: str, value: Any, kind: type) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SettingsError(f"{name}: expected {kind.__name__}, got {value!r}")
    if isinstance(value, int | float) and value < 0:
        raise SettingsError(f"{name}: must not be negative")
    return value


def _registry(index: int, raw: Mapping[str, Any]) -> RegistryLink:
    where = f"storefront.registry[{index}]"
    needed = ("name", "host", "port", "clid", "password", "tlds", "ca", "cert", "key")
    missing = [k for k in needed if k not in raw]
    if missing:
        raise SettingsError(f"{where}: missing {', '.join(missing)}")
    optional = {"sessions": int, "commands_per_second": float, "keepalive": float, "timeout": float}
    unknown = set(raw) - set(needed) - set(optional)
    if unknown:
        raise SettingsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    extra = {k: _typed(f"{where}.{k}", raw[k], kind) for k, kind in optional.items() if k in raw}
    tlds = tuple(str(t).lower().strip(".") for t in raw["tlds"])
    if not tlds:
        raise SettingsError(f"{where}.tlds: sell at least one TLD")
    connector = ConnectorSettings(str(raw["name"]), str(raw["host"]), _typed(f"{where}.port", raw["port"], int),
                                  str(raw["clid"]), str(raw["password"]), tlds, **extra)
    return RegistryLink(connector, Path(raw["ca"]), Path(raw["cert"]), Path(raw["key"]))


def _margin(tld: str, raw: Mapping[str, Any]) -> Margin:
    try:
        return Margin(Decimal(str(raw.get("fixed", "0"))), Decimal(str(raw.get("percent", "0"))))
    except InvalidOperation as exc:
        raise SettingsError(f"storefront.margin.{tld}: amounts must be decimal numbers") from exc
