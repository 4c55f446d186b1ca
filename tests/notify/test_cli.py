"""`registry notify ...`, `registry registrar webhook ...` and `notify-prefs` through the
CLI's `main`, against the real test database."""

from __future__ import annotations

import re
from decimal import Decimal

from registry_core.context import Core
from tests.conftest import fetch
from tests.core.helpers import make_domain
from tests.ops.test_cli import Run, registry  # noqa: F401 - the fixture


async def test_webhook_endpoints_add_list_rotate_remove(registry: Run, core: Core) -> None:  # noqa: F811
    code, out, err = await registry("registrar", "webhook", "add", "alpha", "https://hooks.alpha.test/in")
    assert code == 0, err
    endpoint, secret = re.search(r"endpoint (\d+)\nsecret   (whsec_\S+)", out).groups()  # type: ignore[union-attr]
    code, out, _ = await registry("registrar", "webhook", "list", "alpha")
    assert out.startswith(f"{endpoint}\thttps://hooks.alpha.test/in\tadded ") and secret not in out
    code, out, _ = await registry("registrar", "webhook", "rotate", "alpha", endpoint, "--overlap", "6")
    assert code == 0 and "whsec_" in out and secret not in out
    assert "previous secret valid until" in (await registry("registrar", "webhook", "list", "alpha"))[1]
    assert (await registry("registrar", "webhook", "add", "alpha", "http://plain.test/"))[0] == 1
    assert (await registry("registrar", "webhook", "remove", "beta", endpoint))[0] == 1  # not beta's
    assert await registry("registrar", "webhook", "remove", "alpha", endpoint) == \
        (0, f"endpoint {endpoint} removed\n", "")
    assert (await registry("registrar", "webhook", "list", "alpha"))[1] == ""


async def test_notify_prefs_set_list_reset_and_low_balance(registry: Run, core: Core) -> None:  # noqa: F811
    code, out, err = await registry("registrar", "notify-prefs", "alpha", "--email", "a@alpha.test",
                                    "--email", "b@alpha.test", "--no-webhook", "--low-balance", "250")
    assert (code, out) == (0, "*\temail: a@alpha.test, b@alpha.test\twebhooks: none\n"), err
    code, out, _ = await registry("registrar", "notify-prefs", "alpha", "--event", "domain.renewed",
                                  "--no-email")
    assert out == "*\temail: a@alpha.test, b@alpha.test\twebhooks: none\ndomain.renewed\temail: none\twebhooks: all\n"
    code, out, _ = await registry("registrar", "notify-prefs", "alpha", "--event", "*", "--reset")
    assert out == "domain.renewed\temail: none\twebhooks: all\n"
    [row] = await fetch(core, "SELECT low_balance_alert FROM registrar WHERE id = 'alpha'")
    assert row["low_balance_alert"] == Decimal(250)
    assert (await registry("registrar", "notify-prefs", "nobody"))[0] == 1


async def test_notify_status_list_show_retry_replay(registry: Run, core: Core) -> None:  # noqa: F811
    await registry("registrar", "webhook", "add", "alpha", "https://hooks.alpha.test/in")
    await make_domain(core, "cli.example")
    code, out, _ = await registry("notify", "status")
    assert "webhook/queued       1\n" in out and "poll" not in out and "oldest waiting" in out
    code, out, _ = await registry("notify", "list", "--registrar", "alpha")
    [line] = [x for x in out.splitlines() if "domain.created" in x]
    row_id = line.split("\t")[0]
    assert line.split("\t")[1:4] == ["queued", "webhook", line.split("\t")[3]]
    code, out, _ = await registry("notify", "show", row_id)
    assert code == 0 and '"domain": "cli.example"' in out
    assert (await registry("notify", "retry", row_id))[0] == 1  # queued: nothing to retry
    await fetch(core, "UPDATE notification SET status = 'dead' WHERE id = $1", int(row_id))
    assert await registry("notify", "retry", row_id) == (0, f"notification {row_id} queued again\n", "")
    assert (await registry("notify", "replay", "--since", "2000-01-01"))[1] == "0 notifications queued again\n"
    await fetch(core, "UPDATE notification SET status = 'sent' WHERE id = $1", int(row_id))  # as if delivered
    assert (await registry("notify", "replay", "--since", "2000-01-01", "--unsent"))[1] == \
        "0 notifications queued again\n"
    assert (await registry("notify", "replay", "--since", "2000-01-01"))[1] == "1 notifications queued again\n"
    code, out, _ = await registry("notify", "prefs", "--email", "noc@registry.test")
    assert out == "*\temail: noc@registry.test\twebhooks: all\n"


async def test_notify_prune_deletes_finished_events_only(registry: Run, core: Core) -> None:  # noqa: F811
    await registry("registrar", "webhook", "add", "alpha", "https://hooks.alpha.test/in")
    await make_domain(core, "prune-a.example")
    await make_domain(core, "prune-b.example")
    await fetch(core, "UPDATE notification SET status = 'sent' WHERE event_id = (SELECT id FROM notification_event "
                      "WHERE payload->>'domain' = 'prune-a.example')")
    assert await registry("notify", "prune") == (0, "0 finished notification events older than 90 days deleted\n", "")
    code, out, _ = await registry("notify", "prune", "--keep-days", "0")  # also the events that had no delivery
    assert code == 0 and out.endswith(" finished notification events older than 0 days deleted\n")
    assert [r["name"] for r in await fetch(core, "SELECT payload->>'domain' AS name FROM notification_event "
                                                 "WHERE type = 'domain.created'")] == ["prune-b.example"]
