"""`registry lifecycle run [--at TIME] [--batch N]`: apply every due lifecycle transition once.

Auto-renewal, expiry, the end of redemption, purge and transfer auto-approval, as the
lifecycle runner (registry_core/services/lifecycle.py) finds them due at TIME (default now).
The runner is idempotent, so a cron job may call this as often as it likes; the exit status
is 1 when any candidate failed.
"""

from __future__ import annotations

import argparse
from typing import Any

from protocols.cli.args import when
from protocols.config import Config


async def cmd_lifecycle_run(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services.lifecycle import run_lifecycle

    async with open_core(config) as core:
        report = await run_lifecycle(core, args.at, batch=args.batch)
    for key, value in vars(report).items():
        print(f"{key:20} {value}")
    return 1 if report.failed else 0


def add_parser(sub: Any) -> None:
    lc_sub = sub.add_parser("lifecycle", help="domain lifecycle runner").add_subparsers(dest="lifecycle_command",
                                                                                        required=True)
    run = lc_sub.add_parser("run", help="apply every due transition once (auto-renew, expiry, "
                                        "redemption, purge, transfer auto-approval)")
    run.add_argument("--at", type=when, help="act as if it were TIME (ISO 8601, UTC without an offset; default now)")
    run.add_argument("--batch", type=int, default=500, help="candidates read at a time")
    run.set_defaults(handler=cmd_lifecycle_run)
