"""Registry lock over real EPP sessions: the code is read from the real SMTP relay the
dispatcher sends through (tests/notify/peers.py); a locked domain refuses update, delete and
transfer with 2304, each refusal in the history; a DS change passes where the TLD allows it;
unlock needs the mailed code, which lives one hour."""

from __future__ import annotations

from datetime import timedelta

import pytest

from protocols.epp.client import DsData, secdns_update
from protocols.epp.results import ResultCode
from registry_core.errors import InvalidValue, PolicyViolation
from registry_core.model.accounts import Principal
from registry_core.services import registrars, registry_lock, server_statuses, tlds
from tests.conftest import fetch
from tests.notify.conftest import mailed_code, notify_certs, peers  # noqa: F401 (SMTP relay fixtures)

OWNER = Principal("user", 7, "owner@alpha.test", "owner", "alpha")
DS = DsData(12345, 13, 2, "49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC49FD")
AUTH = "Lock-Auth1"


async def history(core, name: str) -> list[tuple[str, dict | None]]:
    rows = await fetch(core, "SELECT action, after FROM history WHERE object_name = $1 ORDER BY id", name)
    return [(r["action"], r["after"]) for r in rows]


@pytest.fixture
async def locked(registry, clients, peers):  # noqa: F811
    await registrars.update_registrar(registry, "alpha", email="ops@alpha.test")
    await tlds.configure_tld(registry, "example", lock_allows_ds=True)
    alpha = await clients.login("alpha")
    assert (await alpha.domain_create("vault.example", auth_info=AUTH)).code == ResultCode.SUCCESS
    request = await registry_lock.request_lock(registry, OWNER, "vault.example", "lock", "customer asked, ticket 42")
    code = await mailed_code(registry, peers, request.id)
    done = await registry_lock.confirm_lock(registry, OWNER, request.id, code)
    assert done.state == "confirmed"
    return alpha


async def test_a_locked_domain_refuses_update_delete_and_transfer_with_2304_and_logs_each(registry, clients, locked):
    info = await locked.domain_info("vault.example")
    shown = info.xpath("epp:response/epp:resData/domain:infData/domain:status/@s")
    assert {"serverUpdateProhibited", "serverDeleteProhibited", "serverTransferProhibited"} <= set(shown)
    upd = await locked.domain_update("vault.example", add_status=["clientHold"])
    assert upd.code == ResultCode.OBJECT_STATUS_PROHIBITS_OPERATION
    assert (await locked.domain_delete("vault.example")).code == ResultCode.OBJECT_STATUS_PROHIBITS_OPERATION
    beta = await clients.login("beta")
    tr = await beta.domain_transfer("request", "vault.example", auth_info=AUTH)
    assert tr.code == ResultCode.OBJECT_STATUS_PROHIBITS_OPERATION
    refused = [after["operation"] for action, after in await history(registry, "vault.example")
               if action == "lock-refused"]
    assert refused == ["update", "delete", "transfer"]
    admin = Principal("user", 1, "root", "admin", None)
    with pytest.raises(PolicyViolation, match="registry lock"):  # the lock is lifted only by an unlock request
        await server_statuses.set_server_statuses(registry, admin, "vault.example", [], ["serverDeleteProhibited"],
                                                  "shortcut")


async def test_a_ds_change_passes_under_lock_only_where_the_tld_allows_it(registry, locked):
    ok = await locked.domain_update("vault.example", extensions=[secdns_update(add=[DS])])
    assert ok.code == ResultCode.SUCCESS
    await tlds.configure_tld(registry, "example", lock_allows_ds=False)
    refused = await locked.domain_update("vault.example", extensions=[secdns_update(rem_all=True)])
    assert refused.code == ResultCode.OBJECT_STATUS_PROHIBITS_OPERATION
    mixed = await locked.domain_update("vault.example", add_status=["clientHold"],
                                       extensions=[secdns_update(rem_all=True)])
    assert mixed.code == ResultCode.OBJECT_STATUS_PROHIBITS_OPERATION


async def test_unlock_needs_the_mailed_code_which_lives_one_hour(registry, clock, peers, locked):  # noqa: F811
    request = await registry_lock.request_lock(registry, OWNER, "vault.example", "unlock", "key rollover done")
    code = await mailed_code(registry, peers, request.id)
    wrong = "0" * 8 if code != "0" * 8 else "1" * 8
    with pytest.raises(InvalidValue, match="does not match"):
        await registry_lock.confirm_lock(registry, OWNER, request.id, wrong)
    clock.frozen = request.requested_at + timedelta(hours=1, seconds=1)
    with pytest.raises(InvalidValue, match="expired"):
        await registry_lock.confirm_lock(registry, OWNER, request.id, code)
    clock.frozen = None
    again = await registry_lock.request_lock(registry, OWNER, "vault.example", "unlock", "key rollover done")
    await registry_lock.confirm_lock(registry, OWNER, again.id, await mailed_code(registry, peers, again.id))
    assert (await locked.domain_delete("vault.example")).code in (ResultCode.SUCCESS, ResultCode.SUCCESS_ACTION_PENDING)
    actions = [a for a, _ in await history(registry, "vault.example")]
    assert actions[:4] == ["create", "lock-requested", "lock", "unlock-requested"]
    assert "unlock" in actions
