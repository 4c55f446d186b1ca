"""`registry access-request`, `registry verification` and `registry lock` run as the operator
would (the real CLI against the test database): an access request received more than 72 hours
ago is listed as overdue; each CLI action is in the history with the shell user as who."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta

from registry_core.model.accounts import Principal
from registry_core.services import access_requests
from tests.conftest import fetch
from tests.core.helpers import make_contact, make_domain
from tests.ops.test_cli import registry  # noqa: F401 (the CLI in this process)

STAFF = Principal("user", 1, "clerk@nic.test", "support", None)


async def test_access_requests_past_72_hours_are_listed_as_overdue(core, clock, registry):  # noqa: F811
    clock.frozen = datetime.now(UTC) - timedelta(hours=73)
    old = await access_requests.receive_access_request(core, STAFF, "old.example", "CERT", "c@cert.test",
                                                       "phishing", ["email"])
    clock.frozen = None
    code, out, err = await registry("access-request", "add", "new.example", "--requester", "Police", "--email",
                                    "p@police.test", "--purpose", "fraud case 7", "--field", "name", "--field", "email")
    assert code == 0, err
    new_id = int(out.split("\t")[0])
    code, out, _ = await registry("access-request", "list", "--overdue")
    assert [line.split("\t")[:3] for line in out.splitlines()] == [[str(old.id), "old.example", "OVERDUE"]]
    code, out, err = await registry("access-request", "decide", str(new_id), "--decision", "partial",
                                    "--disclose", "email", "--reason", "name withheld")
    assert code == 0 and "\tpartial\t" in out and f"cli:{getpass.getuser()}" in out, err
    rows = await fetch(core, "SELECT action, via FROM history WHERE object_name = 'new.example' ORDER BY id")
    assert [(r["action"], r["via"]["user"]) for r in rows] == [
        ("access-request-received", f"cli:{getpass.getuser()}"), ("access-request-decided", f"cli:{getpass.getuser()}")]


async def test_verification_review_and_lock_listing_from_the_cli(core, registry):  # noqa: F811
    await make_contact(core, "jane")
    await make_domain(core, "plain.example", registrant="jane")
    code, out, err = await registry("verification", "request", "jane", "--method", "document")
    assert (code, out.split("\t")[1]) == (0, "requested"), err
    code, _, err = await registry("verification", "review", "jane", "--approve", "--field", "name", "--note", "x")
    assert code != 0  # nothing submitted yet: requested cannot be approved
    code, out, _ = await registry("verification", "list", "--state", "requested")
    assert out.startswith("jane\trequested\tdocument")
    code, out, _ = await registry("lock", "list")
    assert (code, out) == (0, "")
    code, out, err = await registry("tld", "set", "example", "--set", "lock_allows_ds=true", "--set",
                                    "verification=document", "--set", "verification_days=30")
    assert code == 0, err
    shown = dict(line.split(None, 1) for line in out.splitlines())
    assert (shown["lock_allows_ds"], shown["verification"], shown["verification_days"]) == ("True", "document", "30")
    code, _, err = await registry("tld", "set", "example", "--set", "verification=maybe")
    assert code != 0 and "verification is none, email or document" in err
