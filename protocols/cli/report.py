"""`registry report ...`: ICANN's monthly reports.

    registry report icann TLD --month YYYY-MM [--output DIR] [--upload]
        write {tld}-transactions-{yyyymm}-en.csv and {tld}-activity-{yyyymm}-en.csv (Registry
        Agreement Specification 3) into DIR (default: <var>/reports); --upload also PUTs both to
        ICANN's reporting interface ([escrow] report_url and its account)"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from protocols.config import Config


def _month(text: str) -> Any:
    from registry_core.model.icann_reports import Month

    try:
        return Month.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {text!r}") from exc


def _write(folder: Path, files: dict[str, bytes]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in files.items():
        (folder / name).write_bytes(body)
        written.append(folder / name)
    return written


async def cmd_report_icann(config: Config, args: argparse.Namespace) -> int:
    from protocols.escrow import reporting
    from protocols.serve.runtime import open_core
    from registry_core.model.icann_reports import activity_file, transactions_file
    from registry_core.services import icann_reports

    target = reporting.reporting_target(config)
    if args.upload and target is None:
        print("registry: --upload needs [escrow] report_url")
        return 2
    async with open_core(config) as core:
        transactions, activity = await icann_reports.monthly_reports(core, args.tld, args.month)
    files = {transactions_file(args.tld, args.month): transactions, activity_file(args.tld, args.month): activity}
    for path in await asyncio.to_thread(_write, args.output or Path(config.paths.var) / "reports", files):
        print(f"wrote {path}")
    if not args.upload:
        return 0
    assert target is not None
    failed = False
    for kind, body in (("registrar-transactions", transactions), ("registry-functions-activity", activity)):
        try:
            await reporting.put_report(target, args.tld, f"report/{kind}/{args.tld}/{args.month.text}", body,
                                       "text/csv")
            print(f"{kind} uploaded")
        except reporting.ReportRefused as exc:
            print(f"{kind} NOT uploaded: {exc}")
            failed = True
    return 1 if failed else 0


async def cmd_report_threats(config: Config, args: argparse.Namespace) -> int:
    """Specification 11 statistics of one month: cases by threat type and source, how many
    were acted on, the median hours to the first action."""
    from protocols.serve.runtime import open_core
    from registry_core.services import abuse

    async with open_core(config) as core:
        rows = await abuse.threat_stats(core, args.tld, args.month)
    print("threat-type,source,cases,acted-on,median-hours-to-action")
    for row in rows:
        median = "" if row["median_hours_to_action"] is None else f"{row['median_hours_to_action']:.1f}"
        print(f"{row['threat_type']},{row['source']},{row['opened']},{row['acted']},{median}")
    return 0


def add_parser(sub: Any) -> None:
    report = sub.add_parser("report", help="ICANN's monthly reports").add_subparsers(
        dest="report_command", required=True)
    icann = report.add_parser("icann", help="the per-registrar transactions and registry activity reports")
    icann.add_argument("tld")
    icann.add_argument("--month", type=_month, required=True, help="YYYY-MM")
    icann.add_argument("--output", type=Path, help="folder (default: <var>/reports)")
    icann.add_argument("--upload", action="store_true", help="PUT both to ICANN's reporting interface")
    icann.set_defaults(handler=cmd_report_icann)
    threats = report.add_parser("threats", help="Specification 11 security threat statistics of a month")
    threats.add_argument("tld")
    threats.add_argument("--month", type=_month, required=True, help="YYYY-MM")
    threats.set_defaults(handler=cmd_report_threats)
