"""Operator commands for the lifecycle runner and price lists:

    registry lifecycle run [--at TIME] [--batch N]
    registry tld premium-import TLD FILE.csv [--replace]     registry tld premium-list TLD
    registry tld reserve TLD NAME... [--reason TEXT]         registry tld release TLD NAME...
    registry tld reserved TLD
    registry tld group-price TLD GROUP --price ACTION=AMOUNT...
    registry registrar price-group ID [GROUP | --none]

`add_lifecycle_parser(subparsers)` adds them to the top-level sub-command set of
protocols/cli/main.py; call it after the `tld` and `registrar` parsers exist (it adds to them,
or creates them when missing).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from protocols.config import Config


def _when(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text}") from exc
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _price(text: str) -> tuple[str, Decimal]:
    action, _, amount = text.partition("=")
    try:
        return action.strip(), Decimal(amount)
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError("prices are ACTION=AMOUNT, e.g. create=8.00") from exc


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    return Path(path).read_text("utf-8-sig")


# --- handlers ----------------------------------------------------------------------------
async def cmd_lifecycle_run(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services.lifecycle import run_lifecycle

    async with open_core(config) as core:
        report = await run_lifecycle(core, args.at, batch=args.batch)
    for key, value in vars(report).items():
        print(f"{key:20} {value}")
    return 1 if report.failed else 0


async def cmd_premium_import(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import price_lists

    text = _read_text(args.file)
    async with open_core(config) as core:
        count = await price_lists.import_premium_csv(core, args.tld, text, replace=args.replace)
    print(f"imported {count} premium names into .{args.tld}" + (" (old list replaced)" if args.replace else ""))
    return 0


async def cmd_premium_list(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import price_lists

    async with open_core(config) as core:
        prices = await price_lists.list_premium(core, args.tld)
    print("name,create,renew,transfer,restore")
    for p in prices:
        cells = [p.create, p.renew, p.transfer, p.restore]
        print(",".join([p.name, *("" if c is None else str(c) for c in cells)]))
    return 0


async def cmd_reserve(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import price_lists

    async with open_core(config) as core:
        if args.tld_command == "reserve":
            for name in await price_lists.reserve_names(core, args.tld, args.names, args.reason):
                print(f"reserved {name}")
        elif args.tld_command == "release":
            print(f"released {await price_lists.release_names(core, args.tld, args.names)} names")
        else:
            for name, reason in await price_lists.list_reserved(core, args.tld):
                print(f"{name}\t{reason}")
    return 0


async def cmd_group_price(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import price_lists

    async with open_core(config) as core:
        await price_lists.set_group_prices(core, args.group, args.tld, dict(args.price))
    print(f"price group {args.group} on .{args.tld}: " + ", ".join(f"{a}={p}" for a, p in args.price))
    return 0


async def cmd_price_group(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import price_lists

    group = None if args.none else args.group
    if group is None and not args.none:
        print("registry: name a price group or pass --none", file=sys.stderr)
        return 2
    async with open_core(config) as core:
        await price_lists.set_registrar_group(core, args.id, group)
    print(f"{args.id}: " + (f"price group {group}" if group else "TLD prices"))
    return 0


# --- parsers -----------------------------------------------------------------------------
def add_lifecycle_parser(subparsers: Any) -> None:
    lifecycle = subparsers.add_parser("lifecycle", help="domain lifecycle runner")
    lc_sub = lifecycle.add_subparsers(dest="lifecycle_command", required=True)
    run = lc_sub.add_parser("run", help="apply every due transition once (auto-renew, expiry, "
                                        "redemption, purge, transfer auto-approval)")
    run.add_argument("--at", type=_when, help="act as if it were TIME (ISO 8601; default now)")
    run.add_argument("--batch", type=int, default=500, help="candidates read at a time")
    run.set_defaults(handler=cmd_lifecycle_run)


def add_tld_pricing_commands(tld_sub: Any) -> None:
    """`tld premium-import | premium-list | reserve | release | reserved | group-price`."""
    imp = tld_sub.add_parser("premium-import", help="load premium prices from CSV "
                                                    "(name,create,renew,transfer,restore)")
    imp.add_argument("tld")
    imp.add_argument("file", help="CSV file, - for standard input")
    imp.add_argument("--replace", action="store_true", help="drop the TLD's old premium list first")
    imp.set_defaults(handler=cmd_premium_import)
    listing = tld_sub.add_parser("premium-list", help="print the premium list as CSV")
    listing.add_argument("tld")
    listing.set_defaults(handler=cmd_premium_list)
    for name, text in (("reserve", "reserve names"), ("release", "take names off the reserved list")):
        p = tld_sub.add_parser(name, help=text)
        p.add_argument("tld")
        p.add_argument("names", nargs="+", metavar="NAME", help="label or full name")
        if name == "reserve":
            p.add_argument("--reason", default="Reserved", help="shown by check")
        p.set_defaults(handler=cmd_reserve)
    reserved = tld_sub.add_parser("reserved", help="list reserved names")
    reserved.add_argument("tld")
    reserved.set_defaults(handler=cmd_reserve)
    group = tld_sub.add_parser("group-price", help="a registrar price group's prices on a TLD")
    group.add_argument("tld")
    group.add_argument("group")
    group.add_argument("--price", type=_price, action="append", required=True, help="ACTION=AMOUNT per year")
    group.set_defaults(handler=cmd_group_price)


def add_registrar_pricing_commands(registrar_sub: Any) -> None:
    """`registrar price-group ID [GROUP | --none]`."""
    p = registrar_sub.add_parser("price-group", help="put a registrar in a price group")
    p.add_argument("id")
    p.add_argument("group", nargs="?")
    p.add_argument("--none", action="store_true", help="back to the TLD prices")
    p.set_defaults(handler=cmd_price_group)
