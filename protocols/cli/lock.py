"""`registry lock ...`: domains under registry lock and the lock and unlock requests.

    registry lock list                       locked domains (name, registrar, since)
    registry lock requests [--domain NAME]   lock and unlock requests, newest first
"""

from __future__ import annotations

import argparse
from typing import Any

from protocols.cli.operator import shell_operator
from protocols.config import Config


async def cmd_lock_list(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import registry_lock

    async with open_core(config) as core:
        for locked in await registry_lock.list_locked(core, shell_operator()):
            print(f"{locked.domain}\t{locked.registrar_id}\t{locked.locked_at:%Y-%m-%dT%H:%M:%SZ}")
    return 0


async def cmd_lock_requests(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import registry_lock

    async with open_core(config) as core:
        for r in await registry_lock.list_lock_requests(core, shell_operator(), args.domain):
            print(f"{r.id}\t{r.domain}\t{r.action}\t{r.state}\t{r.registrar_id}\t{r.requested_by}\t"
                  f"{r.requested_at:%Y-%m-%dT%H:%M:%SZ}\t{r.reason}")
    return 0


def add_parser(sub: Any) -> None:
    lock_sub = sub.add_parser("lock", help="registry lock").add_subparsers(dest="lock_command", required=True)
    lock_sub.add_parser("list", help="locked domains").set_defaults(handler=cmd_lock_list)
    requests = lock_sub.add_parser("requests", help="lock and unlock requests")
    requests.add_argument("--domain")
    requests.set_defaults(handler=cmd_lock_requests)
