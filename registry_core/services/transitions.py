"""The lifecycle transitions of one locked domain, applied inside the caller's transaction.

Each writes its history row, moves money where money moves and queues one poll message
for the sponsor. `advance` applies every transition due at the transaction's `now`, so a
runner that was late catches up in one step; it is what the lifecycle runner calls, and
what a restore command calls first so that it never acts on a stale state.
"""

from __future__ import annotations

from typing import Any

from registry_core.context import Core
from registry_core.db.repo import dns_changes, objects
from registry_core.db.repo import domains as domain_repo
from registry_core.db.repo import lifecycle as repo
from registry_core.db.tx import Tx
from registry_core.model import lifecycle as lc
from registry_core.model import notification as note
from registry_core.model.actor import Actor
from registry_core.model.notification import PollEntry
from registry_core.model.periods import add_years
from registry_core.model.registrar import Tld
from registry_core.services import grace, notifications, pricing, transfers

MAX_STEPS = 4  # expire -> redemption end -> purge is the longest chain
_EVENTS = {lc.AUTO_RENEW: note.DOMAIN_AUTO_RENEWED, lc.REDEMPTION_END: note.DOMAIN_REDEMPTION_ENDED,
           lc.RESTORE_LAPSE: note.DOMAIN_RESTORE_LAPSED}


def _state(row: dict[str, Any]) -> dict[str, Any]:
    return {"statuses": list(row["statuses"]), "expires_at": row["expires_at"], "rgp_state": row["rgp_state"],
            "rgp_until": row["rgp_until"], "sponsor_id": row["sponsor_id"]}


async def _record(tx: Tx, actor: Actor, row: dict[str, Any], action: str, values: dict[str, Any],
                  message: str) -> dict[str, Any]:
    """Write `values`, the history row and the sponsor's poll message; return the new row."""
    after = {**row, **values}
    await domain_repo.update_domain(tx.conn, row["id"], values)
    await objects.insert_history(tx.conn, actor, tx.now, "domain", row["id"], row["name"], action,
                                 _state(row), _state(after))
    await notifications.emit(tx, actor.sv_trid, notifications.domain_event(
        _EVENTS[action], row["sponsor_id"], row,
        {"event": action, "exDate": after["expires_at"], "rgpState": after["rgp_state"], "until": after["rgp_until"]},
        PollEntry(action, message)))
    return after


async def enter_redemption(tx: Tx, actor: Actor, row: dict[str, Any], tld: Tld,
                           action: str = "delete") -> dict[str, Any]:
    """Delete outside the add grace period: out of the zone (pendingDelete) and restorable
    until the redemption period ends. History only; the caller decides on a poll message."""
    until = tx.now + tld.redemption_period
    values = {"statuses": sorted(set(row["statuses"]) | {"pendingDelete"}), "rgp_state": "redemptionPeriod",
              "rgp_until": until, "redemption_ends_at": until, "delete_requested_at": tx.now,
              "updated_at": tx.now}
    if actor.registrar_id:
        values["updater_id"] = actor.registrar_id
    await repo.delete_all_grace_periods(tx.conn, row["id"], tx.now)
    await domain_repo.update_domain(tx.conn, row["id"], values)
    await dns_changes.record_dns_changes(tx.conn, tx.now, domains=[row["id"]])  # out of the zone
    after = {**row, **values}
    await objects.insert_history(tx.conn, actor, tx.now, "domain", row["id"], row["name"], action,
                                 _state(row), _state(after))
    return after


async def auto_renew(tx: Tx, actor: Actor, row: dict[str, Any], tld: Tld) -> dict[str, Any] | None:
    """Renew an expired domain for a year at the sponsor's renew price; None when the
    sponsor's balance and credit cannot pay for it (the domain then expires)."""
    quote = await pricing.quote_in(tx, row["sponsor_id"], row["name"], tld, "renew", 1)
    if await repo.fetch_available_funds(tx.conn, row["sponsor_id"]) < quote.total:
        return None
    expires = add_years(row["expires_at"], 1)
    after = await _record(tx, actor, row, lc.AUTO_RENEW, {"expires_at": expires},
                          f"Domain auto-renewed until {expires:%Y-%m-%d}; charged {quote.total} {quote.currency}.")
    await grace.open_grace(tx, row["id"], "autoRenewPeriod", row["sponsor_id"], actor.sv_trid,
                           tld.autorenew_grace, quote)
    await pricing.charge_quote(tx, actor, row["sponsor_id"], quote, ("domain", row["id"], row["name"]),
                               "autorenew")
    return after


async def expire(tx: Tx, core: Core, actor: Actor, row: dict[str, Any], tld: Tld) -> dict[str, Any]:
    """An expired domain that is not auto-renewed enters redemption like a server delete;
    a transfer still pending is cancelled by the registry (and refunded)."""
    pending = await objects.fetch_pending_transfer(tx.conn, "domain", row["id"])
    if pending is not None:
        await transfers.finish_transfer(tx, core, actor, "domain", row, tld, pending, "serverCancelled")
    after = await enter_redemption(tx, actor, row, tld, lc.EXPIRE)
    await notifications.emit(tx, actor.sv_trid, notifications.domain_event(
        note.DOMAIN_REDEMPTION, row["sponsor_id"], row,
        {"event": lc.EXPIRE, "exDate": row["expires_at"], "rgpState": "redemptionPeriod", "until": after["rgp_until"]},
        PollEntry(lc.EXPIRE, "Domain expired and entered the redemption period.")))
    return after


async def end_redemption(tx: Tx, actor: Actor, row: dict[str, Any], tld: Tld) -> dict[str, Any]:
    until = row["rgp_until"] + tld.pending_delete_period
    return await _record(tx, actor, row, lc.REDEMPTION_END, {"rgp_state": "pendingDelete", "rgp_until": until},
                         f"Redemption period over; the domain will be purged at {until:%Y-%m-%d %H:%M}Z.")


async def lapse_restore(tx: Tx, actor: Actor, row: dict[str, Any]) -> dict[str, Any]:
    """No restore report in time: back to redemption, the restore charge refunded and its
    renewal year taken back (RFC 3915 section 3.2)."""
    graces = [g for g in await repo.fetch_grace_periods(tx.conn, row["id"]) if g.kind == lc.PENDING_RESTORE]
    await grace.refund_graces(tx, actor, row, graces, "restore not completed")
    expires = row["expires_at"]
    for period in graces:
        expires = add_years(expires, -period.period_years)
    until = max(row["redemption_ends_at"] or tx.now, tx.now)
    return await _record(tx, actor, row, lc.RESTORE_LAPSE,
                         {"rgp_state": "redemptionPeriod", "rgp_until": until, "expires_at": expires},
                         "No restore report arrived in time; the domain is back in redemption, "
                         "the restore fee refunded.")


async def _links_state(tx: Tx, row: dict[str, Any]) -> dict[str, Any]:
    """The domain's state with its registrant, contacts, name servers and DS (the fields of a
    domain snapshot), as a purge's history row records it."""
    links = await domain_repo.fetch_domain_details(tx.conn, row["id"])
    ds = await domain_repo.fetch_ds(tx.conn, row["id"])
    return {**_state(row), "registrant": links["registrant"], "contacts": [list(c) for c in links["contacts"]],
            "nameservers": list(links["nameservers"]), "ds": [[d.key_tag, d.alg, d.digest_type, d.digest] for d in ds]}


async def purge(tx: Tx, actor: Actor, row: dict[str, Any], action: str = lc.PURGE,
                *, notify: bool = True) -> None:
    """Remove the domain for good: links, grace periods, subordinate hosts; the name is free."""
    # before the links go: the change log takes the owners (its name servers, its hosts) from them
    await dns_changes.record_dns_changes(tx.conn, tx.now, domains=[row["id"]])
    before = await _links_state(tx, row)  # what the purge takes away, for the history to give back
    await _purge_hosts(tx, actor, row)
    await domain_repo.delete_all_links(tx.conn, row["id"])
    await repo.delete_all_grace_periods(tx.conn, row["id"], tx.now)
    await domain_repo.update_domain(tx.conn, row["id"], {"registrant_id": None, "deleted_at": tx.now})
    await objects.insert_history(tx.conn, actor, tx.now, "domain", row["id"], row["name"], action, before, None)
    if notify:
        await notifications.emit(tx, actor.sv_trid, notifications.domain_event(
            note.DOMAIN_PURGED, row["sponsor_id"], row, {"event": action},
            PollEntry(action, "Domain purged; the name is available again.")))


async def _purge_hosts(tx: Tx, actor: Actor, row: dict[str, Any]) -> None:
    """Subordinate hosts go with their domain (only an expired domain can still have any);
    each domain that delegated to one loses that name server, with a history row and a
    poll message to its sponsor."""
    hosts, cut = await repo.purge_subordinate_hosts(tx.conn, row["id"], tx.now)
    for host_id, host_name in hosts:
        await objects.insert_history(tx.conn, actor, tx.now, "host", host_id, host_name, "delete",
                                     {"superordinate": row["name"]}, None)
    if cut:  # each domain that lost a name server has a new NS set
        await dns_changes.record_dns_changes(tx.conn, tx.now, domains=sorted({link["domain_id"] for link in cut}))
    for link in cut:
        await objects.insert_history(tx.conn, actor, tx.now, "domain", link["domain_id"], link["domain_name"],
                                     "nameserver-purged", {"nameserver": link["host_name"]}, None)
        await notifications.emit(tx, actor.sv_trid, notifications.domain_event(
            note.DOMAIN_NAMESERVER_PURGED, link["sponsor_id"], {"name": link["domain_name"]},
            {"event": "nameserverPurged", "host": link["host_name"]},
            PollEntry("nameserverPurged", f"Name server {link['host_name']} was removed from "
                                          f"{link['domain_name']}: its domain was purged.")))


async def advance(tx: Tx, core: Core, actor: Actor, row: dict[str, Any], tld: Tld) -> list[str]:
    """Apply every transition due at `tx.now`; returns their names in order."""
    done: list[str] = []
    current: dict[str, Any] | None = row
    for _ in range(MAX_STEPS):
        if current is None:
            break
        step, current = await _step(tx, core, actor, current, tld)
        if step is None:
            break
        done.append(step)
    return done


async def _step(tx: Tx, core: Core, actor: Actor, row: dict[str, Any],
                tld: Tld) -> tuple[str | None, dict[str, Any] | None]:
    state, now = row["rgp_state"], tx.now
    if state is None:
        if row["expires_at"] > now or "pendingDelete" in row["statuses"]:
            return None, row
        renewed = await auto_renew(tx, actor, row, tld) if tld.auto_renew else None
        if renewed is not None:
            return lc.AUTO_RENEW, renewed
        return lc.EXPIRE, await expire(tx, core, actor, row, tld)
    if row["rgp_until"] > now:
        return None, row
    if state == "redemptionPeriod":
        return lc.REDEMPTION_END, await end_redemption(tx, actor, row, tld)
    if state == lc.PENDING_RESTORE:
        return lc.RESTORE_LAPSE, await lapse_restore(tx, actor, row)
    await purge(tx, actor, row)
    return lc.PURGE, None
