"""The admin console's abuse cases over real HTTP, EPP over TLS and the real database: a
support user opens a case for a domain created over EPP, triages it, notifies the sponsor
(e-mail through the real SMTP relay and a signed webhook to a real HTTPS receiver, both
delivered by the real dispatcher; tests/notify/peers.py), and puts the domain on serverHold
after a fresh TOTP code: EPP <domain:info> shows the status and the audit search shows who
did what and why. The list filters by state, TLD and overdue and exports CSV; a read-only
user sees the pages and is refused by the server whatever it posts."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from protocols.web.server import WebServer
from registry_core.context import Core
from registry_core.model.accounts import Principal
from registry_core.services import abuse_reports, audit_search, registrars
from registry_core.services.abuse_reports import AbuseReport
from tests.conftest import TestClock, fetch
from tests.epp.conftest import Clients
from tests.notify.conftest import eventually, hook_for, notify_certs, peers, running  # noqa: F401 (fixtures)
from tests.notify.peers import Peers
from tests.web.client import csrf_of
from tests.web.staff import Staff

STATUS = "epp:response/epp:resData/domain:infData/domain:status/@s"
AUDITOR = Principal("user", 99, "auditor", "admin", None)


async def open_case(sam: Staff, domain: str, text: str = "phishing kit at /login") -> int:
    status, page = await sam.submit("/abuse", "/abuse", {"domain": domain, "threat": "phishing", "text": text,
                                                        "email": "victim@example.net", "reason": "CERT phoned"})
    assert status == 200, page
    found = re.search(r"Opened: case (\d+) \(" + re.escape(domain) + r"\)", page)
    assert found, page
    return int(found.group(1))


async def step(who: Staff, case_id: int, action: str, reason: str, code: str = "") -> tuple[int, str]:
    return await who.submit(f"/abuse/{case_id}", f"/abuse/{case_id}/act",
                            {"action": action, "reason": reason, "code": code})


async def test_a_case_from_report_to_server_hold(core: Core, staff: dict[str, Staff], clients: Clients,
                                                 peers: Peers) -> None:  # noqa: F811
    epp = await clients.login("alpha")
    assert (await epp.domain_create("phish.example", auth_info="Phish-Auth1")).code == 1000
    await registrars.update_registrar(core, "alpha", email="abuse-desk@alpha.test")
    await hook_for(core, peers.receiver, "alpha", path="alpha")
    sam = staff["sam"]  # support
    case_id = await open_case(sam, "phish.example")
    assert (await step(sam, case_id, "triage", "credible: kit is live"))[0] == 200
    status, page = await step(sam, case_id, "notify", "please suspend the kit")
    assert status == 200 and "now registrar-notified" in page, page
    status, page = await step(sam, case_id, "hold", "no answer, kit still live")  # no code
    assert status == 401 and "Confirm it is you" in page
    status, page = await step(sam, case_id, "hold", "no answer, kit still live", sam.fresh_code())
    assert status == 200 and "now action-taken" in page, page
    info = await epp.domain_info("phish.example")
    assert sorted(info.xpath(STATUS)) == ["inactive", "serverHold"]  # no name servers: inactive as well
    trail = list(await audit_search.search_history(core, AUDITOR, "phish.example"))
    shown = [(r.action, (r.after or {}).get("reason")) for r in reversed(trail)][1:]
    assert shown == [("abuse-case-opened", None), ("abuse-triage", "credible: kit is live"),
                     ("abuse-notify", "please suspend the kit"),
                     ("server-status", f"abuse case {case_id}: no answer, kit still live"),
                     ("abuse-hold", "no answer, kit still live")]
    staff_rows = [r for r in trail if r.action.startswith("abuse-") or r.action == "server-status"]
    assert len(staff_rows) == 5 and all(r.via and r.via.get("user") == "sam" for r in staff_rows)
    _status, detail, _resp = await sam.browser.get(f"/abuse/{case_id}")
    assert "phishing kit at /login" in detail and "victim@example.net" in detail and "user=sam" in detail
    async with running(core, peers):
        await eventually(lambda: told(peers))
    [hook] = [a for a in peers.receiver.arrivals if a.body["type"] == "domain.abuse.reported"]
    assert hook.body["data"]["case"] == case_id and hook.body["data"]["domain"] == "phish.example"
    assert peers.receiver.refused == 0
    sponsor = [m for m in peers.mails() if str(m["To"]) == "abuse-desk@alpha.test"]
    assert [str(m["Subject"]).split(",")[0] for m in sponsor] == [f"Abuse case {case_id}: phish.example (phishing)"]
    body = sponsor[0].get_body(("plain",))
    assert body is not None and "phishing kit at /login" in body.get_content()
    assert "victim@example.net" not in body.get_content()  # the reporter stays with the registry


async def told(sent: Peers) -> bool:
    hooks = [a for a in sent.receiver.arrivals if a.body["type"] == "domain.abuse.reported"]
    return bool(hooks) and any(b"abuse-desk@alpha.test" in got.content for got in sent.sink.received)


async def test_the_list_filters_and_exports(core: Core, staff: dict[str, Staff], clients: Clients,
                                            clock: TestClock) -> None:
    epp = await clients.login("alpha")
    for name in ("one.example", "two.example"):
        assert (await epp.domain_create(name, auth_info="List-Auth1")).code == 1000
    root = staff["root"]
    first, second = await open_case(root, "one.example"), await open_case(root, "two.example")
    assert (await step(root, second, "triage", "looked"))[0] == 200
    _status, page, _resp = await root.browser.get("/abuse?state=triaged")
    assert f'href="/abuse/{second}"' in page and f'href="/abuse/{first}"' not in page
    _status, page, _resp = await root.browser.get("/abuse?tld=strict")
    assert "None." in page
    clock.frozen = clock.now() - timedelta(days=2)  # a report two days ago: past its triage deadline
    [(_name, late)] = (await abuse_reports.receive_report(core, AbuseReport(
        "staff", "", "spam", "old report", ("two.example",)), AUDITOR)).cases
    clock.frozen = None
    _status, page, _resp = await root.browser.get("/abuse?overdue=1")
    assert page.count("OVERDUE") == 1 and f'href="/abuse/{late}"' in page
    status, text, resp = await root.browser.get("/abuse.csv?state=new")
    assert status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["id"], r["domain_name"], r["state"], r["reports"]) for r in rows] == [
        (str(late), "two.example", "new", "1"), (str(first), "one.example", "new", "1")]
    _status, text, _resp = await root.browser.get("/abuse.csv?overdue=1&tld=example")
    assert [r["id"] for r in csv.DictReader(io.StringIO(text))] == [str(late)]


async def test_a_read_only_user_sees_and_is_refused(core: Core, staff: dict[str, Staff], clients: Clients,
                                                    consoles: dict[str, WebServer]) -> None:
    epp = await clients.login("alpha")
    assert (await epp.domain_create("seen.example", auth_info="Seen-Auth1")).code == 1000
    case_id = await open_case(staff["root"], "seen.example")
    assert (await step(staff["root"], case_id, "triage", "looked"))[0] == 200
    rita = staff["rita"]  # read-only
    status, page, _resp = await rita.browser.get(f"/abuse/{case_id}")
    assert status == 200 and "seen.example" in page and 'id="act"' not in page
    status, page, _resp = await rita.browser.get("/abuse")
    assert status == 200 and 'id="open-case"' not in page
    csrf = csrf_of(page)
    status, text, _resp = await rita.browser.post(f"/abuse/{case_id}/act", {
        "csrf": csrf, "action": "hold", "reason": "I think so", "code": rita.fresh_code()})
    assert status == 403, text
    status, text, _resp = await rita.browser.post(f"/abuse/{case_id}/act", {
        "csrf": csrf, "action": "note", "reason": "I think so"})
    assert status == 403, text
    status, text, _resp = await rita.browser.post("/abuse", {
        "csrf": csrf, "domain": "seen.example", "threat": "spam", "text": "x", "reason": "y"})
    assert status == 403, text
    [case] = await fetch(core, "SELECT state FROM abuse_case")
    assert case["state"] == "triaged"
    assert (await fetch(core, "SELECT statuses FROM domain WHERE name = 'seen.example'"))[0]["statuses"] == []
