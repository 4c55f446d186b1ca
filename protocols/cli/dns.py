"""`registry dns ...`: publication of the TLD zones.

    registry dns status TLD [--last N]         pending changes, serial, pause, guard, parked owners,
                                               propagation p50/p95/max, each secondary's serial and lag
    registry dns set TLD [KEY=VALUE...]        apex settings (without KEY=VALUE: show them)
    registry dns publish TLD [--parked]        re-publish every owner (or retry the parked ones)
    registry dns publish TLD --zonefile        a full render to Knot's zone file, then zone-reload
    registry dns ds TLD                        the DS records to submit to the root zone
    registry dns reconcile TLD [--fix]         what Knot serves against what it should (AXFR)
    registry dns export TLD --czds FILE        the zone in ICANN CZDS format (- for standard output)
    registry dns pause TLD                     stop publishing the TLD (changes keep queueing)
    registry dns resume TLD [--accept-deletes] publish again; let a batch the delete guard held through

Settings: ttl, soa_ttl, soa_mname, soa_rname, soa_refresh, soa_retry, soa_expire, soa_minimum
(seconds), nameservers and nic_addresses (comma-separated), max_delete_share (0..1) and
delete_floor (the delete guard), records ("owner TYPE rdata; ..." with owner relative to the
TLD, @ for the apex; types A, AAAA, TXT, MX, CAA, SRV; replaces the whole list)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import IO, Any

from protocols.cli.args import setting
from protocols.config import Config
from protocols.dns.zone_text import czds_text
from registry_core.errors import InvalidValue
from registry_core.model.zone import RRset


async def cmd_status(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import dns_propagation, dns_publication

    async with open_core(config) as core:
        state = await dns_publication.zone_status(core, args.tld)
        propagation = await dns_propagation.propagation_status(core, args.tld, args.last)
    for key in ("tld", "serial", "pending", "delegations", "paused", "full_needed", "guard_tripped",
                "last_published_at", "last_error", "last_error_at"):
        print(f"{key:20} {state[key]}")
    for parked in state["parked"]:
        print(f"parked               {parked['owner']}  {parked['parked_at']:%Y-%m-%dT%H:%M:%SZ}  {parked['error']}")
    for line in propagation_lines(propagation):
        print(line)
    return 0


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def propagation_lines(found: dict[str, Any]) -> list[str]:
    """The status lines of the propagation probe: percentiles over the newest changes, then
    each server's last answer and lag."""
    if not found["changes"]:
        return ["propagation          nothing measured yet"]
    where = ("by every secondary" if found["measured_on"] == "secondaries"
             else "by the primary (no [dns] secondaries configured)")
    lines = [f"propagation          last {found['changes']} changes, commit to served {where}: "
             f"p50 {_seconds(found['p50'])}  p95 {_seconds(found['p95'])}  max {_seconds(found['max'])}  "
             f"not served {found['not_served']}"]
    for server in found["servers"]:
        lag = _seconds(server["lag_seconds"]) if server["lag_seconds"] is not None else "not served in time"
        lines.append(f"server               {server['server']}  serial {server['serial'] or 'none'}  lag {lag}  "
                     f"(wanted {server['wanted_serial']}, checked {server['checked_at']:%Y-%m-%dT%H:%M:%SZ})")
    return lines


async def cmd_set(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import dns_zone

    async with open_core(config) as core:
        if args.settings:
            raw = dict(args.settings)
            if "records" in raw:
                raw["records"] = canonical_records(raw["records"])
            settings = await dns_zone.configure_zone(core, args.tld, raw)
        else:
            settings = await dns_zone.zone_settings(core, args.tld)
    for key, value in vars(settings).items():
        separator = "; " if key == "records" else ","
        print(f"{key:18} {separator.join(value) if isinstance(value, tuple) else value}")
    return 0


def canonical_records(text: str) -> str:
    """`records=` entries ("owner TYPE rdata; ...") with the rdata checked and written the way
    dnspython writes it (what a zone transfer gives back); a bad one is a usage error."""
    import dns.exception
    import dns.rdata

    entries = []
    for entry in (e.strip() for e in text.split(";") if e.strip()):
        owner, _, rest = entry.partition(" ")
        rtype, _, rdata = rest.strip().partition(" ")
        try:
            parsed = dns.rdata.from_text("IN", rtype, rdata.strip())
        except (dns.exception.DNSException, ValueError) as exc:
            raise InvalidValue(f"not a {rtype.upper()} record: {exc}", object_type="tld", field="records",
                               value=entry) from None
        entries.append(f"{owner} {rtype.upper()} {parsed.to_text()}")
    return "; ".join(entries)


async def cmd_publish(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import dns_publication

    async with open_core(config) as core:
        if args.zonefile:
            return await _render(config, core, args)
        await dns_publication.request_full_publication(core, args.tld, parked=args.parked)
    what = "parked owners" if args.parked else "every owner"
    print(f"{args.tld}: {what} queued for publication; the running publisher sends them")
    return 0


async def _render(config: Config, core: Any, args: argparse.Namespace) -> int:
    from protocols.dns.knot import KnotError
    from protocols.dns.publishing import knot_control, zonefile_writer
    from protocols.dns.zonefile import ZoneFileError

    try:
        writer = zonefile_writer(config, core, await knot_control(config, core))
        report = await writer.publish(args.tld, accept_deletes=args.accept_deletes)
    except (KnotError, ZoneFileError) as exc:
        print(f"registry: {exc}", file=sys.stderr)
        return 1
    check = "checked by kzonecheck" if report.checked else "kzonecheck not installed, not checked"
    print(f"{args.tld}: {report.delegations} delegations rendered to {report.path} (serial {report.serial}, "
          f"{check}); Knot reloaded it")
    return 0


async def cmd_ds(config: Config, args: argparse.Namespace) -> int:
    from protocols.dns.publishing import knot_control
    from protocols.serve.runtime import open_core

    async with open_core(config) as core:
        knot = await knot_control(config, core)
    for line in await knot.ds_records(args.tld):
        print(line)
    return 0


async def cmd_reconcile(config: Config, args: argparse.Namespace) -> int:
    from protocols.dns.publishing import knot_control
    from protocols.dns.reconcile import reconcile
    from protocols.serve.runtime import open_core

    async with open_core(config) as core:
        knot = await knot_control(config, core)
        changes = await reconcile(core, args.tld, config.dns.host, config.dns.port, knot.settings.transfer_key,
                                  fix=args.fix)
    for change in changes:
        print(f"{change.owner}\tserved {_brief(change.before)}\twanted {_brief(change.after)}")
    verdict = "queued for publication" if args.fix else "run with --fix to correct them"
    print(f"{args.tld}: {len(changes)} owners differ" + (f"; {verdict}" if changes else ""), file=sys.stderr)
    return 1 if changes and not args.fix else 0


def _brief(rrsets: tuple[RRset, ...]) -> str:
    return "; ".join(f"{r.type} {' '.join(r.rdata)}" for r in rrsets) or "nothing"


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
            await export_czds(core, args.tld, sys.stdout, config.dns.nameservers)
            return 0
        path = Path(args.czds)
        temporary = path.with_name(path.name + ".part")
        with temporary.open("w", encoding="ascii", buffering=1 << 20) as out:
            delegations = await export_czds(core, args.tld, out, config.dns.nameservers)
        os.replace(temporary, path)
    print(f"{args.tld}: {delegations} delegations written to {path}", file=sys.stderr)
    return 0


async def export_czds(core: Any, tld: str, out: IO[str], apex_nameservers: tuple[str, ...]) -> int:
    """Stream the zone as CZDS lines (SOA first and last); the number of delegations."""
    from protocols.dns.zonefile import bulk_gc
    from registry_core.services import dns_zone

    soa: list[RRset] = []

    async def sink(rrsets: tuple[RRset, ...]) -> None:
        if not soa:
            soa.append(rrsets[0])
        out.write(czds_text(rrsets))
    with bulk_gc():
        delegations = await dns_zone.stream_zone(core, tld, sink, apex_nameservers=apex_nameservers)
    out.write(czds_text(soa))
    return delegations


# --- parser ------------------------------------------------------------------------------
def add_parser(sub: Any) -> None:
    dns_sub = sub.add_parser("dns", help="DNS publication of the TLD zones").add_subparsers(
        dest="dns_command", required=True)
    commands = {"status": (cmd_status, "publication state of a TLD"),
                "publish": (cmd_publish, "queue every owner (or the parked ones) for publication"),
                "pause": (cmd_pause, "stop publishing a TLD"), "resume": (cmd_pause, "publish a TLD again"),
                "set": (cmd_set, "apex settings of a TLD zone (KEY=VALUE...)"),
                "export": (cmd_export, "export a zone"),
                "ds": (cmd_ds, "the DS records of a TLD's KSK, for the root zone (keymgr)"),
                "reconcile": (cmd_reconcile, "compare what Knot serves with what the registry says")}
    parsers = {}
    for name, (handler, text) in commands.items():
        parsers[name] = dns_sub.add_parser(name, help=text)
        parsers[name].add_argument("tld")
        parsers[name].set_defaults(handler=handler)
    parsers["set"].add_argument("settings", nargs="*", type=setting, metavar="KEY=VALUE")
    parsers["status"].add_argument("--last", type=int, default=1000, metavar="N",
                                   help="propagation figures over the newest N changes (default 1000)")
    parsers["publish"].add_argument("--parked", action="store_true", help="retry the parked owners only")
    parsers["publish"].add_argument("--zonefile", action="store_true",
                                    help="a full render to Knot's zone file and zone-reload (bootstrap, recovery)")
    parsers["publish"].add_argument("--accept-deletes", action="store_true",
                                    help="with --zonefile: render even if the delete guard refuses")
    parsers["reconcile"].add_argument("--fix", action="store_true", help="queue the corrections for publication")
    parsers["resume"].add_argument("--accept-deletes", action="store_true",
                                   help="let the batch the delete guard refused through once")
    parsers["export"].add_argument("--czds", required=True, metavar="FILE",
                                   help="CZDS format (Spec 4 section 2.1.4); - for standard output")
