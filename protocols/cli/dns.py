"""`registry dns ...`: publication of the TLD zones.

    registry dns status TLD                    pending changes, serial, pause, guard, parked owners
    registry dns set TLD [KEY=VALUE...]        apex settings (without KEY=VALUE: show them)
    registry dns publish TLD [--parked]        re-publish every owner (or retry the parked ones)
    registry dns export TLD --czds FILE        the zone in ICANN CZDS format (- for standard output)
    registry dns pause TLD                     stop publishing the TLD (changes keep queueing)
    registry dns resume TLD [--accept-deletes] publish again; let a batch the delete guard held through

Settings: ttl, soa_ttl, soa_mname, soa_rname, soa_refresh, soa_retry, soa_expire, soa_minimum
(seconds), nameservers and nic_addresses (comma-separated), max_delete_share (0..1) and
delete_floor (the delete guard)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import IO, Any

from protocols.cli.args import setting
from protocols.config import Config
from protocols.dns.zone_text import record_lines
from registry_core.model.zone import RRset


async def cmd_status(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import dns_publication

    async with open_core(config) as core:
        state = await dns_publication.zone_status(core, args.tld)
    for key in ("tld", "serial", "pending", "delegations", "paused", "full_needed", "guard_tripped",
                "last_published_at", "last_error", "last_error_at"):
        print(f"{key:20} {state[key]}")
    for parked in state["parked"]:
        print(f"parked               {parked['owner']}  {parked['parked_at']:%Y-%m-%dT%H:%M:%SZ}  {parked['error']}")
    return 0


async def cmd_set(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import dns_zone

    async with open_core(config) as core:
        if args.settings:
            settings = await dns_zone.configure_zone(core, args.tld, dict(args.settings))
        else:
            settings = await dns_zone.zone_settings(core, args.tld)
    for key, value in vars(settings).items():
        print(f"{key:18} {','.join(value) if isinstance(value, tuple) else value}")
    return 0


async def cmd_publish(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import dns_publication

    async with open_core(config) as core:
        await dns_publication.request_full_publication(core, args.tld, parked=args.parked)
    what = "parked owners" if args.parked else "every owner"
    print(f"{args.tld}: {what} queued for publication; the running publisher sends them")
    return 0


async def cmd_pause(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import dns_publication

    paused = args.dns_command == "pause"
    async with open_core(config) as core:
        await dns_publication.set_paused(core, args.tld, paused, accept_deletes=getattr(args, "accept_deletes", False))
    print(f"{args.tld}: publication {'paused' if paused else 'resumed'}")
    return 0


async def cmd_export(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core

    async with open_core(config) as core:
        if args.czds == "-":
            await export_czds(core, args.tld, sys.stdout, _apex_nameservers(config))
            return 0
        path = Path(args.czds)
        temporary = path.with_name(path.name + ".part")
        with temporary.open("w", encoding="ascii", buffering=1 << 20) as out:
            delegations = await export_czds(core, args.tld, out, _apex_nameservers(config))
        os.replace(temporary, path)
    print(f"{args.tld}: {delegations} delegations written to {path}", file=sys.stderr)
    return 0


def _apex_nameservers(config: Config) -> tuple[str, ...]:
    """The primary's start-up apex NS set ([dns] nameservers), for a TLD without its own."""
    dns = getattr(config, "dns", None)
    return tuple(getattr(dns, "nameservers", ()))


async def export_czds(core: Any, tld: str, out: IO[str], apex_nameservers: tuple[str, ...]) -> int:
    """Stream the zone as CZDS lines (SOA first and last); the number of delegations."""
    from registry_core.services import dns_zone

    soa: list[RRset] = []

    async def sink(rrsets: tuple[RRset, ...]) -> None:
        if not soa:
            soa.append(rrsets[0])
        out.write("".join(line + "\n" for rrset in rrsets for line in record_lines(rrset)))
    delegations = await dns_zone.stream_zone(core, tld, sink, apex_nameservers=apex_nameservers)
    out.write("".join(line + "\n" for line in record_lines(soa[0])))
    return delegations


# --- parser ------------------------------------------------------------------------------
def add_parser(sub: Any) -> None:
    dns_sub = sub.add_parser("dns", help="DNS publication of the TLD zones").add_subparsers(
        dest="dns_command", required=True)
    commands = {"status": (cmd_status, "publication state of a TLD"),
                "publish": (cmd_publish, "queue every owner (or the parked ones) for publication"),
                "pause": (cmd_pause, "stop publishing a TLD"), "resume": (cmd_pause, "publish a TLD again"),
                "set": (cmd_set, "apex settings of a TLD zone (KEY=VALUE...)"),
                "export": (cmd_export, "export a zone")}
    parsers = {}
    for name, (handler, text) in commands.items():
        parsers[name] = dns_sub.add_parser(name, help=text)
        parsers[name].add_argument("tld")
        parsers[name].set_defaults(handler=handler)
    parsers["set"].add_argument("settings", nargs="*", type=setting, metavar="KEY=VALUE")
    parsers["publish"].add_argument("--parked", action="store_true", help="retry the parked owners only")
    parsers["resume"].add_argument("--accept-deletes", action="store_true",
                                   help="let the batch the delete guard refused through once")
    parsers["export"].add_argument("--czds", required=True, metavar="FILE",
                                   help="CZDS format (Spec 4 section 2.1.4); - for standard output")
