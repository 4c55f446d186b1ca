"""`registry serve [--workers N]`: the supervisor, or (with --worker) one of its workers."""

from __future__ import annotations

import argparse
from typing import Any

from protocols.cli.args import positive
from protocols.config import Config


async def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve import supervisor, worker

    if args.worker:  # started by the supervisor: the plan (and the config) arrive on stdin
        return await worker.run_worker()
    return await supervisor.supervise(config, args.workers, worker.worker_command(_worker_flags(args)))


def _worker_flags(args: argparse.Namespace) -> list[str]:
    """The root options a worker must share with its supervisor."""
    flags = ["-v"] if args.verbose else []
    if args.log_format:
        flags += ["--log-format", args.log_format]
    if args.log_level:
        flags += ["--log-level", args.log_level]
    return flags


def add_parser(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run EPP, WHOIS and RDAP in the foreground until SIGINT/SIGTERM")
    serve.add_argument("--workers", type=positive, metavar="N",
                       help="worker processes (default: workers.count, or one per CPU core)")
    serve.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # a supervisor's child
    serve.set_defaults(handler=cmd_serve)
