"""`registry audit ...`: the tamper-evident history.

    registry audit verify [--since T]   walk the hash chains and the signed checkpoints; name the
                                        first broken link (exit 1 when anything is wrong)
    registry audit verify --head FILE   check a head file kept outside (the escrow agent's copy
                                        beside each deposit) against the chains
    registry audit checkpoint           sign every chain's head now (serve does it daily)
    registry audit key                  the public key that checks the checkpoints (base64)"""

from __future__ import annotations

import argparse
import asyncio
import base64
from pathlib import Path
from typing import Any

from protocols.cli.args import when
from protocols.config import Config


async def cmd_verify(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.checkpoints import audit_signer, trusted_keys
    from protocols.serve.runtime import open_core
    from registry_core.services import audit

    trusted = trusted_keys(config, audit_signer(config))
    if args.head is not None:
        data = await asyncio.to_thread(args.head.read_bytes)
        async with open_core(config) as core:
            problems = await audit.verify_head_file(core, trusted, data)
        for problem in problems:
            print(f"head file problem     {problem}")
        print("the history holds the head file's rows" if not problems else "TAMPERED")
        return 1 if problems else 0
    async with open_core(config) as core:
        report = await audit.verify_history(core, trusted, args.since)
    print(f"history rows checked  {report.rows}")
    print(f"checkpoints checked   {report.checkpoints}")
    if report.unchained:
        print(f"not chained           {report.unchained} (written before the chains began)")
    if report.first_break is not None:
        found = report.first_break
        where = f"history id {found.history_id}" if found.history_id is not None else "after its last row"
        print(f"first broken link     lane {found.lane} row {found.seq} ({where}): {found.problem}")
    for problem in report.checkpoint_problems:
        print(f"checkpoint problem    {problem}")
    print("intact" if report.intact else "TAMPERED")
    return 0 if report.intact else 1


async def cmd_checkpoint(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.checkpoints import audit_signer
    from protocols.serve.runtime import open_core
    from registry_core.services import audit

    signer = audit_signer(config)
    async with open_core(config) as core:
        checkpoint = await audit.write_checkpoint(core, signer)
    print(f"checkpoint {checkpoint.id} at {checkpoint.at:%Y-%m-%dT%H:%M:%S}Z: {checkpoint.rows} rows, "
          f"root {checkpoint.root.hex()}")
    return 0


async def cmd_key(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.checkpoints import audit_signer

    print(base64.b64encode(audit_signer(config).public_key).decode())
    return 0


def add_parser(sub: Any) -> None:
    audit_sub = sub.add_parser("audit", help="the tamper-evident history").add_subparsers(
        dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="check the hash chains and the signed checkpoints")
    verify.add_argument("--since", type=when, help="only the rows written from this time (ISO 8601)")
    verify.add_argument("--head", type=Path, metavar="FILE",
                        help="check this head file (the .audit.json beside a deposit) instead")
    verify.set_defaults(handler=cmd_verify)
    audit_sub.add_parser("checkpoint", help="sign every chain's head now").set_defaults(handler=cmd_checkpoint)
    audit_sub.add_parser("key", help="print the public key of the checkpoints").set_defaults(handler=cmd_key)
