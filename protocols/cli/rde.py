"""`registry rde ...`: data escrow deposits (RFC 8909 / RFC 9022, ICANN packaging).

    registry rde deposit TLD [--watermark T] [--mode full|diff|thin] [--output DIR] [--plain]
        without --watermark: every deposit the TLD's cursors say is due (a missed day is
        caught up, nothing is written twice); with it: that one deposit (again: a resend).
        --plain also keeps the unencrypted XML, for inspection.
        With [escrow] sftp_host set, each deposit is uploaded (.ryde, then .sig) once made.
    registry rde upload TLD     upload the deposits whose upload failed before
    registry rde check FILE     a .ryde (signature, decryption) or .xml: schemas and RST rules
    registry rde list TLD       the deposits written"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from protocols.cli.args import when
from protocols.config import Config
from registry_core.model.escrow import MODES

ENGINES = ("xmlschema", "lxml")  # protocols.escrow.check.ENGINES, without importing lxml at start-up


async def cmd_deposit(config: Config, args: argparse.Namespace) -> int:
    from protocols.escrow import deposits
    from protocols.escrow.ryde import PackagingError
    from protocols.serve.runtime import open_core

    settings = deposits.escrow_settings(config, output=args.output, plain=args.plain)
    async with open_core(config) as core:
        try:
            if args.watermark is not None:
                made = [await deposits.make_deposit_at(core, settings, args.tld, args.watermark, args.mode)]
            else:
                made = await deposits.make_due_deposits(core, settings, args.tld,
                                                        (args.mode,) if args.mode else MODES)
        except (deposits.DepositRejected, PackagingError) as exc:
            print(f"registry: deposit not made: {exc}")
            return 1
    for deposit in made:
        counts = ", ".join(f"{uri.rsplit(':', 1)[-1]} {n}" for uri, n in deposit.counts.items())
        print(f"{deposit.plan.stem}  {deposit.plan.deposit_type} id {deposit.plan.id}  ({counts})")
        for path in deposit.files:
            print(f"  {path}")
        for remote in deposit.uploaded:
            print(f"  uploaded {remote}")
        if deposit.upload_error:
            print(f"  NOT UPLOADED: {deposit.upload_error} (registry rde upload {deposit.plan.tld})")
    if not made:
        print("nothing due")
    return 1 if any(d.upload_error for d in made) else 0


async def cmd_upload(config: Config, args: argparse.Namespace) -> int:
    from protocols.escrow import deposits
    from protocols.serve.runtime import open_core

    settings = deposits.escrow_settings(config)
    if settings.sftp is None:
        print("registry: no [escrow] sftp_host configured")
        return 2
    async with open_core(config) as core:
        results = await deposits.upload_pending(core, settings, args.tld)
        reports = await deposits.report_pending(core, settings, args.tld)
    for name, error in results:
        print(f"{name}  {'uploaded' if error is None else 'FAILED: ' + error}")
    for name, error in reports:
        print(f"{name}  {'reported to ICANN' if error is None else 'REPORT FAILED: ' + error}")
    if not results and not reports:
        print("nothing to upload")
    return 1 if any(error for _, error in results + reports) else 0


async def cmd_check(config: Config, args: argparse.Namespace) -> int:
    from protocols.escrow.deposits import escrow_settings
    from protocols.escrow.file_check import check_file

    keys = escrow_settings(config).keys
    home = args.gnupg_home or (keys.home if keys else Path(config.paths.var) / "escrow" / "gnupg")
    report, signer = await check_file(args.file, home, args.engine)
    if signer:
        print(f"signature  good, key {signer}")
    print(f"deposit    {report.deposit_type or '?'} of {report.tld or '?'}")
    for uri, number in sorted(report.counts.items()):
        print(f"objects    {number:>9}  {uri}")
    for problem in report.problems:
        print(f"PROBLEM    {problem}")
    print("ok" if report.ok else f"{len(report.problems)} problem(s)")
    return 0 if report.ok else 1


async def cmd_list(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services import escrow

    async with open_core(config) as core:
        rows = await escrow.list_deposits(core, args.tld)
    for r in rows:
        sent = f"uploaded {r['uploaded_at']:%Y-%m-%dT%H:%MZ}" if r["uploaded_at"] else "not uploaded"
        print(f"{r['watermark']:%Y-%m-%dT%H:%MZ}  {r['mode']:<4}  {r['deposit_type']}  {r['deposit_id']}  "
              f"prev {r['prev_id'] or '-':<13}  R{r['resend']}  {r['file_name']}  {sent}")
    return 0


def add_parser(sub: Any) -> None:
    rde_sub = sub.add_parser("rde", help="data escrow deposits").add_subparsers(dest="rde_command", required=True)
    deposit = rde_sub.add_parser("deposit", help="write the due deposits of a TLD (or one at --watermark)")
    deposit.add_argument("tld")
    deposit.add_argument("--watermark", type=when, help="ISO 8601 time of the one deposit to write")
    deposit.add_argument("--mode", choices=MODES, help="only this kind (default: every kind due)")
    deposit.add_argument("--output", type=Path, help="folder for the files (default [escrow] output_dir)")
    deposit.add_argument("--plain", action="store_true", help="also keep the unencrypted XML")
    deposit.set_defaults(handler=cmd_deposit)
    check = rde_sub.add_parser("check", help="check a deposit file (.ryde or .xml)")
    check.add_argument("file", type=Path)
    check.add_argument("--gnupg-home", type=Path, help="keyring to verify and decrypt with")
    check.add_argument("--engine", choices=ENGINES, default="xmlschema",
                       help="schema validator, both streaming: xmlschema (lazy; default) or lxml (libxml2, faster)")
    check.set_defaults(handler=cmd_check)
    upload = rde_sub.add_parser("upload", help="upload the deposits of a TLD not yet delivered")
    upload.add_argument("tld")
    upload.set_defaults(handler=cmd_upload)
    listing = rde_sub.add_parser("list", help="the deposits written for a TLD")
    listing.add_argument("tld")
    listing.set_defaults(handler=cmd_list)
