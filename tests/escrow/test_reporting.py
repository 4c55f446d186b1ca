"""The reports to ICANN (the deposit report, the monthly reports) and the operator's alerts
when escrow fails.

ICANN's registry reporting interface is a service with no local emulator: the test stands
in for its endpoints (`PUT /report/registry-escrow-report/<tld>/<id>` and
`/report/{registrar-transactions|registry-functions-activity}/<tld>/<yyyymm>`, HTTP Basic,
IIRDEA answers) with an aiohttp server over real TLS on loopback. A deposit report it
receives is validated against the project's own rdeReport schema (schemas/rde)."""

from __future__ import annotations

import base64
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from lxml import etree

from protocols.cli.certs import DevCerts
from protocols.escrow import deposits
from protocols.escrow.check import SCHEMA_FILE
from protocols.escrow.reporting import ReportingTarget
from registry_core.context import Core
from registry_core.model import escrow as model
from registry_core.services import escrow
from tests.conftest import fetch
from tests.escrow.gpg import Keyrings
from tests.escrow.helpers import give_addresses, populate
from tests.escrow.sftp import AgentInbox
from tests.ops.test_cli import Run, registry  # noqa: F401 - the fixture

REPORT_XSD = SCHEMA_FILE.parent / "rdeReport-1.0.xsd"
IIRDEA = "urn:ietf:params:xml:ns:iirdea-1.0"
PASSWORD = "icann-Secret1"  # noqa: S105 - the stand-in's test account


def iirdea(code: int, msg: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><iirdea:response xmlns:iirdea="{IIRDEA}">'
            f'<iirdea:result code="{code}"><iirdea:msg>{msg}</iirdea:msg></iirdea:result></iirdea:response>').encode()


@dataclass
class IcannStandIn:
    url: str
    received: list[tuple[str, bytes]] = field(default_factory=list)
    refuse_with: int | None = None  # an IIRDEA code to answer 400 with


@pytest.fixture
async def icann(dev_certs: DevCerts) -> AsyncIterator[IcannStandIn]:
    schema = etree.XMLSchema(etree.parse(str(REPORT_XSD)))
    stand_in = IcannStandIn("")

    def authorized(request: web.Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{request.match_info['tld']}_ry:{PASSWORD}".encode()).decode()
        return request.headers.get("Authorization") == expected

    async def deposit_report(request: web.Request) -> web.Response:
        if not authorized(request):
            return web.Response(status=401, body=iirdea(2001, "Unauthorized"), content_type="text/xml")
        body = await request.read()
        if stand_in.refuse_with is not None or not schema.validate(etree.fromstring(body)):
            return web.Response(status=400, body=iirdea(stand_in.refuse_with or 2002, "Request content error"),
                                content_type="text/xml")
        stand_in.received.append((request.path, body))
        return web.Response(status=200, body=iirdea(1000, "Command completed successfully"), content_type="text/xml")

    async def monthly_report(request: web.Request) -> web.Response:
        """registrar-transactions and registry-functions-activity: a CSV with its header line."""
        if not authorized(request):
            return web.Response(status=401, body=iirdea(2001, "Unauthorized"), content_type="text/xml")
        body = await request.read()
        header = body.split(b"\r\n", 1)[0]
        if request.content_type != "text/csv" or not header.startswith((b"registrar-name,", b"operational-")):
            return web.Response(status=400, body=iirdea(2002, "Request content error"), content_type="text/xml")
        stand_in.received.append((request.path, body))
        return web.Response(status=200, body=iirdea(1000, "Command completed successfully"), content_type="text/xml")

    app = web.Application()
    app.router.add_put("/report/registry-escrow-report/{tld}/{deposit_id}", deposit_report)
    app.router.add_put("/report/{kind:registrar-transactions|registry-functions-activity}/{tld}/{month}",
                       monthly_report)
    runner = web.AppRunner(app)
    await runner.setup()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(dev_certs.server.cert), str(dev_certs.server.key))
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    stand_in.url = f"https://localhost:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    yield stand_in
    await runner.cleanup()


def reporting(icann: IcannStandIn, certs: DevCerts, folder: Path) -> ReportingTarget:
    password = folder / "icann.password"
    password.write_text(PASSWORD + "\n")
    return ReportingTarget(icann.url, "{tld}_ry", password, certs.ca_cert, timeout=10)


async def test_a_delivered_deposit_is_reported_once_and_a_refusal_is_retried(
        core: Core, tmp_path: Path, keyrings: Keyrings, agent_inbox: AgentInbox, icann: IcannStandIn,
        dev_certs: DevCerts) -> None:
    await populate(core)
    await give_addresses(core)
    settings = deposits.EscrowSettings(tmp_path / "out", keyrings.registry, sftp=agent_inbox.target,
                                       reporting=reporting(icann, dev_certs, tmp_path))
    icann.refuse_with = 2003
    made = await deposits.make_deposit_at(core, settings, "example", datetime.now(UTC) - timedelta(minutes=1), "full")
    assert made.upload_error is None and icann.received == []
    [row] = await escrow.list_deposits(core, "example", unreported=True)
    alerts = await fetch(core, "SELECT payload FROM notification_event WHERE type = 'operator.alert.escrow_failed'")
    assert [a["payload"]["summary"] for a in alerts] == [
        f"Escrow deposit {Path(row['file_name']).stem}: report refused by ICANN"]
    assert "result 2003" in alerts[0]["payload"]["detail"]

    icann.refuse_with = None
    assert await deposits.report_pending(core, settings, "example") == [(row["file_name"], None)]
    assert await deposits.report_pending(core, settings, "example") == []  # reported once
    [(path, body)] = icann.received
    assert path == f"/report/registry-escrow-report/example/{row['deposit_id']}"
    report = etree.fromstring(body)
    ns = {"r": "urn:ietf:params:xml:ns:rdeReport-1.0", "h": model.URI_HEADER}
    assert report.findtext("r:id", namespaces=ns) == row["deposit_id"]
    assert report.findtext("r:kind", namespaces=ns) == "FULL"
    assert report.findtext("r:rydeSpecEscrow", namespaces=ns) == "RFC8909"
    counts = {c.get("uri"): int(c.text) for c in report.iterfind("h:header/h:count", ns)}
    assert counts == row["counts"] and counts[model.URI_DOMAIN] == 3


async def test_a_deposit_that_fails_its_check_or_its_upload_alerts_the_operator_once(
        core: Core, tmp_path: Path, keyrings: Keyrings, agent_inbox: AgentInbox) -> None:
    await populate(core)
    await give_addresses(core)
    unreachable = agent_inbox.target.__class__(**{**agent_inbox.target.__dict__, "port": 1, "timeout": 5})
    settings = deposits.EscrowSettings(tmp_path / "out", keyrings.registry, sftp=unreachable)
    at = datetime.now(UTC) - timedelta(minutes=1)
    made = await deposits.make_deposit_at(core, settings, "example", at, "full")
    assert made.upload_error is not None
    await fetch(core, "UPDATE domain SET roid = 'not a roid' WHERE id = (SELECT min(id) FROM domain)")
    for _ in range(2):  # the same failure twice: one alert
        with pytest.raises(deposits.DepositRejected):
            await deposits.make_deposit_at(core, settings, "example", at + timedelta(seconds=1), "full")
    alerts = await fetch(core, "SELECT payload FROM notification_event WHERE type = 'operator.alert.escrow_failed' "
                               "ORDER BY id")
    summaries = [a["payload"]["summary"] for a in alerts]
    assert len(summaries) == 2
    assert summaries[0].endswith("not uploaded to the escrow agent")
    assert summaries[1].endswith("failed its check, not packaged") and "roid" in alerts[1]["payload"]["detail"]


async def test_report_icann_writes_both_files_and_uploads_them(
        registry: Run, core: Core, tmp_path: Path, icann: IcannStandIn, dev_certs: DevCerts,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    password = reporting(icann, dev_certs, tmp_path).password_file
    for key, value in (("URL", icann.url), ("USER", "{tld}_ry"), ("PASSWORD_FILE", str(password)),
                       ("CA_FILE", str(dev_certs.ca_cert))):
        monkeypatch.setenv(f"REGISTRY_ESCROW_REPORT_{key}", value)
    out = tmp_path / "reports"
    code, text, err = await registry("report", "icann", "example", "--month", "2026-03", "--output", str(out),
                                     "--upload")
    assert code == 0, (text, err)
    assert sorted(p.name for p in out.iterdir()) == ["example-activity-202603-en.csv",
                                                     "example-transactions-202603-en.csv"]
    assert [path for path, _ in icann.received] == ["/report/registrar-transactions/example/2026-03",
                                                    "/report/registry-functions-activity/example/2026-03"]
    assert icann.received[0][1] == (out / "example-transactions-202603-en.csv").read_bytes()
    assert (await registry("report", "icann", "nosuch", "--month", "2026-03", "--output", str(out)))[0] != 0
