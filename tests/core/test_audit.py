"""The tamper-evident history: every history row is chained in the transaction that writes
it; `verify_history` names the first broken link after a row is edited, deleted or
appended behind the registry's back, and the signed checkpoints catch a lane rewritten
consistently (hashes recomputed) after they were signed. Rules on values first, then
against the real database, where the tampering is done in SQL as an intruder would."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from registry_core.context import Core
from registry_core.crypto import AuditSigner
from registry_core.model import audit
from registry_core.model.audit import GENESIS, ChainedRow, Head, HistoryEntry
from registry_core.services import audit as audit_service
from registry_core.services.bulk import LoadSpec, load_test_data
from tests.core.helpers import make_contact, make_domain

AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def entry(name: str, after: object = None) -> HistoryEntry:
    return HistoryEntry("domain", 1, name, "create", "alpha", "RS-1", "CL-1", AT, None, after or {"name": name})


def chain(*names: str) -> tuple[list[ChainedRow], Head]:
    entries = [entry(n) for n in names]
    chained, head = audit.append(Head(3, 0, GENESIS), entries)
    return [ChainedRow(i + 1, 3, seq, prev, digest, e)
            for i, (e, (seq, prev, digest)) in enumerate(zip(entries, chained, strict=True))], head


def test_an_untouched_chain_checks_out_and_each_kind_of_tampering_is_named() -> None:
    rows, head = chain("a.example", "b.example", "c.example")
    assert audit.check_lane(3, rows, head) is None
    edited = [rows[0], replace(rows[1], entry=entry("b.example", {"name": "evil.example"})), rows[2]]
    assert audit.check_lane(3, edited, head) == audit.Break(3, 2, 2, "its content was changed after it was written")
    gap = audit.check_lane(3, [rows[0], rows[2]], head)
    assert gap is not None and (gap.seq, gap.history_id) == (2, 3) and "missing" in gap.problem
    cut = audit.check_lane(3, rows[:2], head)
    assert cut is not None and cut.history_id is None and "head says 3 rows" in cut.problem
    forged = replace(rows[2], prev_hash=bytes(32))
    assert audit.check_lane(3, [*rows[:2], forged], head) == audit.Break(3, 3, 3, "does not link to the row before it")


def test_the_canonical_form_is_independent_of_key_order_and_time_zone() -> None:
    one = entry("a.example", {"x": 1, "y": [1, 2]})
    other = replace(one, after={"y": [1, 2], "x": 1}, at=AT.astimezone(audit_zone()))
    assert audit.canonical(one) == audit.canonical(other)
    assert audit.row_hash(GENESIS, one) != audit.row_hash(GENESIS, replace(one, cl_trid="CL-2"))


def audit_zone() -> object:
    from zoneinfo import ZoneInfo
    return ZoneInfo("Pacific/Auckland")


async def _verify(core: Core, signer: AuditSigner | None = None, since: datetime | None = None
                  ) -> audit_service.AuditReport:
    return await audit_service.verify_history(core, {signer.public_key} if signer else set(), since)


async def _sql(core: Core, statement: str, *args: object) -> object:
    async with core.db.pool.acquire() as conn:
        return await conn.fetchval(statement, *args)


async def test_every_transform_is_chained_and_a_row_edited_in_sql_is_the_first_broken_link(core: Core) -> None:
    await make_contact(core, "chain-c1")
    for n in range(5):
        await make_domain(core, f"chain{n}.example")
    report = await _verify(core)
    assert report.intact and report.unchained == 0 and report.rows >= 9  # TLDs, registrars, contact, domains
    target = await _sql(core, "SELECT id FROM history WHERE object_name = 'chain2.example' AND action = 'create'")
    await _sql(core, """UPDATE history SET after = jsonb_set(after, '{sponsor}', '"beta"') WHERE id = $1""", target)
    report = await _verify(core)
    assert not report.intact and report.first_break is not None
    assert (report.first_break.history_id, report.first_break.problem) == (
        target, "its content was changed after it was written")


async def test_a_deleted_row_and_a_row_added_in_sql_are_found(core: Core) -> None:
    for n in range(3):
        await make_domain(core, f"gone{n}.example")
    lane, seq = await _lane_of(core, "gone1.example")
    await _sql(core, "DELETE FROM history WHERE lane = $1 AND seq = $2", lane, seq)
    found = (await _verify(core)).first_break
    assert found is not None and (found.lane, found.seq) == (lane, seq)


async def test_a_row_appended_without_its_chain_is_counted_and_one_faked_into_it_breaks_it(core: Core) -> None:
    await make_domain(core, "real.example")
    lane, seq = await _lane_of(core, "real.example")
    await _sql(core, """INSERT INTO history (object_type, object_name, action, sv_trid, at)
                        VALUES ('domain', 'sneaky.example', 'delete', 'x', now())""")
    assert (await _verify(core)).unchained == 1
    await _sql(core, """INSERT INTO history (object_type, object_name, action, sv_trid, at, lane, seq, prev_hash,
                        row_hash) VALUES ('domain', 'sneaky.example', 'delete', 'x', now(), $1, $2, $3, $3)""",
               lane, seq + 1, bytes(32))
    found = (await _verify(core)).first_break
    assert found is not None and (found.lane, found.seq) == (lane, seq + 1)


async def _lane_of(core: Core, name: str) -> tuple[int, int]:
    async with core.db.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT lane, seq FROM history WHERE object_name = $1", name)
    return int(row["lane"]), int(row["seq"])


async def test_concurrent_writers_spread_over_lanes_and_the_chains_stay_whole(core: Core) -> None:
    await asyncio.gather(*(make_domain(core, f"busy{n}.example") for n in range(24)))
    lanes = await _sql(core, "SELECT count(DISTINCT lane) FROM history WHERE object_name LIKE 'busy%'")
    assert isinstance(lanes, int) and lanes > 1
    assert (await _verify(core)).intact


async def test_a_lane_rewritten_consistently_after_a_checkpoint_is_caught_by_its_signature(core: Core) -> None:
    signer = AuditSigner(AuditSigner.new_key())
    await make_domain(core, "signed.example")
    checkpoint = await audit_service.write_checkpoint(core, signer)
    assert checkpoint.rows >= 1
    assert (report := await _verify(core, signer)).intact and report.checkpoints == 1
    lane, _seq = await _lane_of(core, "signed.example")
    await _rewrite_lane(core, lane, "signed.example")
    report = await _verify(core, signer)
    last = await _sql(core, "SELECT max(seq) FROM history WHERE lane = $1", lane)
    assert report.first_break is None  # the intruder recomputed every hash of the lane...
    assert report.checkpoint_problems == [  # ...but the checkpoint signed the old head
        f"checkpoint {checkpoint.id} ({checkpoint.at:%Y-%m-%d %H:%M:%S}Z): lane {lane} row {last} "
        "is not the row the checkpoint signed"]
    stranger = AuditSigner(AuditSigner.new_key())
    assert any("not trusted" in p for p in (await _verify(core, stranger)).checkpoint_problems)


async def _rewrite_lane(core: Core, lane: int, victim: str) -> None:
    """What an intruder with SQL access could do: change a row, then re-chain the lane."""
    async with core.db.pool.acquire() as conn, conn.transaction():
        await conn.execute("""UPDATE history SET after = jsonb_set(after, '{sponsor}', '"beta"')
                              WHERE object_name = $1""", victim)
        rows = await conn.fetch("SELECT * FROM history WHERE lane = $1 ORDER BY seq", lane)
        prev = GENESIS
        for row in rows:
            digest = audit.row_hash(prev, HistoryEntry(
                row["object_type"], row["object_id"], row["object_name"], row["action"], row["registrar_id"],
                row["sv_trid"], row["cl_trid"], row["at"], row["before"], row["after"]))
            await conn.execute("UPDATE history SET prev_hash = $2, row_hash = $3 WHERE id = $1", row["id"], prev,
                               digest)
            prev = digest
        await conn.execute("UPDATE history_head SET hash = $2 WHERE lane = $1", lane, prev)


async def test_verify_since_starts_from_the_rows_of_that_time(core: Core) -> None:
    await make_domain(core, "old.example")
    cutoff = datetime.now(UTC) + timedelta(seconds=1)
    await _sql(core, "UPDATE history SET action = 'forged' WHERE object_name = 'old.example'")
    assert not (await _verify(core)).intact
    report = await _verify(core, since=cutoff)
    assert report.intact and report.rows == 0


async def test_bulk_loaded_history_is_chained_too(core: Core) -> None:
    await load_test_data(core, LoadSpec(tld="example", domains=300, registrars=2, contacts=20, providers=5,
                                        history=True, batch=100, jobs=2))
    report = await _verify(core)
    assert report.intact and report.rows >= 300 and report.unchained == 0
