"""The demo data `make run` promises: TLD `example`, registrars `demo` and `rival` with
their development certificates pinned, and money to spend; console users with known
passwords and TOTP secrets. Safe to run again (`registry demo`)."""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path
from typing import Any

from protocols.cli.certs import init_dev_certs
from protocols.config import Config
from protocols.serve.shop_process import shop_settings_path
from registry_core.context import Core
from registry_core.errors import ObjectExists
from registry_core.services import accounts, registrars, tlds
from registry_core.services.accounts import NewUser
from registry_core.services.registrars import NewRegistrar

DEMO_REGISTRARS = (
    NewRegistrar("demo", "Demo Registrar LLC", "demo-Pass1", iana_id=9991, credit_limit=Decimal(1000),
                 email="ops@demo-registrar.test", url="https://demo-registrar.test",
                 whois_server="whois.demo-registrar.test", abuse_email="abuse@demo-registrar.test",
                 abuse_phone="+1.5555550100"),
    NewRegistrar("rival", "Rival Registrar Inc.", "rival-Pass1", iana_id=9992, credit_limit=Decimal(1000),
                 email="ops@rival-registrar.test", url="https://rival-registrar.test",
                 whois_server="whois.rival-registrar.test", abuse_email="abuse@rival-registrar.test",
                 abuse_phone="+1.5555550200"),
    # the house registrar: the storefront on 8083 buys through it
    NewRegistrar("shop", "Registry Shop", "shop-Pass1", iana_id=9993, credit_limit=Decimal(1000),
                 email="ops@shop.registry.test", url="http://127.0.0.1:8083/",
                 whois_server="whois.shop.registry.test", abuse_email="abuse@shop.registry.test",
                 abuse_phone="+1.5555550300"),
)
DEMO_PRICES = {"create": Decimal("8.00"), "renew": Decimal("8.00"), "transfer": Decimal("8.00"),
               "restore": Decimal("40.00")}
OPENING_BALANCE = Decimal("100000.00")
DEMO_ADDRESSES: dict[str, dict[str, Any]] = {
    "demo": {"street": ["1 Demo Street"], "city": "Springfield", "sp": "IL", "pc": "62701", "cc": "US",
             "voice": "+1.5555550100", "email": "ops@demo-registrar.test"},
    "rival": {"street": ["2 Rival Road"], "city": "Portland", "sp": "OR", "pc": "97201", "cc": "US",
              "voice": "+1.5555550200", "email": "ops@rival-registrar.test"},
    "shop": {"street": ["3 Market Square"], "city": "Springfield", "sp": "IL", "pc": "62701", "cc": "US",
             "voice": "+1.5555550300", "email": "ops@shop.registry.test"},
}
# Console users (README): password and a fixed TOTP secret each, so a newcomer can sign in
# with any authenticator app (or `python -c "import pyotp; print(pyotp.TOTP('...').now())"`).
DEMO_USERS = (
    (NewUser("admin", "admin@registry.test", "admin", None, "Registry Admin", "admin-Pass1"),
     "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
    (NewUser("demo-owner", "owner@demo-registrar.test", "owner", "demo", "Demo Owner", "demo-Owner1"),
     "KRUGS4ZANFZSAYJAMRSW233UN5SGK3LP"),
    (NewUser("rival-owner", "owner@rival-registrar.test", "owner", "rival", "Rival Owner", "rival-Owner1"),
     "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"),
)


async def create_demo(core: Core, certs_dir: Path) -> list[str]:
    """Create what is missing; return a line per thing done."""
    done = []
    issued = init_dev_certs(certs_dir, [r.id for r in DEMO_REGISTRARS])
    try:
        await tlds.add_tld(core, "example", roid_suffix="EXAMPLE", prices=DEMO_PRICES,
                           contact_policy="optional")
        done.append("TLD example")
    except ObjectExists:
        pass
    for new in DEMO_REGISTRARS:
        try:
            await registrars.add_registrar(core, new)
            await registrars.update_registrar(core, new.id, **DEMO_ADDRESSES[new.id])  # escrow deposits carry it
            await registrars.credit_registrar(core, new.id, OPENING_BALANCE, "demo opening balance", "demo")
            done.append(f"registrar {new.id}")
        except ObjectExists:
            pass
        fingerprint = issued.fingerprints[new.id]
        if fingerprint not in (await registrars.get_registrar(core, new.id)).fingerprints:
            await registrars.add_certificate(core, new.id, fingerprint, f"CN={new.id}")
            done.append(f"certificate pinned for {new.id}")
    for user, secret in DEMO_USERS:
        try:
            await accounts.add_user(core, user)
            await accounts.set_totp_secret(core, user.login, secret)
            done.append(f"console user {user.login}")
        except ObjectExists:
            pass
    return done


def shop_settings(config: Config) -> str:
    """The storefront's TOML for `make run`: the house registrar `shop` over EPP with its
    development certificate, selling `example` with a margin."""
    certs = Path(config.paths.certs).resolve()
    return f"""# Written by `registry demo` for make run: the storefront's own settings (storefront/settings.py).
[storefront]
host = "127.0.0.1"
port = 8083
title = "{config.registry.operator_name} shop"

[[storefront.registry]]
name = "house"
host = "127.0.0.1"
port = {config.epp.port}
clid = "shop"
password = "shop-Pass1"
tlds = ["example"]
ca = "{certs / 'ca.pem'}"
cert = "{certs / 'shop.pem'}"
key = "{certs / 'shop.key'}"

[storefront.margin.example]
fixed = "2.00"
percent = "10"
{_shop_mail(config)}"""


def _shop_mail(config: Config) -> str:
    """The shop's mail goes to the development catcher when the registry runs one."""
    if not config.mail.catcher:
        return ""
    host, _, port = config.mail.catcher.rpartition(":")
    return f"""
[storefront.mail]
relay_host = "{host}"
relay_port = {port}
tls = "none"
from_address = "{config.registry.operator_name} shop <shop@shop.invalid>"
"""


def write_shop_settings(target: Path, text: str) -> bool:
    """Write the file unless it exists (an operator's edits stay); True if written."""
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, "utf-8")
    target.chmod(0o600)  # it holds the shop's EPP password
    return True


async def cmd_demo(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core

    async with open_core(config) as core:
        done = await create_demo(core, Path(config.paths.certs))
    target = shop_settings_path(config)
    if write_shop_settings(target, shop_settings(config)):
        done.append(f"storefront settings {target}")
    print("demo data: " + (", ".join(done) if done else "already present"))
    return 0


def add_parser(sub: Any) -> None:
    sub.add_parser("demo", help="create the demo TLD and registrars").set_defaults(handler=cmd_demo)
