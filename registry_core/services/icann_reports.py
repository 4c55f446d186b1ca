"""ICANN's monthly reports of a TLD (`registry report icann TLD --month YYYY-MM`), read in
one snapshot, and the servers' activity counts written in batches (`flush_activity`).

The grace rules: a delete inside the add grace period takes its create back (the month's
net adds of that term go down by one, wherever the create was counted) and counts as
deleted-domains-grace; a delete inside a renew or auto-renew grace period takes that
renewal back. attempted-adds are every <domain:create> answered, refused ones included."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import icann_reports as repo
from registry_core.db.tx import Tx
from registry_core.errors import not_found
from registry_core.model.icann_reports import YEARS, Month, RegistrarLine, activity_csv, transactions_csv
from registry_core.services import tlds

Tally = defaultdict[str, Counter[str]]


def _term(field: str, years: int | None) -> str | None:
    return f"{field}-{years}-yr" if years in YEARS else None


def _add(tally: Tally, registrar: str | None, field: str | None, n: int) -> None:
    if registrar is not None and field is not None:
        tally[registrar][field] += n


async def _adds_and_deletes(tx: Tx, tld: str, month: Month, tally: Tally) -> None:
    for row in await repo.fetch_adds(tx.conn, tld, month.start, month.end):
        _add(tally, row["registrar_id"], _term("net-adds", row["years"]), row["n"])
    for row in await repo.fetch_deletes(tx.conn, tld, month.start, month.end):
        if row["in_grace"]:
            _add(tally, row["registrar_id"], "deleted-domains-grace", row["n"])
            _add(tally, row["registrar_id"], _term("net-adds", row["years"]), -row["n"])
        else:
            _add(tally, row["registrar_id"], "deleted-domains-nograce", row["n"])
    for row in await repo.fetch_renews(tx.conn, tld, month.start, month.end):
        _add(tally, row["registrar_id"], _term("net-renews", row["years"]), row["n"])
    for row in await repo.fetch_renews_undone(tx.conn, tld, month.start, month.end):
        _add(tally, row["registrar_id"], _term("net-renews", row["years"]), -row["n"])


async def _transfers_and_restores(tx: Tx, tld: str, month: Month, tally: Tally) -> None:
    for row in await repo.fetch_transfers(tx.conn, tld, month.start, month.end):
        outcome = "nacked" if row["nacked"] else "successful"
        _add(tally, row["gaining_id"], f"transfer-gaining-{outcome}", row["n"])
        _add(tally, row["losing_id"], f"transfer-losing-{outcome}", row["n"])
    for row in await repo.fetch_restores(tx.conn, tld, month.start, month.end):
        field = "restored-domains" if row["action"] == "restore-report" else "restored-noreport"
        _add(tally, row["registrar_id"], field, row["n"])


async def _transactions(tx: Tx, tld: str, month: Month, activity: list[dict[str, Any]]) -> list[RegistrarLine]:
    tally: Tally = defaultdict(Counter)
    for kind, field in (("domain", "total-domains"), ("host", "total-nameservers")):
        for registrar, n in (await repo.fetch_sponsored(tx.conn, kind, tld, month.start, month.end)).items():
            _add(tally, registrar, field, n)
    await _adds_and_deletes(tx, tld, month, tally)
    await _transfers_and_restores(tx, tld, month, tally)
    for row in activity:
        if row["field"] == "srs-dom-create":
            _add(tally, row["registrar_id"], "attempted-adds", int(row["n"]))
    registrars = await repo.fetch_report_registrars(tx.conn)
    return [RegistrarLine(r["name"], r["iana_id"], tally.get(r["id"], Counter())) for r in registrars]


def _activity_counts(activity: list[dict[str, Any]], registrars: list[dict[str, Any]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in activity:
        counts[row["field"]] += int(row["n"])
    counts["operational-registrars"] = sum(1 for r in registrars if r["status"] != "suspended")
    return counts


async def monthly_reports(core: Core, tld: str, month: Month) -> tuple[bytes, bytes]:
    """(transactions CSV, activity CSV) of `tld` for `month`, from one consistent snapshot."""
    known = {t.name for t in await tlds.list_tlds(core)}
    if tld not in known:
        raise not_found("tld", tld)

    async def run(tx: Tx) -> tuple[bytes, bytes]:
        activity = await repo.fetch_activity(tx.conn, tld, month.start, month.end)
        lines = await _transactions(tx, tld, month, activity)
        registrars = await repo.fetch_report_registrars(tx.conn)
        return transactions_csv(lines), activity_csv(_activity_counts(activity, registrars))
    result: tuple[bytes, bytes] = await core.db.snapshot(run)
    return result


async def flush_activity(core: Core, counts: dict[tuple[str | None, str | None, str], int],
                         at: datetime | None = None) -> None:
    """Append one row per counted key, in one statement (its own short transaction)."""
    rows = [(tld, registrar, field, n) for (tld, registrar, field), n in counts.items() if n > 0]
    if not rows:
        return

    async def run(tx: Tx) -> None:
        await repo.insert_activity(tx.conn, at or tx.now, rows)
    await core.db.transaction(run)
