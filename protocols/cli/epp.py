"""`registry epp ...`: the EPP client from the command line, against any RFC 5730-5734
registry (ours by default, with the development certificates)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from protocols.config import Config
from protocols.epp.client import EPP_NS, EppClient, Greeting, Response, parse_document
from protocols.net.tls import client_context

Answer = Response | Greeting  # a <hello> is answered by a greeting
Exchange = Callable[[EppClient, argparse.Namespace], Awaitable[list[Answer]]]


# --- handlers: one per verb, each a session around its exchange ------------------------
async def cmd_epp_send(config: Config, args: argparse.Namespace) -> int:
    return await _session(config, args, _send_files)


async def cmd_epp_check(config: Config, args: argparse.Namespace) -> int:
    return await _session(config, args, _check)


async def cmd_epp_info(config: Config, args: argparse.Namespace) -> int:
    return await _session(config, args, _info)


async def cmd_epp_poll(config: Config, args: argparse.Namespace) -> int:
    return await _session(config, args, _poll)


async def _send_files(client: EppClient, args: argparse.Namespace) -> list[Answer]:
    return [_answer(await client.send_raw(path.read_bytes())) for path in args.files]


def _answer(raw: bytes) -> Answer:
    greeting = parse_document(raw).find(f"{{{EPP_NS}}}greeting") is not None
    return Greeting.parse(raw) if greeting else Response.parse(raw)


async def _check(client: EppClient, args: argparse.Namespace) -> list[Answer]:
    return [await client.domain_check(*args.names)]


async def _info(client: EppClient, args: argparse.Namespace) -> list[Answer]:
    return [await client.domain_info(args.name, auth_info=args.auth_info)]


async def _poll(client: EppClient, args: argparse.Namespace) -> list[Answer]:
    return [await client.poll_request()]


async def _session(config: Config, args: argparse.Namespace, exchange: Exchange) -> int:
    """Connect, log in (unless --no-login), run the exchange printing each answer, log out.
    The exit status is 1 when login or any response failed (a 2xxx result)."""
    client = EppClient()
    await client.connect(args.host, args.port, _context(config, args), server_hostname=args.server_name)
    try:
        if not args.no_login:
            login = await client.login(args.clid, args.password)
            if not login.ok:
                print(login.raw.decode(), file=sys.stderr)
                return 1
        worst = 1000
        for answer in await exchange(client, args):
            print(answer.raw.decode())
            worst = max(worst, answer.code if isinstance(answer, Response) else 1000)
        if not args.no_login:
            await client.logout()
        return 0 if worst < 2000 else 1
    finally:
        await client.close()


def _context(config: Config, args: argparse.Namespace) -> Any:
    certs = Path(config.paths.certs)
    return client_context(Path(args.ca) if args.ca else certs / "ca.pem",
                          Path(args.cert) if args.cert else certs / f"{args.clid}.pem",
                          Path(args.key) if args.key else certs / f"{args.clid}.key",
                          check_hostname=bool(args.server_name))


# --- parser ------------------------------------------------------------------------------
def add_parser(sub: Any) -> None:
    epp = sub.add_parser("epp", help="talk EPP to a registry (ours or any other)")
    epp.add_argument("--host", default="127.0.0.1")
    epp.add_argument("--port", type=int, default=7000)
    epp.add_argument("--cert", help="client certificate (default certs/dev/<clid>.pem)")
    epp.add_argument("--key", help="client key (default certs/dev/<clid>.key)")
    epp.add_argument("--ca", help="CA to verify the server (default certs/dev/ca.pem)")
    epp.add_argument("--server-name", help="check the server certificate for this host name")
    epp.add_argument("--clid", default="demo")
    epp.add_argument("--password", default="demo-Pass1")
    epp.add_argument("--no-login", action="store_true", help="send without logging in (hello, login files)")
    verbs = epp.add_subparsers(dest="epp_command", required=True)
    send = verbs.add_parser("send", help="send EPP XML files, print each response")
    send.add_argument("files", nargs="+", type=Path)
    send.set_defaults(handler=cmd_epp_send)
    check = verbs.add_parser("check", help="domain:check")
    check.add_argument("names", nargs="+")
    check.set_defaults(handler=cmd_epp_check)
    info = verbs.add_parser("info", help="domain:info")
    info.add_argument("name")
    info.add_argument("--auth-info")
    info.set_defaults(handler=cmd_epp_info)
    verbs.add_parser("poll", help="poll req").set_defaults(handler=cmd_epp_poll)
