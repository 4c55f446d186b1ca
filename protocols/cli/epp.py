"""`registry epp ...`: the EPP client from the command line, against any RFC 5730-5734
registry (ours by default, with the development certificates)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from protocols.config import Config
from protocols.epp.client import EppClient, Response
from protocols.net.tls import client_context


def add_epp_parser(sub: Any) -> None:
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
    check = verbs.add_parser("check", help="domain:check")
    check.add_argument("names", nargs="+")
    info = verbs.add_parser("info", help="domain:info")
    info.add_argument("name")
    info.add_argument("--auth-info")
    verbs.add_parser("poll", help="poll req")
    for parser in (send, check, info, verbs.choices["poll"]):
        parser.set_defaults(handler=cmd_epp)


def _context(config: Config, args: argparse.Namespace) -> Any:
    certs = Path(config.paths.certs)
    return client_context(Path(args.ca) if args.ca else certs / "ca.pem",
                          Path(args.cert) if args.cert else certs / f"{args.clid}.pem",
                          Path(args.key) if args.key else certs / f"{args.clid}.key",
                          check_hostname=bool(args.server_name))


async def cmd_epp(config: Config, args: argparse.Namespace) -> int:
    client = EppClient()
    await client.connect(args.host, args.port, _context(config, args), server_hostname=args.server_name)
    try:
        if not args.no_login:
            login = await client.login(args.clid, args.password)
            if not login.ok:
                print(login.raw.decode(), file=sys.stderr)
                return 1
        worst = 1000
        for response in await _run(client, args):
            print(response.raw.decode())
            worst = max(worst, response.code)
        if not args.no_login:
            await client.logout()
        return 0 if worst < 2000 else 1
    finally:
        await client.close()


async def _run(client: EppClient, args: argparse.Namespace) -> list[Response]:
    if args.epp_command == "send":
        return [Response.parse(await client.send_raw(path.read_bytes())) for path in args.files]
    if args.epp_command == "check":
        return [await client.domain_check(*args.names)]
    if args.epp_command == "info":
        return [await client.domain_info(args.name, auth_info=args.auth_info)]
    return [await client.poll_request()]
