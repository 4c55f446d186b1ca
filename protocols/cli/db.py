"""`registry db migrate`: database maintenance."""

from __future__ import annotations

import argparse
from typing import Any

from protocols.config import Config


async def cmd_db_migrate(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core

    async with open_core(config):  # opening the core applies pending migrations
        print("database schema is up to date")
    return 0


def add_parser(sub: Any) -> None:
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("migrate", help="apply pending migrations").set_defaults(handler=cmd_db_migrate)
