"""Making deposits: for each due (or asked-for) deposit of a TLD, stream the XML from the
core, check it (check.py: our schemas by libxml2 while streaming, and the RST rules; in a
process of its own fed as the file is written, check_process.py) before anything else
happens, package it (ryde.py), verify the
signature just made, and only then log it and move the cursor. A deposit that fails its
check is neither packaged nor logged: the cursor stays, the operator is told (an error in
the log and the command's exit status), and the next run tries again."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from protocols.config import Config
from protocols.escrow import delivery, reporting, ryde
from protocols.escrow.check import CheckReport
from protocols.escrow.check_process import CheckProcess
from protocols.escrow.deposit_sink import ThreadedDepositSink
from protocols.escrow.report_xml import deposit_report
from registry_core.context import Core
from registry_core.model import escrow as model
from registry_core.model.escrow import DepositPlan
from registry_core.services import audit, escrow

_log = logging.getLogger(__name__)


class DepositRejected(Exception):
    """A deposit failed its own check; it was not packaged."""

    def __init__(self, plan: DepositPlan, report: CheckReport) -> None:
        super().__init__(f"{plan.stem}: {len(report.problems)} problem(s): " + "; ".join(report.problems[:5]))
        self.report = report


@dataclass(frozen=True)
class EscrowSettings:
    output_dir: Path
    keys: ryde.GpgKeys | None  # None: no packaging (plain XML only)
    keep_plain: bool = False
    sftp: delivery.SftpTarget | None = None  # None: the files stay in output_dir
    reporting: reporting.ReportingTarget | None = None  # None: no deposit reports to ICANN


@dataclass(frozen=True)
class DepositMade:
    plan: DepositPlan
    counts: dict[str, int]
    files: tuple[Path, ...]
    uploaded: tuple[str, ...] = ()  # remote paths; empty when not delivered
    upload_error: str | None = None
    head: Path | None = None  # the signed audit chain heads travelling with it ({stem}.audit.json)


def escrow_settings(config: Config, *, output: Path | None = None, plain: bool = False) -> EscrowSettings:
    """From [escrow]: packaging needs both keys; without them only `--plain` can write."""
    var = Path(config.paths.var)
    cfg = config.escrow
    keys = None
    if cfg.agent_key and cfg.signing_key:
        keys = ryde.GpgKeys(Path(cfg.gnupg_home or var / "escrow" / "gnupg"), cfg.agent_key, cfg.signing_key,
                            Path(cfg.passphrase_file) if cfg.passphrase_file else None)
    return EscrowSettings(output or Path(cfg.output_dir or var / "escrow"), keys, plain,
                          delivery.sftp_target(config), reporting.reporting_target(config))


async def make_due_deposits(core: Core, settings: EscrowSettings, tld: str,
                            modes: tuple[str, ...] = model.MODES) -> list[DepositMade]:
    """Every deposit the cursors of `tld` say is due, oldest watermark first (a DIFF's base
    comes before it), each logged and its cursor moved once it is made."""
    made: list[DepositMade] = []
    while True:
        plans = [p for p in [await escrow.next_plan(core, tld, mode) for mode in modes] if p is not None]
        if not plans:
            return made
        made.append(await make_deposit(core, settings, min(plans, key=lambda p: p.watermark), move_cursor=True))


async def make_deposit_at(core: Core, settings: EscrowSettings, tld: str, watermark: datetime,
                          mode: str | None = None) -> DepositMade:
    """One deposit at `watermark` (mode: by the day, FULL on Sundays), outside the cursors."""
    if mode is None:
        mode = "full" if model.scheduled("full", watermark) else "diff"
    return await make_deposit(core, settings, await escrow.plan_at(core, tld, mode, watermark), move_cursor=False)


async def make_deposit(core: Core, settings: EscrowSettings, plan: DepositPlan, *, move_cursor: bool) -> DepositMade:
    if settings.keys is None and not settings.keep_plain:
        raise ryde.PackagingError("no [escrow] agent_key and signing_key: only --plain can write a deposit")
    await asyncio.to_thread(settings.output_dir.mkdir, parents=True, exist_ok=True)
    xml = settings.output_dir / f"{plan.stem}.xml"
    checker = await asyncio.to_thread(CheckProcess, xml.name)  # checks the XML as it is written
    sink = ThreadedDepositSink(xml, checker.write)
    try:
        written = await escrow.write_deposit(core, plan, sink)
    except BaseException:
        await sink.abort()
        await asyncio.to_thread(checker.abort)
        raise
    report = await asyncio.to_thread(checker.finish)
    if not report.ok:
        _log.error("escrow deposit %s failed its check, not packaged: %s", plan.stem, report.problems[:5])
        await escrow.alert_failure(core, plan.stem, "failed its check, not packaged", "\n".join(report.problems[:20]))
        raise DepositRejected(plan, report)
    files = await _package(xml, plan, settings)
    head = await _head_file(core, settings, plan, written.snapshot_at) if settings.keys else None
    await escrow.record_deposit(core, written, files[0].name, move_cursor=move_cursor)
    _log.info("escrow deposit %s written: %s", plan.stem, written.counts)
    made = DepositMade(plan, written.counts, files, head=head)
    return await deliver(core, settings, made) if settings.sftp and settings.keys else made


async def deliver(core: Core, settings: EscrowSettings, made: DepositMade) -> DepositMade:
    """Upload the .ryde and .sig; a failure is logged and kept (the deposit stays logged as
    not uploaded, for `registry rde upload`), not raised: the deposit itself is made."""
    assert settings.sftp is not None
    ryde_file, sig = made.files[:2]
    try:
        remote = await delivery.upload(settings.sftp, [ryde_file, sig, *([made.head] if made.head else [])])
    except delivery.DeliveryError as exc:
        _log.error("escrow deposit %s not uploaded: %s", made.plan.stem, exc)
        await escrow.alert_failure(core, made.plan.stem, "not uploaded to the escrow agent", str(exc))
        return replace(made, upload_error=str(exc))
    await escrow.mark_uploaded(core, made.plan.tld, ryde_file.name)
    await report_pending(core, settings, made.plan.tld)
    return replace(made, uploaded=tuple(remote))


async def report_pending(core: Core, settings: EscrowSettings, tld: str) -> list[tuple[str, str | None]]:
    """PUT the report of every deposit of `tld` at the agent that ICANN has not had yet:
    (file name, error or None). A refusal is logged and the operator alerted; the deposit
    stays unreported for the next pass (or `registry rde upload`)."""
    if settings.reporting is None:
        return []
    results: list[tuple[str, str | None]] = []
    for row in await escrow.list_deposits(core, tld, unreported=True):
        try:
            await reporting.put_report(settings.reporting, tld, reporting.deposit_report_path(tld, row["deposit_id"]),
                                       deposit_report(row), "text/xml")
        except reporting.ReportRefused as exc:
            _log.error("escrow report of %s not taken: %s", row["file_name"], exc)
            await escrow.alert_failure(core, Path(row["file_name"]).stem, "report refused by ICANN", str(exc))
            results.append((row["file_name"], str(exc)))
            continue
        await escrow.mark_reported(core, tld, row["file_name"])
        results.append((row["file_name"], None))
    return results


async def upload_pending(core: Core, settings: EscrowSettings, tld: str) -> list[tuple[str, str | None]]:
    """Upload every logged deposit of `tld` not yet delivered: (file name, error or None)."""
    assert settings.sftp is not None
    results: list[tuple[str, str | None]] = []
    for row in await escrow.list_deposits(core, tld, undelivered=True):
        ryde_file = settings.output_dir / row["file_name"]
        head = head_path(settings, Path(row["file_name"]).stem)
        extra = [head] if await asyncio.to_thread(head.exists) else []
        try:
            await delivery.upload(settings.sftp, [ryde_file, ryde_file.with_suffix(".sig"), *extra])
        except delivery.DeliveryError as exc:
            results.append((row["file_name"], str(exc)))
            continue
        await escrow.mark_uploaded(core, tld, row["file_name"])
        results.append((row["file_name"], None))
    return results


def head_path(settings: EscrowSettings, stem: str) -> Path:
    return settings.output_dir / f"{stem}.audit.json"


async def _head_file(core: Core, settings: EscrowSettings, plan: DepositPlan, at: datetime) -> Path | None:
    """The last signed checkpoint of the history's chains (serve signs one daily) beside the
    deposit: the agent then holds, day by day, heads a later rewrite of history cannot match
    (`registry audit verify --head FILE` checks them)."""
    document = await audit.head_file(core, at)
    if document is None:
        _log.warning("escrow deposit %s: no audit checkpoint signed yet, no head file with it", plan.stem)
        return None
    path = head_path(settings, plan.stem)
    await asyncio.to_thread(path.write_bytes, document)
    return path


async def _package(xml: Path, plan: DepositPlan, settings: EscrowSettings) -> tuple[Path, ...]:
    if settings.keys is None:
        return (xml,)
    try:
        ryde_file, sig = await ryde.package(xml, settings.output_dir, plan.stem, settings.keys)
        await ryde.verify(ryde_file, sig, settings.keys.home)
    finally:
        if not settings.keep_plain:
            await asyncio.to_thread(xml.unlink, missing_ok=True)
    return (ryde_file, sig, xml) if settings.keep_plain else (ryde_file, sig)


async def run_escrow_forever(core: Core, settings: EscrowSettings, interval: float) -> None:
    """`registry serve`'s escrow job: every `interval` seconds, the due deposits of every
    TLD (the cursors make a rerun or a second node write nothing twice: a deposit already
    logged fails its insert). A failure is logged and retried at the next pass."""
    while True:
        try:
            await escrow_pass(core, settings)
        except Exception:  # the job outlives any one pass; the next one tries again
            _log.exception("escrow pass failed")
        await asyncio.sleep(interval)


async def escrow_pass(core: Core, settings: EscrowSettings) -> list[DepositMade]:
    """The due deposits of every TLD; a TLD that fails is logged and left for the next pass."""
    from registry_core.errors import CoreError
    from registry_core.services import tlds

    made: list[DepositMade] = []
    for tld in await tlds.list_tlds(core):
        try:
            made += await make_due_deposits(core, settings, tld.name)
        except (CoreError, DepositRejected, ryde.PackagingError) as exc:
            _log.error("escrow deposits of %s failed: %s", tld.name, exc)
    return made
