"""`registry access-request ...`: requests for redacted registration data (NIS2 Art. 28(5)),
answered within 72 hours.

    registry access-request add DOMAIN --requester WHO --email ADDR --purpose TEXT --field F...
    registry access-request list [--overdue]
    registry access-request decide ID --decision granted|partial|refused [--disclose F...] --reason TEXT
"""

from __future__ import annotations

import argparse
from typing import Any

from protocols.cli.operator import ORIGIN, shell_operator
from protocols.config import Config
from registry_core.model.access_request import DECISIONS, REDACTED_FIELDS


def _print(r: Any) -> None:
    state = "OVERDUE" if r.overdue else (r.decision or "open")
    decided = f"\t{r.decided_by}\t{','.join(r.fields_disclosed) or '-'}" if r.decision else ""
    print(f"{r.id}\t{r.domain}\t{state}\treceived {r.received_at:%Y-%m-%dT%H:%M:%SZ}\t"
          f"due {r.due_at:%Y-%m-%dT%H:%M:%SZ}\t{r.requester}\t{','.join(r.fields_requested)}{decided}")


async def cmd_add(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import access_requests

    async with open_core(config) as core:
        _print(await access_requests.receive_access_request(core, shell_operator(), args.domain, args.requester,
                                                            args.email, args.purpose, args.field, ORIGIN))
    return 0


async def cmd_list(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import access_requests

    async with open_core(config) as core:
        for r in await access_requests.list_access_requests(core, shell_operator(), overdue_only=args.overdue):
            _print(r)
    return 0


async def cmd_decide(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import access_requests

    async with open_core(config) as core:
        _print(await access_requests.decide_access_request(core, shell_operator(), args.id, args.decision,
                                                           args.disclose or [], args.reason, ORIGIN))
    return 0


def add_parser(sub: Any) -> None:
    group = sub.add_parser("access-request", help="requests for redacted registration data (72 h)")
    ar_sub = group.add_subparsers(dest="access_request_command", required=True)
    add = ar_sub.add_parser("add", help="record a request as received now")
    add.add_argument("domain")
    add.add_argument("--requester", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--purpose", required=True)
    add.add_argument("--field", action="append", required=True, choices=REDACTED_FIELDS)
    add.set_defaults(handler=cmd_add)
    listing = ar_sub.add_parser("list", help="requests, open ones first")
    listing.add_argument("--overdue", action="store_true", help="only open requests past their due time")
    listing.set_defaults(handler=cmd_list)
    decide = ar_sub.add_parser("decide", help="answer a request")
    decide.add_argument("id", type=int)
    decide.add_argument("--decision", required=True, choices=DECISIONS)
    decide.add_argument("--disclose", action="append", choices=REDACTED_FIELDS)
    decide.add_argument("--reason", required=True)
    decide.set_defaults(handler=cmd_decide)
