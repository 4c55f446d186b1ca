"""Fraud and abuse over real EPP sessions on the real database: the velocity rule trips at
the configured count and holds the rest for review (poll message and e-mail to the
registrar), a Cyrillic look-alike of a protected name is flagged, a threat feed with a
listed domain opens a case at the next match, case actions are audited and show in the
audit search, and the Specification 11 statistics count them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from registry_core.context import Core
from registry_core.errors import PolicyViolation
from registry_core.model.accounts import Principal
from registry_core.model.icann_reports import Month
from registry_core.services import abuse, audit_search, registrars, risk
from tests.conftest import fetch
from tests.epp.conftest import Clients

STAFF = Principal("user", 1, "ops", "admin", None)


async def cases(core: Core, threat: str) -> list[dict]:
    return await fetch(core, "SELECT * FROM abuse_case WHERE threat_type = $1 ORDER BY id", threat)


async def test_a_burst_of_creates_trips_the_velocity_rule_at_its_count_and_holds_the_rest(
        registry: Core, clients: Clients) -> None:
    await risk.set_policy(registry, "example", velocity_limit=150, verdict="hold")
    await registrars.credit_registrar(registry, "alpha", Decimal(10_000), "for the burst", "burst-credit")
    epp = await clients.login("alpha")
    for i in range(200):
        assert (await epp.domain_create(f"burst{i:03d}.example", auth_info="Burst-Auth1")).code == 1000
    held = await fetch(registry, "SELECT name FROM domain WHERE 'serverHold' = ANY (statuses) ORDER BY name")
    assert [r["name"] for r in held] == [f"burst{i:03d}.example" for i in range(150, 200)]
    velocity = await cases(registry, "velocity")
    assert len(velocity) == 50 and velocity[0]["domain_name"] == "burst150.example"
    assert velocity[0]["detail"]["verdict"] == "hold" and velocity[0]["registrar_id"] == "alpha"
    polls = await fetch(registry, "SELECT message FROM poll_message WHERE kind = 'riskHold' ORDER BY id")
    assert len(polls) == 50 and polls[0]["message"].startswith("Created on serverHold pending review: 150 creates")
    mails = await fetch(registry, "SELECT count(*) AS n FROM notification_event WHERE type = 'domain.review.held'")
    assert mails[0]["n"] == 50
    other = await clients.login("beta")  # another registrar is not slowed by alpha's burst
    assert (await other.domain_create("calm.example", auth_info="Calm-Auth1")).code == 1000
    assert not await fetch(registry, "SELECT 1 FROM abuse_case WHERE domain_name = 'calm.example'")


async def test_a_cyrillic_look_alike_of_a_protected_name_is_flagged(registry: Core, clients: Clients) -> None:
    await risk.set_policy(registry, "example", verdict="flag")
    await risk.protect_names(registry, ["paypal"])
    epp = await clients.login("alpha")
    assert (await epp.domain_create("раypal.example", auth_info="Look-Auth1")).code == 1000  # Cyrillic р, а
    assert (await epp.domain_create("paypal.example", auth_info="Look-Auth1")).code == 1000  # the name itself
    [case] = await cases(registry, "look-alike")
    assert case["domain_name"] == "xn--ypal-43d9g.example" and "paypal" in case["detail"]["detail"]
    assert "mixed scripts" in case["detail"]["detail"] and case["detail"]["verdict"] == "flag"
    [row] = await fetch(registry, "SELECT statuses FROM domain WHERE name = 'xn--ypal-43d9g.example'")
    assert row["statuses"] == []  # flagged, not held


async def test_a_feed_match_opens_a_case_and_every_action_is_audited(registry: Core, clients: Clients) -> None:
    epp = await clients.login("alpha")
    assert (await epp.domain_create("phish.example", auth_info="Phish-Auth1")).code == 1000
    assert (await epp.domain_create("fine.example", auth_info="Fine-Auth1")).code == 1000
    await abuse.import_feed(registry, "urlhaus", "urlhaus.csv",
                            '# id,dateadded,url,url_status,last_online,threat,tags\n'
                            '"1","2026-12-01","http://phish.example/login","online","","phishing","x"\n', "csv")
    assert await abuse.match_feeds(registry) != []
    assert await abuse.match_feeds(registry) == []  # the next run: the case is open already
    [case] = await cases(registry, "phishing")
    assert (case["domain_name"], case["source"], case["state"]) == ("phish.example", "feed", "new")
    for action in ("triage", "notify", "hold", "close"):
        await abuse.act_on_case(registry, STAFF, case["id"], action, f"step {action}")
    [closed] = await cases(registry, "phishing")
    assert closed["state"] == "closed" and closed["acted_at"] is not None
    [row] = await fetch(registry, "SELECT statuses FROM domain WHERE name = 'phish.example'")
    assert row["statuses"] == ["serverHold"]
    trail = await audit_search.search_history(registry, STAFF, "phish.example")
    actions = [r.action for r in reversed(trail)]
    assert actions[actions.index("abuse-case-opened"):] == [
        "abuse-case-opened", "abuse-triage", "abuse-notify", "server-status", "abuse-hold", "abuse-close"]
    told = await fetch(registry, "SELECT audience FROM notification_event WHERE type = 'domain.abuse.reported'")
    assert [t["audience"] for t in told] == ["registrar:alpha"]
    month = Month(datetime.now(UTC).year, datetime.now(UTC).month)
    [stats] = await abuse.threat_stats(registry, "example", month)
    assert (stats["threat_type"], stats["opened"], stats["acted"]) == ("phishing", 1, 1)


async def test_release_takes_off_only_what_the_case_placed(registry: Core, clients: Clients) -> None:
    epp = await clients.login("alpha")
    assert (await epp.domain_create("cleaned.example", auth_info="Clean-Auth1")).code == 1000
    await abuse.import_feed(registry, "list", "bad.txt", "cleaned.example\n", "list")
    await abuse.match_feeds(registry)
    [case] = await fetch(registry, "SELECT id FROM abuse_case WHERE domain_name = 'cleaned.example'")
    with pytest.raises(PolicyViolation, match="release is not possible now"):
        await abuse.act_on_case(registry, STAFF, case["id"], "release", "too early")
    await abuse.act_on_case(registry, STAFF, case["id"], "triage", "looked at")
    await abuse.act_on_case(registry, STAFF, case["id"], "hold", "phishing kit online")
    await abuse.act_on_case(registry, STAFF, case["id"], "transfer-lock", "keep it here")
    async with registry.db.pool.acquire() as conn:  # a status the case did not place
        await conn.execute("UPDATE domain SET statuses = statuses || '{serverRenewProhibited}' "
                           "WHERE name = 'cleaned.example'")
    released = await abuse.act_on_case(registry, STAFF, case["id"], "release", "the site is cleaned")
    assert released["state"] == "action-taken" and released["placed_statuses"] == []
    [row] = await fetch(registry, "SELECT statuses FROM domain WHERE name = 'cleaned.example'")
    assert row["statuses"] == ["serverRenewProhibited"]
    with pytest.raises(PolicyViolation, match="placed no status"):
        await abuse.act_on_case(registry, STAFF, case["id"], "release", "again")
    trail = [r.action for r in await audit_search.search_history(registry, STAFF, "cleaned.example")]
    assert "abuse-release" in trail
