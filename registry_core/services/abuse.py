"""Threat feeds, the daily match, and abuse cases worked by registry staff.

A feed import replaces the feed's entries (first-seen dates kept). The match looks at
every live domain listed in a feed or delegated to a listed name server and opens a case
for each (at most one open case per domain, source and threat type). A case's actions are
each audited as a history row of the domain with who and why: triage, notify the
registrar (e-mail and webhook through the outbox), serverHold, serverTransferProhibited, a
note, close. Nothing is deleted on suspicion."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import abuse_cases as case_repo
from registry_core.db.repo import objects
from registry_core.db.repo import risk as repo
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, ObjectNotFound, PermissionDenied
from registry_core.model import abuse_case as cases
from registry_core.model import notification as note
from registry_core.model.accounts import Principal, allowed
from registry_core.model.actor import Actor
from registry_core.model.icann_reports import Month
from registry_core.model.threat_feeds import FORMATS, parse_feed
from registry_core.services import notifications, server_statuses

CASE_DEADLINE = timedelta(days=3)
RESPONSE_WINDOW = timedelta(hours=48)  # a notified sponsor answers within this ([abuse] response_hours)
ACTIONS = cases.ACTIONS


async def import_feed(core: Core, name: str, source: str, text: str, fmt: str) -> int:
    if fmt not in FORMATS:
        raise InvalidValue(f"feed format is one of {', '.join(FORMATS)}", object_type="feed", name=name)
    entries = parse_feed(text, fmt)

    async def run(tx: Tx) -> int:
        return await repo.replace_feed(tx.conn, name, source, fmt, entries, tx.now)
    count: int = await core.db.transaction(run)
    return count


async def match_feeds(core: Core) -> list[int]:
    """Open a case for every match not already open; the new cases' ids."""
    async def run(tx: Tx) -> list[int]:
        opened = []
        for match in await repo.fetch_feed_matches(tx.conn):
            case_id = await repo.open_case(tx.conn, {
                "domain_name": match["domain_name"], "tld": match["tld"], "registrar_id": match["sponsor_id"],
                "source": "feed", "threat_type": match["threat_type"],
                "detail": {"feed": match["feed"], "listed": match["listed"]},
                "opened_at": tx.now, "due_at": tx.now + CASE_DEADLINE})
            if case_id is not None:
                opened.append(case_id)
                await objects.insert_history(tx.conn, None, tx.now, "domain", None, match["domain_name"],
                                             "abuse-case-opened", None,
                                             {"case": case_id, "feed": match["feed"], "listed": match["listed"]},
                                             sv_trid=f"ABUSE-{case_id}")
        return opened
    result: list[int] = await core.db.transaction(run)
    return result


async def list_cases(core: Core, state: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = await core.db.transaction(
        lambda tx: repo.fetch_cases(tx.conn, state, limit), readonly=True)
    return result


async def act_on_case(core: Core, who: Principal, case_id: int, action: str, reason: str, *,
                      response_window: timedelta = RESPONSE_WINDOW,
                      origin: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """One audited step of the workflow (model/abuse_case.py) in one transaction, with its
    status change (hold, transfer-lock; release takes off what the case placed) and the
    sponsor's notice (notify: e-mail, webhook);
    the case after it. Registry admins and support act; other roles only look."""
    if not (who.staff and allowed(who, "registry.support")):
        raise PermissionDenied(f"the {who.role} role may not act on abuse cases", object_type="abuse_case",
                               name=str(case_id))
    why = cases.reason_text(reason)

    async def run(tx: Tx) -> dict[str, Any]:
        current = await repo.fetch_case(tx.conn, case_id, lock=True)
        if current is None:
            raise ObjectNotFound("no such abuse case", object_type="abuse_case", name=str(case_id))
        values: dict[str, Any] = {"state": cases.state_after(current["state"], action, case_id)}
        actor = Actor("", f"ABUSE-{case_id}", None, ((who.kind, who.name), *origin))
        placed = list(current["placed_statuses"])
        if action in cases.STATUS_OF:
            status = cases.STATUS_OF[action]
            await server_statuses.apply_server_statuses(tx, actor, current["domain_name"], {status}, set(),
                                                        f"abuse case {case_id}: {why}")
            values["acted_at"] = current["acted_at"] or tx.now
            values["placed_statuses"] = sorted({*placed, status})
        if action == "release":
            locked = await server_statuses.is_registry_locked(tx, current["domain_name"])
            taken_off = cases.released(placed, locked, case_id)
            await server_statuses.apply_server_statuses(tx, actor, current["domain_name"], set(), taken_off,
                                                        f"abuse case {case_id} released: {why}")
            values["placed_statuses"] = sorted(set(placed) - taken_off)
        if action == "notify":
            hours = await case_repo.fetch_response_hours(tx.conn, current["tld"])
            values["notified_at"] = tx.now
            values["due_at"] = tx.now + (timedelta(hours=hours) if hours else response_window)
        if action == "close":
            values["closed_at"] = tx.now
        await repo.update_case(tx.conn, case_id, values)
        await objects.insert_history(tx.conn, actor, tx.now, "domain", None, current["domain_name"],
                                     f"abuse-{action}", {"state": current["state"]},
                                     {"case": case_id, "state": values["state"], "reason": why})
        if action == "notify" and current["registrar_id"]:
            await _notify_sponsor(tx, actor, {**current, **values}, why)
        updated = await repo.fetch_case(tx.conn, case_id)
        assert updated is not None
        return updated
    result: dict[str, Any] = await core.db.transaction(run)
    return result


async def _notify_sponsor(tx: Tx, actor: Actor, case: dict[str, Any], why: str) -> None:
    """The sponsor hears of the case by e-mail and webhook (the reporters' addresses stay
    with the registry; what they reported goes along)."""
    reports = await case_repo.fetch_reports(tx.conn, case["id"])
    await notifications.emit(tx, actor.sv_trid, notifications.domain_event(
        note.ABUSE_REPORTED, case["registrar_id"], {"name": case["domain_name"]},
        {"case": case["id"], "threat": case["threat_type"], "reason": why, "respondBy": case["due_at"],
         "reports": [r["body"][:2000] for r in reports[-3:]]}))


async def threat_stats(core: Core, tld: str, month: Month) -> list[dict[str, Any]]:
    """Specification 11 statistics: cases opened in the month by threat type and source,
    how many were acted on, and the median hours to the first action."""
    result: list[dict[str, Any]] = await core.db.transaction(
        lambda tx: repo.fetch_threat_stats(tx.conn, tld, month.start, month.end), readonly=True)
    return result
