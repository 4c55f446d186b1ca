"""`registry history ...`: an object's past, from the history the registry keeps.

    registry history domain NAME             every transform of the name, oldest first
    registry history domain NAME --at T      the domain as RDAP would have shown it at T (JSON)"""

from __future__ import annotations

import argparse
import json
from typing import Any

from protocols.cli.args import when
from protocols.config import Config


def _changes(before: Any, after: Any) -> str:
    """What a row changed, briefly: the fields whose values differ."""
    if after is None:
        return "(gone)"
    old = before or {}
    changed = [k for k, v in after.items() if old.get(k) != v]
    return ", ".join(f"{k}={json.dumps(after[k], default=str)}" for k in changed)[:300]


async def cmd_history_domain(config: Config, args: argparse.Namespace) -> int:
    from protocols.rdap.past import domain_then
    from protocols.serve.runtime import open_core
    from registry_core.services import timeline

    async with open_core(config) as core:
        if args.at is not None:
            print(json.dumps(domain_then(await timeline.domain_state_at(core, args.name, args.at)), indent=2,
                             ensure_ascii=False))
            return 0
        rows = await timeline.domain_history(core, args.name)
    for row in rows:
        print(f"{row.at.isoformat()}\t{row.action}\t{row.registrar_id or '-'}\t{row.sv_trid}\t"
              f"{_changes(row.before, row.after)}")
    return 0


def add_parser(sub: Any) -> None:
    history = sub.add_parser("history", help="an object's past, from the history").add_subparsers(
        dest="history_command", required=True)
    domain = history.add_parser("domain", help="a domain name's timeline, or its state at a time")
    domain.add_argument("name")
    domain.add_argument("--at", type=when, help="ISO 8601 time (UTC without an offset): the state then")
    domain.set_defaults(handler=cmd_history_domain)
