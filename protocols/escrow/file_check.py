"""`registry rde check FILE`: a plain deposit (.xml) is checked as it is; a packaged one
(.ryde) first has its detached signature (.sig beside it) verified and is decrypted (the
keyring must hold a key able to: the agent's, or a test's) into a private temporary folder,
its one XML file checked under the .ryde's name."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from protocols.escrow import ryde
from protocols.escrow.check import CheckReport, check_xml


async def check_file(path: Path, home: Path, engine: str = "xmlschema") -> tuple[CheckReport, str | None]:
    """The check's report and, for a .ryde, the fingerprint that signed it."""
    if path.suffix != ".ryde":
        return await asyncio.to_thread(check_xml, path, None, engine), None
    signer: str | None = None
    problems: list[str] = []
    try:
        signer = await ryde.verify(path, path.with_suffix(".sig"), home)
    except ryde.PackagingError as exc:
        problems.append(str(exc))
    with tempfile.TemporaryDirectory(prefix="rde-check-") as tmp:
        try:
            xml = await ryde.unpack(path, Path(tmp), home)
        except ryde.PackagingError as exc:
            return CheckReport(problems=[*problems, str(exc)]), signer
        report = await asyncio.to_thread(check_xml, xml, path.name, engine)
        if xml.name != path.stem + ".xml":
            report.problems.append(f"the archive holds {xml.name}, not {path.stem}.xml")
    report.problems[:0] = problems
    return report, signer
