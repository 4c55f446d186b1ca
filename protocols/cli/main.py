"""The operator's port: `registry serve | db | tld | registrar | certs | demo | epp`."""

from __future__ import annotations

import argparse
import asyncio
import csv
import getpass
import logging
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from protocols.cli.bulk import add_bulk_parser
from protocols.cli.lifecycle import add_lifecycle_parser, add_registrar_pricing_commands, add_tld_pricing_commands
from protocols.config import Config, ConfigError, load_config
from protocols.serve.logs import setup_logging
from registry_core.errors import CoreError

Handler = Callable[[Config, argparse.Namespace], Coroutine[Any, Any, int]]


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from exc


def _price(text: str) -> tuple[str, Decimal]:
    action, _, amount = text.partition("=")
    if not amount:
        raise argparse.ArgumentTypeError("prices are ACTION=AMOUNT, e.g. create=10.00")
    return action, _decimal(amount)


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("settings are KEY=VALUE")
    return key.replace("-", "_"), value


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text}") from exc


def _parse_setting_value(value: str) -> Any:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(value)
    except ValueError:
        return value


# --- handlers ----------------------------------------------------------------------------
async def cmd_migrate(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core

    async with open_core(config):
        print("database schema is up to date")
    return 0


async def cmd_tld(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import tlds

    async with open_core(config) as core:
        if args.tld_command == "add":
            settings = {k: _parse_setting_value(v) for k, v in args.set or []}
            if args.contact_policy:
                settings["contact_policy"] = args.contact_policy
            tld = await tlds.add_tld(core, args.name, roid_suffix=args.roid_suffix,
                                     prices=dict(args.price or []), **settings)
            _print_tld(tld)
        elif args.tld_command == "set":
            settings = {k: _parse_setting_value(v) for k, v in args.set or []}
            _print_tld(await tlds.configure_tld(core, args.name, prices=dict(args.price or []), **settings))
        elif args.tld_command == "list":
            for tld in await tlds.list_tlds(core):
                print(f"{tld.name}\t{tld.contact_policy}\t{tld.currency}")
        else:
            _print_tld(await tlds.get_tld(core, args.name))
    return 0


def _print_tld(tld: Any) -> None:
    for key, value in vars(tld).items():
        if key == "prices":
            value = ", ".join(f"{a}={p}" for a, p in sorted(value.items())) or "(free)"
        print(f"{key:28} {value}")


def _password(args: argparse.Namespace) -> str:
    if args.password:
        return str(args.password)
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("password: ")


async def cmd_registrar(config: Config, args: argparse.Namespace) -> int:
    from protocols.net.tls import certificate_fingerprint
    from protocols.serve.runtime import open_core
    from registry_core.services import registrars

    async with open_core(config) as core:
        sub = args.registrar_command
        if sub == "add":
            new = registrars.NewRegistrar(
                args.id, args.name or args.id, _password(args), iana_id=args.iana_id,
                credit_limit=args.credit_limit, email=args.email, url=args.url, abuse_email=args.abuse_email,
                abuse_phone=args.abuse_phone, whois_server=args.whois_server,
                ip_allowlist=tuple(args.allow_ip or ()))
            _print_registrar(await registrars.add_registrar(core, new))
        elif sub == "list":
            for r in await registrars.list_registrars(core):
                print(f"{r.id}\t{r.iana_id or '-'}\t{r.status}\t{r.balance} {r.currency}\t{r.name}")
        elif sub == "show":
            _print_registrar(await registrars.get_registrar(core, args.id))
        elif sub == "set-password":
            await registrars.update_registrar(core, args.id, password=_password(args))
            print(f"password changed for {args.id}")
        elif sub == "add-cert":
            fingerprint = args.sha256 or certificate_fingerprint(Path(args.pem))
            await registrars.add_certificate(core, args.id, fingerprint)
            print(f"pinned {fingerprint} to {args.id}")
        elif sub == "credit":
            balance = await registrars.credit_registrar(core, args.id, args.amount, args.description,
                                                        f"cli-credit-{datetime.now().strftime('%Y%m%d%H%M%S')}")
            print(f"balance of {args.id}: {balance}")
        else:
            rows = await registrars.statement(core, args.id, args.start, args.end)
            _print_statement(rows, args.csv)
    return 0


def _print_registrar(r: Any) -> None:
    for key, value in vars(r).items():
        print(f"{key:14} {', '.join(value) if isinstance(value, tuple) else value}")


def _print_statement(rows: list[dict[str, Any]], as_csv: bool) -> None:
    columns = ["id", "at", "action", "object_name", "period_years", "amount", "balance_after", "currency",
               "sv_trid", "description"]
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([[row[c] for c in columns] for row in rows])
        return
    for row in rows:
        print(f"{row['at']:%Y-%m-%d %H:%M:%S}  {row['action']:10} {row['object_name'] or '':30} "
              f"{row['amount']:>12} {row['balance_after']:>12} {row['currency']}  {row['sv_trid']}")


async def cmd_certs(config: Config, args: argparse.Namespace) -> int:
    from protocols.cli.certs import init_dev_certs

    issued = init_dev_certs(Path(args.dir or config.paths.certs), args.registrar or ["demo", "rival"],
                            force=args.force)
    print(f"development certificates in {issued.directory}")
    for rid, fingerprint in issued.fingerprints.items():
        print(f"  {rid:12} sha256 {fingerprint}")
    return 0


async def cmd_demo(config: Config, args: argparse.Namespace) -> int:
    from protocols.cli.demo import create_demo
    from protocols.serve.runtime import open_core

    async with open_core(config) as core:
        done = await create_demo(core, Path(config.paths.certs))
    print("demo data: " + (", ".join(done) if done else "already present"))
    return 0


async def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve import supervisor, worker

    if args.worker:  # started by the supervisor: the plan (and the config) arrive on stdin
        return await worker.run_worker()
    flags = ["-v"] if args.verbose else []
    if getattr(args, "log_format", None):
        flags += ["--log-format", args.log_format]
    if getattr(args, "log_level", None):
        flags += ["--log-level", args.log_level]
    return await supervisor.supervise(config, args.workers, worker.worker_command(flags))


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


# --- parser ------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="registry", description="Domain registry suite")
    parser.add_argument("--config", type=Path, help="TOML configuration file")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--log-format", choices=["auto", "json", "text"], default="auto",
                        help="log lines: JSON objects, readable text, or (auto) JSON unless on a terminal")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"],
                        help="default: info for serve (a line per command), warning otherwise")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run EPP, WHOIS and RDAP in the foreground until SIGINT/SIGTERM")
    serve.add_argument("--workers", type=_positive, metavar="N",
                       help="worker processes (default: workers.count, or one per CPU core)")
    serve.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # a supervisor's child
    serve.set_defaults(handler=cmd_serve)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("migrate", help="apply pending migrations").set_defaults(handler=cmd_migrate)

    _tld_parser(sub)
    _registrar_parser(sub)

    certs = sub.add_parser("certs", help="development certificates")
    certs_sub = certs.add_subparsers(dest="certs_command", required=True)
    init = certs_sub.add_parser("init", help="create the dev CA, server and registrar certificates")
    init.add_argument("--dir", help="output directory (default: paths.certs)")
    init.add_argument("--registrar", action="append", help="registrar id (repeatable)")
    init.add_argument("--force", action="store_true", help="issue everything again")
    init.set_defaults(handler=cmd_certs)

    sub.add_parser("demo", help="create the demo TLD and registrars").set_defaults(handler=cmd_demo)
    add_lifecycle_parser(sub)
    add_bulk_parser(sub)
    _epp_parser(sub)
    return parser


def _tld_parser(sub: Any) -> None:
    tld = sub.add_parser("tld", help="top-level domains")
    tld_sub = tld.add_subparsers(dest="tld_command", required=True)
    add = tld_sub.add_parser("add", help="add a TLD")
    add.add_argument("name")
    add.add_argument("--roid-suffix")
    add.add_argument("--contact-policy", choices=["required", "optional", "none"])
    for p in (add, tld_sub.add_parser("set", help="change a TLD's policy or prices")):
        if p is not add:
            p.add_argument("name")
        p.add_argument("--price", type=_price, action="append", help="ACTION=AMOUNT per year")
        p.add_argument("--set", type=_setting, action="append", help="policy KEY=VALUE (days for periods)")
        p.set_defaults(handler=cmd_tld)
    tld_sub.add_parser("list").set_defaults(handler=cmd_tld)
    show = tld_sub.add_parser("show")
    show.add_argument("name")
    show.set_defaults(handler=cmd_tld)
    add_tld_pricing_commands(tld_sub)


def _registrar_parser(sub: Any) -> None:
    reg = sub.add_parser("registrar", help="registrar accounts")
    rs = reg.add_subparsers(dest="registrar_command", required=True)
    add = rs.add_parser("add")
    add.add_argument("id")
    add.add_argument("--name")
    add.add_argument("--password", help="(prompted or read from stdin when omitted)")
    add.add_argument("--iana-id", type=int)
    add.add_argument("--credit-limit", type=_decimal, default=Decimal(0))
    for opt in ("--email", "--url", "--abuse-email", "--abuse-phone", "--whois-server"):
        add.add_argument(opt)
    add.add_argument("--allow-ip", action="append", help="address or network allowed to log in (repeatable)")
    rs.add_parser("list")
    for name in ("show", "set-password", "add-cert", "credit", "statement"):
        p = rs.add_parser(name)
        p.add_argument("id")
        if name == "set-password":
            p.add_argument("--password")
        elif name == "add-cert":
            group = p.add_mutually_exclusive_group(required=True)
            group.add_argument("--pem", help="client certificate file")
            group.add_argument("--sha256", help="certificate fingerprint")
        elif name == "credit":
            p.add_argument("amount", type=_decimal)
            p.add_argument("--description", default="funds received")
        elif name == "statement":
            p.add_argument("--from", dest="start", type=_when)
            p.add_argument("--to", dest="end", type=_when)
            p.add_argument("--csv", action="store_true")
    for p in rs.choices.values():
        p.set_defaults(handler=cmd_registrar)
    add_registrar_pricing_commands(rs)


def _epp_parser(sub: Any) -> None:
    try:
        from protocols.cli.epp import add_epp_parser
    except ImportError:
        return
    add_epp_parser(sub)


def _log_level(args: argparse.Namespace) -> int:
    if args.log_level:
        return int(getattr(logging, args.log_level.upper()))
    return logging.INFO if args.verbose or args.command == "serve" else logging.WARNING


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # servers log to stdout (one line per command); other commands keep stdout for their output
    setup_logging(args.verbose, {"json": True, "text": False}.get(args.log_format),
                  level=_log_level(args),
                  stream=sys.stdout if args.command == "serve" else sys.stderr)
    try:
        config = load_config(args.config)
        handler: Handler = args.handler
        if args.command == "serve":
            import uvloop

            return uvloop.run(handler(config, args))
        return asyncio.run(handler(config, args))
    except ConfigError as exc:
        print(f"registry: configuration error: {exc}", file=sys.stderr)
        return 2
    except CoreError as exc:
        where = " ".join(x for x in (exc.object_type, exc.name, exc.field, exc.value) if x)
        print(f"registry: {exc.__class__.__name__}: {exc.detail or exc}" + (f" ({where})" if where else ""),
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
