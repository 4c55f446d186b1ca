"""`registry tld ...`: top-level domains, their policy, prices and name lists.

    registry tld add NAME [--roid-suffix S] [--contact-policy P] [--price ACTION=AMOUNT...] [--set KEY=VALUE...]
    registry tld set NAME [--price ACTION=AMOUNT...] [--set KEY=VALUE...]
    registry tld list                                      registry tld show NAME
    registry tld premium-import TLD FILE.csv [--replace]   registry tld premium-list TLD
    registry tld reserve TLD NAME... [--reason TEXT]       registry tld release TLD NAME...
    registry tld reserved TLD
    registry tld group-price TLD GROUP --price ACTION=AMOUNT...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from protocols.cli.args import price, setting, setting_value
from protocols.config import Config


# --- policy ------------------------------------------------------------------------------
async def cmd_tld_add(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import tlds

    settings = _settings(args)
    if args.contact_policy:
        settings["contact_policy"] = args.contact_policy
    async with open_core(config) as core:
        _print_tld(await tlds.add_tld(core, args.name, roid_suffix=args.roid_suffix,
                                      prices=dict(args.price or []), **settings))
    return 0


async def cmd_tld_set(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import tlds

    async with open_core(config) as core:
        _print_tld(await tlds.configure_tld(core, args.name, prices=dict(args.price or []), **_settings(args)))
    return 0


async def cmd_tld_list(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import tlds

    async with open_core(config) as core:
        for tld in await tlds.list_tlds(core):
            print(f"{tld.name}\t{tld.contact_policy}\t{tld.currency}")
    return 0


async def cmd_tld_show(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import tlds

    async with open_core(config) as core:
        _print_tld(await tlds.get_tld(core, args.name))
    return 0


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    return {key: setting_value(value) for key, value in args.set or []}


def _print_tld(tld: Any) -> None:
    for key, value in vars(tld).items():
        if key == "prices":
            value = ", ".join(f"{a}={p}" for a, p in sorted(value.items())) or "(free)"
        print(f"{key:28} {value}")


# --- price and name lists ----------------------------------------------------------------
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
        for name in await price_lists.reserve_names(core, args.tld, args.names, args.reason):
            print(f"reserved {name}")
    return 0


async def cmd_release(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import price_lists

    async with open_core(config) as core:
        print(f"released {await price_lists.release_names(core, args.tld, args.names)} names")
    return 0


async def cmd_reserved(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import price_lists

    async with open_core(config) as core:
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


def _read_text(path: str) -> str:
    """A file's text (a UTF-8 BOM dropped, as spreadsheets write one), `-` for standard input."""
    return sys.stdin.read() if path == "-" else Path(path).read_text("utf-8-sig")


# --- parser ------------------------------------------------------------------------------
def add_parser(sub: Any) -> None:
    tld_sub = sub.add_parser("tld", help="top-level domains").add_subparsers(dest="tld_command", required=True)
    _policy_parsers(tld_sub)
    _list_parsers(tld_sub)


def _policy_parsers(tld_sub: Any) -> None:
    add = tld_sub.add_parser("add", help="add a TLD")
    add.add_argument("name")
    add.add_argument("--roid-suffix")
    add.add_argument("--contact-policy", choices=["required", "optional", "none"])
    add.set_defaults(handler=cmd_tld_add)
    change = tld_sub.add_parser("set", help="change a TLD's policy or prices")
    change.add_argument("name")
    change.set_defaults(handler=cmd_tld_set)
    for p in (add, change):
        p.add_argument("--price", type=price, action="append", help="ACTION=AMOUNT per year")
        p.add_argument("--set", type=setting, action="append", help="policy KEY=VALUE (days for periods)")
    tld_sub.add_parser("list", help="every TLD").set_defaults(handler=cmd_tld_list)
    show = tld_sub.add_parser("show", help="a TLD's policy and prices")
    show.add_argument("name")
    show.set_defaults(handler=cmd_tld_show)


def _list_parsers(tld_sub: Any) -> None:
    imp = tld_sub.add_parser("premium-import", help="load premium prices from CSV "
                                                    "(name,create,renew,transfer,restore)")
    imp.add_argument("tld")
    imp.add_argument("file", help="CSV file, - for standard input")
    imp.add_argument("--replace", action="store_true", help="drop the TLD's old premium list first")
    imp.set_defaults(handler=cmd_premium_import)
    listing = tld_sub.add_parser("premium-list", help="print the premium list as CSV")
    listing.add_argument("tld")
    listing.set_defaults(handler=cmd_premium_list)
    reserve = tld_sub.add_parser("reserve", help="reserve names")
    reserve.add_argument("--reason", default="Reserved", help="shown by check")
    release = tld_sub.add_parser("release", help="take names off the reserved list")
    for p, handler in ((reserve, cmd_reserve), (release, cmd_release)):
        p.add_argument("tld")
        p.add_argument("names", nargs="+", metavar="NAME", help="label or full name")
        p.set_defaults(handler=handler)
    reserved = tld_sub.add_parser("reserved", help="list reserved names")
    reserved.add_argument("tld")
    reserved.set_defaults(handler=cmd_reserved)
    group = tld_sub.add_parser("group-price", help="a registrar price group's prices on a TLD")
    group.add_argument("tld")
    group.add_argument("group")
    group.add_argument("--price", type=price, action="append", required=True, help="ACTION=AMOUNT per year")
    group.set_defaults(handler=cmd_group_price)
