"""Who hears what, for a registrar (`registry registrar webhook|notify-prefs ID ...`) or
the operator (`registry notify webhook|prefs ...`, without ID):

    webhook add [ID] URL [--allow-http]     prints the endpoint id and its secret (once)
    webhook list [ID]
    webhook rotate [ID] ENDPOINT [--overlap HOURS]   a new secret; the old one valid HOURS more
    webhook remove [ID] ENDPOINT
    notify-prefs ID [--event TYPE] [--email ADDR ... | --no-email | --default-email]
                    [--webhook N ... | --no-webhook | --all-webhooks] [--reset]
                    [--low-balance AMOUNT | --no-low-balance]

Without a change, notify-prefs lists the preferences. TYPE is an event type (domain.created,
domain.transfer_requested, registrar.balance_low, ...) or `*` (the default of every type
without its own row). EPP poll messages are not a preference: they are always queued.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from protocols.cli.args import decimal, positive
from protocols.config import Config


def _audience(args: argparse.Namespace) -> str:
    registrar_id = getattr(args, "id", None)
    return f"registrar:{registrar_id}" if registrar_id else "operator"


async def cmd_webhook_add(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import notify_prefs

    async with open_core(config) as core:
        endpoint_id, secret = await notify_prefs.add_webhook(core, _audience(args), args.url,
                                                             allow_http=args.allow_http)
    print(f"endpoint {endpoint_id}\nsecret   {secret}\n(the secret is shown once; give it to the receiver)")
    return 0


async def cmd_webhook_list(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import notify_prefs

    async with open_core(config) as core:
        for e in await notify_prefs.list_webhooks(core, _audience(args)):
            rollover = f"\tprevious secret valid until {e.previous_valid_until:%Y-%m-%d %H:%M}Z" \
                if e.previous_valid_until else ""
            print(f"{e.id}\t{e.url}\tadded {e.created_at:%Y-%m-%d}{rollover}")
    return 0


async def cmd_webhook_rotate(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import notify_prefs

    async with open_core(config) as core:
        secret = await notify_prefs.rotate_webhook(core, _audience(args), args.endpoint,
                                                   timedelta(hours=args.overlap))
    print(f"secret   {secret}\n(the previous secret stays valid for {args.overlap} hours)")
    return 0


async def cmd_webhook_remove(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import notify_prefs

    async with open_core(config) as core:
        await notify_prefs.remove_webhook(core, _audience(args), args.endpoint)
    print(f"endpoint {args.endpoint} removed")
    return 0


def _wanted(args: argparse.Namespace) -> tuple[Any, Any]:
    """(emails, webhooks) of the preference asked for; ... where the option was not given."""
    emails: Any = [] if args.no_email else None if args.default_email else args.email or ...
    webhooks: Any = [] if args.no_webhook else None if args.all_webhooks else args.webhook or ...
    return emails, webhooks


async def cmd_notify_prefs(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.model.notification import NotifyPref
    from registry_core.services import notify_prefs, registrars

    audience, (emails, webhooks) = _audience(args), _wanted(args)
    async with open_core(config) as core:
        if getattr(args, "low_balance", None) is not None or getattr(args, "no_low_balance", False):
            await registrars.update_registrar(core, args.id, low_balance_alert=args.low_balance)
        if args.reset:
            await notify_prefs.reset_pref(core, audience, args.event)
        elif emails is not ... or webhooks is not ...:
            current = {p.event_type: p for p in await notify_prefs.list_prefs(core, audience)}.get(args.event)
            await notify_prefs.set_pref(core, NotifyPref(
                audience, args.event, (current.emails if current else None) if emails is ... else _tuple(emails),
                (current.webhooks if current else None) if webhooks is ... else _tuple(webhooks)))
        for pref in await notify_prefs.list_prefs(core, audience):
            print(f"{pref.event_type}\temail: {_shown(pref.emails, 'default')}\t"
                  f"webhooks: {_shown(pref.webhooks, 'all')}")
    return 0


def _tuple(values: list[Any] | None) -> tuple[Any, ...] | None:
    return None if values is None else tuple(values)


def _shown(values: tuple[Any, ...] | None, default: str) -> str:
    if values is None:
        return default
    return ", ".join(str(v) for v in values) or "none"


def add_webhook_parser(sub: Any, *, with_registrar: bool) -> None:
    ws = sub.add_parser("webhook", help="webhook endpoints").add_subparsers(dest="webhook_command", required=True)

    def command(name: str, handler: Any, text: str) -> Any:
        p = ws.add_parser(name, help=text)
        if with_registrar:
            p.add_argument("id", help="registrar")
        p.set_defaults(handler=handler)
        return p

    add = command("add", cmd_webhook_add, "add an endpoint (prints its secret once)")
    add.add_argument("url")
    add.add_argument("--allow-http", action="store_true", help="accept an http:// URL (development only)")
    command("list", cmd_webhook_list, "the live endpoints")
    rotate = command("rotate", cmd_webhook_rotate, "a new secret, the old one valid for the overlap")
    rotate.add_argument("endpoint", type=positive)
    rotate.add_argument("--overlap", type=positive, default=24, help="hours the previous secret stays valid")
    command("remove", cmd_webhook_remove, "remove an endpoint").add_argument("endpoint", type=positive)


def add_prefs_parser(sub: Any, name: str, *, with_registrar: bool) -> None:
    p = sub.add_parser(name, help="which channels hear which events (no change: list them)")
    if with_registrar:
        p.add_argument("id", help="registrar")
        low = p.add_mutually_exclusive_group()
        low.add_argument("--low-balance", type=decimal, help="warn once when the balance falls below AMOUNT")
        low.add_argument("--no-low-balance", action="store_true", help="no low-balance warning")
    p.add_argument("--event", default="*", help="event type, or * for every type without its own row")
    email = p.add_mutually_exclusive_group()
    email.add_argument("--email", action="append", help="address (repeatable)")
    email.add_argument("--no-email", action="store_true")
    email.add_argument("--default-email", action="store_true", help="the registrar's contact address")
    hook = p.add_mutually_exclusive_group()
    hook.add_argument("--webhook", action="append", type=positive, help="endpoint id (repeatable)")
    hook.add_argument("--no-webhook", action="store_true")
    hook.add_argument("--all-webhooks", action="store_true")
    p.add_argument("--reset", action="store_true", help="remove the row of --event")
    p.set_defaults(handler=cmd_notify_prefs)
