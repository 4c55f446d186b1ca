"""`registry notify ...`: the notification outbox.

    registry notify run                       a dispatcher in the foreground (until SIGTERM/SIGINT)
    registry notify status                    deliveries per channel and status, the oldest waiting
    registry notify list [--status S] [--registrar ID | --operator] [--limit N]
    registry notify show ID                   one delivery with its event
    registry notify retry ID                  a failed or dead delivery, again now
    registry notify replay --since TIME [--unsent]   e-mail and webhook deliveries since TIME, again
    registry notify webhook add|list|rotate|remove ...   the operator's endpoints (protocols/cli/notify_prefs.py)
    registry notify prefs [--event TYPE] [--email ADDR ...] [--webhook N ...]   the operator's channels
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import Any

from protocols.cli import args as arg_types
from protocols.cli import notify_prefs
from protocols.cli.args import positive, when
from protocols.config import Config


async def cmd_notify_run(config: Config, args: argparse.Namespace) -> int:
    from protocols.notify.running import start_dispatcher
    from protocols.serve.runtime import open_core

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_core(config) as core:
        dispatcher = await start_dispatcher(config, core)
        if dispatcher is None:
            print("registry: nothing to run: [notify] enabled is off, or no channel is installed", file=sys.stderr)
            return 2
        print("dispatching; channels: " + (", ".join(sorted(dispatcher.channels)) or "none"), flush=True)
        await stop.wait()
        await dispatcher.stop(config.notify.delivery_timeout)
    return 0


async def cmd_notify_status(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import notifications

    async with open_core(config) as core:
        status = await notifications.outbox_status(core)
    for key, count in sorted(status.counts.items()):
        print(f"{key:20} {count}")
    print(f"{'oldest waiting':20} {status.oldest_queued_seconds:.0f} s")
    return 0


def _line(row: dict[str, Any]) -> str:
    when_ = row["sent_at"] or row["next_attempt_at"]
    return (f"{row['id']}\t{row['status']}\t{row['channel']}\t{row['target']}\t{row['type']}\t"
            f"{row['audience']}\t{row['object_name'] or '-'}\t{row['attempts']}\t{when_:%Y-%m-%d %H:%M:%S}")


async def cmd_notify_list(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import notifications

    audience = "operator" if args.operator else (f"registrar:{args.registrar}" if args.registrar else None)
    async with open_core(config) as core:
        rows = await notifications.list_notifications(core, args.status, audience, args.limit)
    for row in rows:
        print(_line(row))
    return 0


async def cmd_notify_show(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import notifications

    async with open_core(config) as core:
        row = await notifications.show_notification(core, args.id)
    for key, value in row.items():
        shown = json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict) else value
        print(f"{key:16} {shown}")
    return 0


async def cmd_notify_retry(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import notifications

    async with open_core(config) as core:
        await notifications.retry_notification(core, args.id)
    print(f"notification {args.id} queued again")
    return 0


async def cmd_notify_replay(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import notifications

    async with open_core(config) as core:
        count = await notifications.replay_notifications(core, args.since, include_sent=not args.unsent)
    print(f"{count} notifications queued again")
    return 0


async def cmd_notify_prune(config: Config, args: argparse.Namespace) -> int:
    from datetime import timedelta

    from protocols.serve.runtime import open_core
    from registry_core.services import notifications

    days = config.notify.keep_days if args.keep_days is None else args.keep_days
    async with open_core(config) as core:
        count = await notifications.prune_notifications(core, timedelta(days=days))
    print(f"{count} finished notification events older than {days} days deleted")
    return 0


def add_parser(sub: Any) -> None:
    ns = sub.add_parser("notify", help="the notification outbox").add_subparsers(dest="notify_command",
                                                                                  required=True)
    ns.add_parser("run", help="run a dispatcher in the foreground").set_defaults(handler=cmd_notify_run)
    ns.add_parser("status", help="deliveries per channel and status").set_defaults(handler=cmd_notify_status)
    listing = ns.add_parser("list", help="recent deliveries, newest first")
    listing.add_argument("--status", choices=["queued", "sent", "failed", "dead"])
    who = listing.add_mutually_exclusive_group()
    who.add_argument("--registrar", help="only this registrar's")
    who.add_argument("--operator", action="store_true", help="only the operator's")
    listing.add_argument("--limit", type=positive, default=50)
    listing.set_defaults(handler=cmd_notify_list)
    for name, handler, text in (("show", cmd_notify_show, "one delivery and its event"),
                                ("retry", cmd_notify_retry, "queue a failed or dead delivery again")):
        one = ns.add_parser(name, help=text)
        one.add_argument("id", type=positive)
        one.set_defaults(handler=handler)
    replay = ns.add_parser("replay", help="queue e-mail and webhook deliveries since a time again (same ids)")
    replay.add_argument("--since", type=when, required=True, help="ISO 8601 time (UTC without an offset)")
    replay.add_argument("--unsent", action="store_true", help="only failed and dead ones")
    replay.set_defaults(handler=cmd_notify_replay)
    prune = ns.add_parser("prune", help="delete finished notifications (all sent or dead) older than N days")
    prune.add_argument("--keep-days", type=arg_types.count, help="days to keep (default: [notify] keep_days)")
    prune.set_defaults(handler=cmd_notify_prune)
    notify_prefs.add_webhook_parser(ns, with_registrar=False)  # the operator's
    notify_prefs.add_prefs_parser(ns, "prefs", with_registrar=False)
