"""The operator's port: `registry serve | db | tld | registrar | certs | demo | lifecycle |
load-test-data | epp | dns | audit | history | notify | rde | report | abuse`.

This module holds the root parser, logging set-up and the error handling; each command
group is a module of this package with an `add_parser(sub)` and one handler per
sub-command (`set_defaults(handler=...)`), called as `await handler(config, args)`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from protocols.cli import (
    abuse,
    access_request,
    audit,
    bulk,
    certs,
    db,
    demo,
    dns,
    epp,
    history,
    lifecycle,
    lock,
    notify,
    rde,
    registrar,
    report,
    serve,
    tld,
    verification,
)
from protocols.config import Config, ConfigError, load_config
from protocols.serve.logs import setup_logging
from registry_core.errors import CoreError

Handler = Callable[[Config, argparse.Namespace], Coroutine[Any, Any, int]]
COMMAND_GROUPS = (serve, db, tld, registrar, certs, demo, lifecycle, bulk, epp, dns, audit, history, notify, rde,
                  report, abuse, lock, access_request, verification)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="registry", description="Domain registry suite")
    parser.add_argument("--config", type=Path, help="TOML configuration file")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--log-format", choices=["auto", "json", "text"], default="auto",
                        help="log lines: JSON objects, readable text, or (auto) JSON unless on a terminal")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"],
                        help="default: info for serve (a line per command), warning otherwise")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.add_parser(sub)
    return parser


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
