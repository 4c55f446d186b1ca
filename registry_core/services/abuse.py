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
from registry_core.db.repo import objects
from registry_core.db.repo import risk as repo
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, ObjectNotFound
from registry_core.model import notification as note
from registry_core.model.accounts import Principal
from registry_core.model.actor import Actor
from registry_core.model.icann_reports import Month
from registry_core.model.threat_feeds import FORMATS, parse_feed
from registry_core.services import notifications, server_statuses

CASE_DEADLINE = timedelta(days=3)
ACTIONS = ("triage", "notify", "hold", "transfer-lock", "note", "close")
_STATE_AFTER = {"triage": "triaged", "notify": "registrar-notified", "hold": "action-taken",
                "transfer-lock": "action-taken", "close": "closed"}
_STATUS_OF = {"hold": "serverHold", "transfer-lock": "serverTransferProhibited"}


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


async def act_on_case(core: Core, who: Principal, case_id: int, action: str, reason: str) -> dict[str, Any]:
    """One audited action; the case after it."""
    if action not in ACTIONS:
        raise InvalidValue(f"action is one of {', '.join(ACTIONS)}", object_type="abuse_case", field="action")
    if not " ".join(reason.split()):
        raise InvalidValue("a reason is required", object_type="abuse_case", field="reason")
    case = await _case(core, case_id)
    if action in _STATUS_OF:  # the status change is its own audited transform
        await server_statuses.set_server_statuses(core, who, case["domain_name"], [_STATUS_OF[action]], [],
                                                  f"abuse case {case_id}: {reason}")

    async def run(tx: Tx) -> dict[str, Any]:
        current = await repo.fetch_case(tx.conn, case_id, lock=True)
        assert current is not None
        values: dict[str, Any] = {"state": _STATE_AFTER.get(action, current["state"])}
        if action in _STATUS_OF and current["acted_at"] is None:
            values["acted_at"] = tx.now
        if action == "close":
            values["closed_at"] = tx.now
        await repo.update_case(tx.conn, case_id, values)
        actor = Actor("", f"ABUSE-{case_id}", None, ((who.kind, who.name),))
        await objects.insert_history(tx.conn, actor, tx.now, "domain", None, current["domain_name"],
                                     f"abuse-{action}", {"state": current["state"]},
                                     {"case": case_id, "state": values["state"], "reason": reason})
        if action == "notify" and current["registrar_id"]:
            await notifications.emit(tx, actor.sv_trid, notifications.domain_event(
                note.ABUSE_REPORTED, current["registrar_id"], {"name": current["domain_name"]},
                {"case": case_id, "threat": current["threat_type"], "reason": reason,
                 "respondBy": current["due_at"]}))
        updated = await repo.fetch_case(tx.conn, case_id)
        assert updated is not None
        return updated
    result: dict[str, Any] = await core.db.transaction(run)
    return result


async def _case(core: Core, case_id: int) -> dict[str, Any]:
    found = await core.db.transaction(lambda tx: repo.fetch_case(tx.conn, case_id), readonly=True)
    if found is None:
        raise ObjectNotFound("no such abuse case", object_type="abuse_case", name=str(case_id))
    return dict(found)


async def threat_stats(core: Core, tld: str, month: Month) -> list[dict[str, Any]]:
    """Specification 11 statistics: cases opened in the month by threat type and source,
    how many were acted on, and the median hours to the first action."""
    result: list[dict[str, Any]] = await core.db.transaction(
        lambda tx: repo.fetch_threat_stats(tx.conn, tld, month.start, month.end), readonly=True)
    return result
