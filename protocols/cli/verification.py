"""`registry verification ...`: registrant verification (NIS2 Art. 28).

    registry verification list [--state S]          registry verification show HANDLE
    registry verification request HANDLE --method email|document
    registry verification confirm HANDLE CODE       (the code mailed to the contact)
    registry verification review HANDLE (--approve --field F... | --reject) --note TEXT
"""

from __future__ import annotations

import argparse
from typing import Any

from protocols.cli.operator import ORIGIN, shell_operator
from protocols.config import Config
from registry_core.model.verification import FIELDS, METHODS, STATES


def _print(v: Any) -> None:
    decided = f"\t{v.decided_by} {v.decided_at:%Y-%m-%dT%H:%M:%SZ}" if v.decided_at else ""
    print(f"{v.handle}\t{v.state}\t{v.method or '-'}\t{','.join(v.fields) or '-'}{decided}")


async def cmd_list(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import registrant_verification as verification

    async with open_core(config) as core:
        for v in await verification.list_verifications(core, shell_operator(), args.state):
            _print(v)
    return 0


async def cmd_show(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import registrant_verification as verification

    async with open_core(config) as core:
        _print(await verification.get_verification(core, shell_operator(), args.handle))
    return 0


async def cmd_request(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import registrant_verification as verification

    async with open_core(config) as core:
        _print(await verification.request_verification(core, shell_operator(), args.handle, args.method, ORIGIN))
    return 0


async def cmd_confirm(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import registrant_verification as verification

    async with open_core(config) as core:
        _print(await verification.confirm_email(core, args.handle, args.code, ORIGIN))
    return 0


async def cmd_review(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import registrant_verification as verification

    async with open_core(config) as core:
        _print(await verification.review_document(core, shell_operator(), args.handle, args.approve,
                                                  args.field or [], args.note, ORIGIN))
    return 0


def add_parser(sub: Any) -> None:
    v_sub = sub.add_parser("verification", help="registrant verification").add_subparsers(
        dest="verification_command", required=True)
    listing = v_sub.add_parser("list", help="verifications, newest request first")
    listing.add_argument("--state", choices=STATES)
    listing.set_defaults(handler=cmd_list)
    for name, handler in (("show", cmd_show), ("request", cmd_request), ("confirm", cmd_confirm),
                          ("review", cmd_review)):
        p = v_sub.add_parser(name)
        p.add_argument("handle")
        p.set_defaults(handler=handler)
        if name == "request":
            p.add_argument("--method", required=True, choices=METHODS)
        if name == "confirm":
            p.add_argument("code")
        if name == "review":
            verdict = p.add_mutually_exclusive_group(required=True)
            verdict.add_argument("--approve", action="store_true")
            verdict.add_argument("--reject", action="store_true")
            p.add_argument("--field", action="append", choices=FIELDS)
            p.add_argument("--note", required=True)
