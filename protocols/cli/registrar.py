"""`registry registrar ...`: registrar accounts, their credentials, money and price group.

    registry registrar add ID [--name N] [--password P] [--iana-id N] [--credit-limit X] [--allow-ip NET...] ...
    registry registrar list                      registry registrar show ID
    registry registrar set-password ID [--password P]
    registry registrar add-cert ID (--pem FILE | --sha256 FINGERPRINT)
    registry registrar credit ID AMOUNT [--description TEXT]
    registry registrar statement ID [--from TIME] [--to TIME] [--csv]
    registry registrar price-group ID [GROUP | --none]
    registry registrar sso ID (--issuer URL --client-id ID --client-secret-file F [--scopes S] | --remove)
    registry registrar webhook add|list|rotate|remove ID ...   (protocols/cli/notify_prefs.py)
    registry registrar notify-prefs ID [--event TYPE] [--email ADDR ...] [--webhook N ...] [--low-balance AMOUNT]

A password not given on the command line is read from standard input, or prompted for.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from protocols.cli import notify_prefs
from protocols.cli.args import decimal, when
from protocols.config import Config

_STATEMENT_COLUMNS = ("id", "at", "action", "object_name", "period_years", "amount", "balance_after", "currency",
                      "sv_trid", "description")


# --- handlers ----------------------------------------------------------------------------
async def cmd_registrar_add(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import registrars

    new = registrars.NewRegistrar(
        args.id, args.name or args.id, _password(args), iana_id=args.iana_id,
        credit_limit=args.credit_limit, email=args.email, url=args.url, abuse_email=args.abuse_email,
        abuse_phone=args.abuse_phone, whois_server=args.whois_server, ip_allowlist=tuple(args.allow_ip or ()))
    async with open_core(config) as core:
        _print_registrar(await registrars.add_registrar(core, new))
    return 0


async def cmd_registrar_list(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import registrars

    async with open_core(config) as core:
        for r in await registrars.list_registrars(core):
            print(f"{r.id}\t{r.iana_id or '-'}\t{r.status}\t{r.balance} {r.currency}\t{r.name}")
    return 0


async def cmd_registrar_show(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import registrars

    async with open_core(config) as core:
        _print_registrar(await registrars.get_registrar(core, args.id))
    return 0


async def cmd_registrar_set_password(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import registrars

    password = _password(args)
    async with open_core(config) as core:
        await registrars.update_registrar(core, args.id, password=password)
    print(f"password changed for {args.id}")
    return 0


async def cmd_registrar_add_cert(config: Config, args: argparse.Namespace) -> int:
    from protocols.net.tls import certificate_fingerprint, certificate_not_after
    from protocols.serve.runtime import open_core
    from registry_core.services import registrars

    fingerprint = args.sha256 or certificate_fingerprint(Path(args.pem))
    not_after = certificate_not_after(Path(args.pem)) if args.pem else None  # for the expiry reminders
    async with open_core(config) as core:
        await registrars.add_certificate(core, args.id, fingerprint, not_after=not_after)
    print(f"pinned {fingerprint} to {args.id}")
    return 0


async def cmd_registrar_credit(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import registrars

    reference = f"cli-credit-{datetime.now().strftime('%Y%m%d%H%M%S')}"
    async with open_core(config) as core:
        balance = await registrars.credit_registrar(core, args.id, args.amount, args.description, reference)
    print(f"balance of {args.id}: {balance}")
    return 0


async def cmd_registrar_statement(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import registrars

    async with open_core(config) as core:
        rows = await registrars.statement(core, args.id, args.start, args.end)
    _print_statement(rows, args.csv)
    return 0


async def cmd_registrar_price_group(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import price_lists

    if (args.group is None) == (not args.none):
        print("registry: name a price group or pass --none", file=sys.stderr)
        return 2
    async with open_core(config) as core:
        await price_lists.set_registrar_group(core, args.id, args.group)
    print(f"{args.id}: " + (f"price group {args.group}" if args.group else "TLD prices"))
    return 0


_ADDRESS_FIELDS = ("city", "sp", "pc", "cc", "voice", "fax", "email")


async def cmd_registrar_set_address(config: Config, args: argparse.Namespace) -> int:
    """The postal address and phones an escrow deposit carries (RFC 9022 5.4)."""
    from protocols.serve.runtime import open_core
    from registry_core.services import registrars

    values: dict[str, Any] = {f: getattr(args, f) for f in _ADDRESS_FIELDS if getattr(args, f) is not None}
    if args.street is not None:
        values["street"] = args.street
    if "cc" in values:
        values["cc"] = values["cc"].upper()
    async with open_core(config) as core:
        await registrars.update_registrar(core, args.id, **values)
    print(f"registrar {args.id}: address set")
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password:
        return str(args.password)
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("password: ")


def _print_registrar(r: Any) -> None:
    for key, value in vars(r).items():
        print(f"{key:14} {', '.join(value) if isinstance(value, tuple) else value}")


def _print_statement(rows: list[dict[str, Any]], as_csv: bool) -> None:
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(_STATEMENT_COLUMNS)
        writer.writerows([[row[c] for c in _STATEMENT_COLUMNS] for row in rows])
        return
    for row in rows:
        print(f"{row['at']:%Y-%m-%d %H:%M:%S}  {row['action']:10} {row['object_name'] or '':30} "
              f"{row['amount']:>12} {row['balance_after']:>12} {row['currency']}  {row['sv_trid']}")


async def cmd_registrar_sso(config: Config, args: argparse.Namespace) -> int:
    """Set (or remove) the registrar's own OpenID Connect provider for its console users."""
    from protocols.serve.runtime import open_core
    from registry_core.services import sso

    if not args.remove and not (args.issuer and args.client_id and args.client_secret_file):
        print("give --issuer, --client-id and --client-secret-file, or --remove", file=sys.stderr)
        return 2
    async with open_core(config) as core:
        if args.remove:
            removed = await sso.remove_registrar_provider(core, args.id)
            print(f"single sign-on {'removed' if removed else 'was not set'} for {args.id}")
            return 0
        await sso.set_registrar_provider(core, args.id, sso.Provider(args.issuer, args.client_id,
                                                                     _secret_file(args.client_secret_file),
                                                                     args.scopes))
    print(f"single sign-on set for {args.id}: {args.issuer} (client {args.client_id})")
    return 0


def _secret_file(path: str) -> str:
    return Path(path).read_text(encoding="utf-8").strip()


# --- parser ------------------------------------------------------------------------------
def add_parser(sub: Any) -> None:
    rs = sub.add_parser("registrar", help="registrar accounts").add_subparsers(dest="registrar_command",
                                                                                 required=True)
    _add_parser(rs)
    rs.add_parser("list", help="every registrar").set_defaults(handler=cmd_registrar_list)
    _one(rs, "show", cmd_registrar_show, "a registrar's account")
    _one(rs, "set-password", cmd_registrar_set_password, "change the EPP password").add_argument("--password")
    cert = _one(rs, "add-cert", cmd_registrar_add_cert, "pin a client certificate")
    group = cert.add_mutually_exclusive_group(required=True)
    group.add_argument("--pem", help="client certificate file")
    group.add_argument("--sha256", help="certificate fingerprint")
    credit = _one(rs, "credit", cmd_registrar_credit, "record funds received")
    credit.add_argument("amount", type=decimal)
    credit.add_argument("--description", default="funds received")
    statement = _one(rs, "statement", cmd_registrar_statement, "ledger lines, oldest first")
    statement.add_argument("--from", dest="start", type=when, help="ISO 8601 time (UTC without an offset)")
    statement.add_argument("--to", dest="end", type=when, help="ISO 8601 time (UTC without an offset)")
    statement.add_argument("--csv", action="store_true")
    address = _one(rs, "set-address", cmd_registrar_set_address, "postal address and phones (escrow)")
    address.add_argument("--street", action="append", help="street line (up to 3, repeatable)")
    for opt in _ADDRESS_FIELDS:
        address.add_argument(f"--{opt}")
    price_group = _one(rs, "price-group", cmd_registrar_price_group, "put a registrar in a price group")
    price_group.add_argument("group", nargs="?")
    price_group.add_argument("--none", action="store_true", help="back to the TLD prices")
    single = _one(rs, "sso", cmd_registrar_sso, "the registrar's own OpenID Connect provider")
    single.add_argument("--issuer", help="the provider's issuer URL (HTTPS)")
    single.add_argument("--client-id")
    single.add_argument("--client-secret-file", help="a file holding the client secret (stored encrypted)")
    single.add_argument("--scopes", default="openid email")
    single.add_argument("--remove", action="store_true", help="back to passwords only")
    notify_prefs.add_webhook_parser(rs, with_registrar=True)
    notify_prefs.add_prefs_parser(rs, "notify-prefs", with_registrar=True)


def _add_parser(rs: Any) -> None:
    add = _one(rs, "add", cmd_registrar_add, "add a registrar")
    add.add_argument("--name")
    add.add_argument("--password", help="(prompted or read from stdin when omitted)")
    add.add_argument("--iana-id", type=int)
    add.add_argument("--credit-limit", type=decimal, default=Decimal(0))
    for opt in ("--email", "--url", "--abuse-email", "--abuse-phone", "--whois-server"):
        add.add_argument(opt)
    add.add_argument("--allow-ip", action="append", help="address or network allowed to log in (repeatable)")


def _one(rs: Any, name: str, handler: Any, text: str) -> Any:
    """A sub-command about one registrar: its ID first."""
    p = rs.add_parser(name, help=text)
    p.add_argument("id")
    p.set_defaults(handler=handler)
    return p
