"""`registry abuse ...`: fraud and abuse (create-time checks, threat feeds, cases).

    registry abuse policy TLD [--velocity N] [--window SECONDS] [--entropy BITS] [--verdict flag|hold]
                             [--response-hours N]
    registry abuse protect LABEL...                  protect brand / well-known labels from look-alikes
    registry abuse feed import NAME FILE [--format rpz|list|csv]
    registry abuse match                             open cases for every feed match (serve: daily)
    registry abuse cases [--state STATE]
    registry abuse act CASE triage|notify|hold|transfer-lock|release|note|close --reason TEXT
    registry abuse intake-mail < MESSAGE             one mail to the abuse address (an MTA's pipe transport)

intake-mail exits as a pipe transport expects (sysexits.h): 0 taken, 65 (EX_DATAERR) refused
(too large, unreadable, or naming no domain registered here: the MTA bounces it to the
sender), 75 (EX_TEMPFAIL) the database is unavailable (the MTA tries again later)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from protocols.cli.args import positive
from protocols.config import Config
from registry_core.model.abuse_case import ACTIONS

OPERATOR = ("operator", 0, "cli", "admin", None)  # the CLI acts as a registry admin
EX_DATAERR, EX_TEMPFAIL = 65, 75  # sysexits.h, what MTAs' pipe transports read


def _format_of(path: Path, given: str | None) -> str:
    if given:
        return given
    return {".rpz": "rpz", ".zone": "rpz", ".csv": "csv"}.get(path.suffix.lower(), "list")


async def cmd_policy(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import risk

    settings: dict[str, Any] = {k: v for k, v in (("velocity_limit", args.velocity), ("verdict", args.verdict),
                                                   ("entropy_threshold", args.entropy),
                                                   ("abuse_response_hours", args.response_hours)) if v is not None}
    if args.window is not None:
        settings["velocity_window"] = timedelta(seconds=args.window)
    async with open_core(config) as core:
        policy = await risk.set_policy(core, args.tld, **settings)
    print(json.dumps(policy, default=str, sort_keys=True))
    return 0


async def cmd_protect(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import risk

    async with open_core(config) as core:
        count = await risk.protect_names(core, args.labels)
    print(f"{count} names protected")
    return 0


async def cmd_feed_import(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import abuse

    text = await asyncio.to_thread(args.file.read_text, "utf-8", "replace")
    async with open_core(config) as core:
        count = await abuse.import_feed(core, args.name, str(args.file), text, _format_of(args.file, args.format))
    print(f"feed {args.name}: {count} entries")
    return 0


async def cmd_match(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import abuse

    async with open_core(config) as core:
        opened = await abuse.match_feeds(core)
    print(f"{len(opened)} cases opened" + (f": {', '.join(map(str, opened))}" if opened else ""))
    return 0


def _case_line(case: dict[str, Any]) -> str:
    return "\t".join(str(case[k] or "-") for k in ("id", "state", "domain_name", "source", "threat_type",
                                                    "registrar_id", "opened_at", "due_at"))


async def cmd_cases(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import abuse

    async with open_core(config) as core:
        for case in await abuse.list_cases(core, args.state):
            print(_case_line(case))
    return 0


async def cmd_act(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.model.accounts import Principal
    from registry_core.services import abuse

    async with open_core(config) as core:
        case = await abuse.act_on_case(core, Principal(*OPERATOR), args.case, args.action, args.reason,
                                       response_window=timedelta(hours=config.abuse.response_hours))
    print(_case_line(case))
    return 0


def _stdin_bytes(limit: int) -> bytes:
    source = getattr(sys.stdin, "buffer", sys.stdin)
    data = source.read(limit + 1)
    return data.encode("utf-8", "replace") if isinstance(data, str) else bytes(data)


async def cmd_intake_mail(config: Config, args: argparse.Namespace) -> int:
    from protocols.mail.intake import UnreadableMail, read_mail
    from protocols.serve.runtime import open_core
    from registry_core.errors import DatabaseUnavailable, InvalidValue
    from registry_core.model.abuse_case import mentioned_names
    from registry_core.services.abuse_reports import AbuseReport, receive_report

    data = await asyncio.to_thread(_stdin_bytes, config.abuse.max_mail_bytes)
    if len(data) > config.abuse.max_mail_bytes:
        print(f"abuse report refused: the message is larger than {config.abuse.max_mail_bytes} bytes", file=sys.stderr)
        return EX_DATAERR
    try:
        mail = read_mail(data)
    except UnreadableMail as exc:
        print(f"abuse report refused: {exc}", file=sys.stderr)
        return EX_DATAERR
    names = tuple(mentioned_names(f"{mail.subject}\n{mail.text}"))
    report = AbuseReport("email", mail.reporter, mail.threat, mail.report_text, names, client=mail.message_id,
                         acknowledge=not mail.automatic)
    try:
        async with open_core(config) as core:
            intake = await receive_report(core, report)
    except (DatabaseUnavailable, OSError) as exc:  # no database now: the MTA keeps the mail and retries
        print(f"abuse report deferred: {exc}", file=sys.stderr)
        return EX_TEMPFAIL
    except InvalidValue as exc:
        print(f"abuse report refused: {exc.detail}", file=sys.stderr)
        return EX_DATAERR
    for domain, case_id in intake.cases:
        print(f"{case_id}\t{domain}")
    return 0


def add_parser(sub: Any) -> None:
    group = sub.add_parser("abuse", help="fraud and abuse: checks, feeds, cases").add_subparsers(
        dest="abuse_command", required=True)
    policy = group.add_parser("policy", help="a TLD's create-time risk checks")
    policy.add_argument("tld")
    policy.add_argument("--velocity", type=int, help="creates per registrar and window (0: off)")
    policy.add_argument("--window", type=positive, help="the velocity window in seconds")
    policy.add_argument("--entropy", type=float, help="bits per character of a machine-made label (0: off)")
    policy.add_argument("--verdict", choices=["flag", "hold"])
    policy.add_argument("--response-hours", type=positive, help="a notified sponsor's deadline ([abuse] default)")
    policy.set_defaults(handler=cmd_policy)
    protect = group.add_parser("protect", help="protect labels from look-alikes")
    protect.add_argument("labels", nargs="+")
    protect.set_defaults(handler=cmd_protect)
    feed = group.add_parser("feed", help="threat feeds").add_subparsers(dest="feed_command", required=True)
    imported = feed.add_parser("import", help="replace a feed's entries with a file's")
    imported.add_argument("name")
    imported.add_argument("file", type=Path)
    imported.add_argument("--format", choices=["rpz", "list", "csv"], help="default: by the file's suffix")
    imported.set_defaults(handler=cmd_feed_import)
    group.add_parser("match", help="open cases for the feeds' matches").set_defaults(handler=cmd_match)
    cases = group.add_parser("cases", help="abuse cases, newest first")
    cases.add_argument("--state", choices=["new", "triaged", "registrar-notified", "action-taken", "closed"])
    cases.set_defaults(handler=cmd_cases)
    act = group.add_parser("act", help="act on a case (audited)")
    act.add_argument("case", type=positive)
    act.add_argument("action", choices=list(ACTIONS))
    act.add_argument("--reason", required=True)
    act.set_defaults(handler=cmd_act)
    group.add_parser("intake-mail", help="read one mail to the abuse address on stdin; open its cases").set_defaults(
        handler=cmd_intake_mail)
