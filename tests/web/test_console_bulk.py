"""Bulk renewals and name-server changes over real HTTP against the real database, from a
CSV upload (the console) and a JSON call (the API): each row is its own EPP use case (a
refused row leaves the rows after it done), every row's outcome comes back with the EPP
result it would have had, the upload is bounded and CSRF-checked, and a read-only user is
refused by the server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from protocols.web.bulk_csv import MAX_UPLOAD_BYTES
from registry_core.context import Core
from registry_core.services import domains
from tests.conftest import TestClock, fetch
from tests.core.helpers import actor, make_domain, make_host
from tests.web.client import Browser, csrf_of
from tests.web.test_api import api, call, new_key  # noqa: F401 - the fixture
from tests.web.test_console_domains import signed_in


@pytest.fixture
async def owner(core: Core, consoles: dict, clock: TestClock) -> AsyncIterator[Browser]:
    async with signed_in(core, consoles, clock, "olga", "owner") as browser:
        yield browser


async def upload(browser: Browser, path: str, csv_text: str | bytes, csrf: str | None = None) -> tuple[int, str]:
    if csrf is None:
        csrf = csrf_of((await browser.get("/bulk"))[1])
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", csv_text.encode() if isinstance(csv_text, str) else csv_text, filename="rows.csv",
                   content_type="text/csv")
    async with browser.http.post(browser.base + path, data=form, allow_redirects=False) as resp:
        return resp.status, await resp.text()


def result_rows(page: str) -> list[tuple[str, str, str]]:
    """(domain, outcome, EPP result) of each row of the result table."""
    return [(m[0], m[1], m[2]) for m in re.findall(
        r'<tr class="(?:done|refused)"><td>\d+</td><td>([^<]*)</td>\s*<td>([^<]*)</td><td>([^<]*)</td>', page)]


async def test_a_bulk_renewal_renews_each_row_on_its_own(core: Core, owner: Browser) -> None:
    first = await make_domain(core, "first.example")
    third = await make_domain(core, "third.example")
    await make_domain(core, "rival.example", "beta")
    expiry = f"{first.expires_at:%Y-%m-%d}"
    rows = ("name,years,current_expiry\r\n"
            f"first.example,1,{expiry}\r\n"
            f"missing.example,1,{expiry}\r\n"
            f"rival.example,1,{expiry}\r\n"
            "third.example,1,1999-01-01\r\n"
            f"third.example,2,{third.expires_at:%Y-%m-%d}\r\n")
    status, page = await upload(owner, "/bulk/renew", rows)
    assert status == 200, page
    assert result_rows(page) == [
        ("first.example", "done", "1000 Command completed successfully"),
        ("missing.example", "refused", "2303 Object does not exist"),
        ("rival.example", "refused", "2201 Authorization error"),
        ("third.example", "refused", "2306 Parameter value policy error"),  # curExpDate does not match
        ("third.example", "done", "1000 Command completed successfully")]
    assert "2 of 5 row(s) done; 3 refused." in page
    after = await domains.info_domain(core, actor("alpha"), "first.example")
    assert after.expires_at.year == first.expires_at.year + 1  # what EPP domain:info says now
    assert (await domains.info_domain(core, actor("alpha"), "third.example")).expires_at.year == \
        third.expires_at.year + 2
    history = await fetch(core, "SELECT object_name, sv_trid FROM history WHERE action = 'renew' ORDER BY id")
    assert [h["object_name"] for h in history] == ["first.example", "third.example"]
    assert all(h["sv_trid"].startswith("CON-U") for h in history)
    status, page = await upload(owner, "/bulk/renew", rows)  # the same file again: curExpDate has moved on
    assert status == 200 and "0 of 5 row(s) done" in page


async def test_a_bulk_name_server_change_sets_each_domains_whole_set(core: Core, owner: Browser) -> None:
    for host in ("ns1.dns.test", "ns2.dns.test", "ns3.dns.test"):
        await make_host(core, host)
    await make_domain(core, "one.example", ns=("ns1.dns.test",))
    await make_domain(core, "two.example", ns=("ns1.dns.test", "ns2.dns.test"))
    rows = ("name,ns1,ns2\n"
            "one.example,ns2.dns.test,ns3.dns.test\n"
            "two.example,ns9.nowhere.test,\n"
            "two.example,,\n")
    status, page = await upload(owner, "/bulk/nameservers", rows)
    assert status == 200, page
    assert [(n, o, r[:4]) for n, o, r in result_rows(page)] == [
        ("one.example", "done", "1000"), ("two.example", "refused", "2303"), ("two.example", "done", "1000")]
    assert (await domains.info_domain(core, actor("alpha"), "one.example")).nameservers == \
        ("ns2.dns.test", "ns3.dns.test")
    assert (await domains.info_domain(core, actor("alpha"), "two.example")).nameservers == ()


async def test_uploads_are_bounded_checked_and_csrf_protected(core: Core, owner: Browser) -> None:
    csrf = csrf_of((await owner.get("/bulk"))[1])
    status, page = await upload(owner, "/bulk/renew", "name,years,current_expiry\r\n", "wrong-token")
    assert status == 403
    status, page = await upload(owner, "/bulk/renew", "name,years\r\na.example,1\r\n", csrf)
    assert status == 422 and "current_expiry" in page
    status, page = await upload(owner, "/bulk/renew", b"name,years,current_expiry\r\n\xff\xfe", csrf)
    assert status == 422 and "UTF-8" in page
    many = "name,years,current_expiry\n" + "".join(f"d{i}.example,1,2030-01-01\n" for i in range(501))
    status, page = await upload(owner, "/bulk/renew", many, csrf)
    assert status == 422 and "at most 500 rows" in page
    big = "name,years,current_expiry\n" + "x" * MAX_UPLOAD_BYTES
    status, page = await upload(owner, "/bulk/renew", big, csrf)
    assert status == 422 and "larger than" in page
    assert await fetch(core, "SELECT id FROM history WHERE action = 'renew'") == []


async def test_a_read_only_user_is_refused_by_the_server(core: Core, consoles: dict, clock: TestClock) -> None:
    created = await make_domain(core, "kept.example")
    async with signed_in(core, consoles, clock, "rita", "read-only") as reader:
        status, page, _resp = await reader.get("/bulk")
        assert status == 200 and "may not change domains" in page
        rows = f"name,years,current_expiry\nkept.example,1,{created.expires_at:%Y-%m-%d}\n"
        status, _page = await upload(reader, "/bulk/renew", rows, csrf_of(page))
        assert status == 403
        status, _page = await upload(reader, "/bulk/nameservers", "name,nameservers\nkept.example,\n", csrf_of(page))
        assert status == 403
    assert (await domains.info_domain(core, actor("alpha"), "kept.example")).expires_at == created.expires_at


async def test_the_api_runs_the_same_rows(core: Core, api: tuple) -> None:  # noqa: F811
    created = await make_domain(core, "api-one.example")
    await make_host(core, "ns1.api.test")
    token, reader = await new_key(core), await new_key(core, "read-only")
    body = {"rows": [{"name": "api-one.example", "years": 1, "current_expiry": f"{created.expires_at:%Y-%m-%d}"},
                     {"name": "api-none.example", "years": 1, "current_expiry": "2030-01-01"}]}
    status, answer = await call(api, "POST", "/api/v1/bulk/renew", token, body)
    assert status == 200, answer
    assert [(r["name"], r["ok"], r["code"]) for r in answer["results"]] == [
        ("api-one.example", True, 1000), ("api-none.example", False, 2303)]
    status, answer = await call(api, "POST", "/api/v1/bulk/nameservers", token,
                                {"rows": [{"name": "api-one.example", "nameservers": ["ns1.api.test"]}]})
    assert status == 200 and answer["results"][0]["detail"] == "name servers: ns1.api.test"
    assert (await domains.info_domain(core, actor("alpha"), "api-one.example")).nameservers == ("ns1.api.test",)
    assert (await call(api, "POST", "/api/v1/bulk/renew", token, {"rows": []}))[0] == 422
    assert (await call(api, "POST", "/api/v1/bulk/renew", token, {"rows": [{"name": "x"}]}))[0] == 422
    status, answer = await call(api, "POST", "/api/v1/bulk/nameservers", reader,
                                {"rows": [{"name": "api-one.example", "nameservers": []}]})
    assert status == 403
    assert (await domains.info_domain(core, actor("alpha"), "api-one.example")).nameservers == ("ns1.api.test",)
