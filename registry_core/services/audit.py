"""The tamper-evident history: verifying the hash chains and the signed checkpoints, and
writing a checkpoint (daily from `registry serve`, or `registry audit checkpoint`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from registry_core.context import Core
from registry_core.crypto import AuditSigner, signature_valid
from registry_core.db.repo import audit as repo
from registry_core.db.tx import Tx
from registry_core.model import audit
from registry_core.model.audit import GENESIS, Break, Head


@dataclass(frozen=True)
class Checkpoint:
    id: int
    at: datetime
    root: bytes
    rows: int  # history rows the checkpoint covers


@dataclass
class AuditReport:
    rows: int = 0  # chained rows checked
    unchained: int = 0  # rows written before the chains began
    checkpoints: int = 0
    first_break: Break | None = None
    checkpoint_problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.first_break is None and not self.checkpoint_problems


async def write_checkpoint(core: Core, signer: AuditSigner) -> Checkpoint:
    """Every lane's head, as of this transaction, signed."""
    async def run(tx: Tx) -> Checkpoint:
        heads = await repo.fetch_heads(tx.conn)
        message = audit.checkpoint_bytes(tx.now, heads)
        root = audit.checkpoint_root(tx.now, heads)
        checkpoint_id = await repo.insert_checkpoint(tx.conn, tx.now, heads, root, signer.sign(message),
                                                     signer.public_key)
        return Checkpoint(checkpoint_id, tx.now, root, sum(h.seq for h in heads))
    return await core.db.transaction(run)


async def head_file(core: Core, at: datetime) -> bytes | None:
    """The last checkpoint signed at or before `at` as a head file (model.audit.head_document),
    or None when none was signed yet."""
    async def run(tx: Tx) -> dict[str, Any] | None:
        return await repo.fetch_latest_checkpoint(tx.conn, at)
    found = await core.db.transaction(run, readonly=True)
    if found is None:
        return None
    return audit.head_document(found["at"], audit.heads_from_json(found["heads"]), bytes(found["signature"]),
                               bytes(found["public_key"]))


async def verify_head_file(core: Core, trusted_keys: Collection[bytes], data: bytes) -> list[str]:
    """What is wrong with a head file kept outside the registry (the escrow agent's copy):
    a signature that fails or a key not trusted, or chains that no longer hold the rows it
    signed. Empty when the history still matches it."""
    try:
        at, heads, signature, public_key = audit.read_head_document(data)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    if public_key not in trusted_keys:
        problems.append("it is signed by a key that is not trusted")
    elif not signature_valid(public_key, signature, audit.checkpoint_bytes(at, heads)):
        problems.append("its signature does not match its content")

    async def run(tx: Tx) -> dict[tuple[int, int], bytes]:
        return await repo.fetch_row_hashes(tx.conn, [h for h in heads if h.seq])
    held = await core.db.transaction(run, readonly=True)
    problems += [f"lane {h.lane} row {h.seq} is not the row the head file signed"
                 for h in heads if h.seq and held.get((h.lane, h.seq)) != h.hash]
    return problems


async def verify_history(core: Core, trusted_keys: Collection[bytes], since: datetime | None = None) -> AuditReport:
    """Walk every lane (from the rows written at `since`, when given) and check each
    checkpoint since then, all in one snapshot."""
    async def run(tx: Tx) -> AuditReport:
        report = AuditReport(unchained=await repo.count_unchained(tx.conn))
        heads = await repo.fetch_heads(tx.conn)
        for head in heads:
            if report.first_break is not None:
                break
            report.first_break = await _check_lane(tx, head, since, report)
        if report.first_break is None:
            await _check_checkpoints(tx, trusted_keys, since, report)
        return report
    return await core.db.snapshot(run)


async def _check_lane(tx: Tx, head: Head, since: datetime | None, report: AuditReport) -> Break | None:
    start = (0, GENESIS)
    if since is not None:
        start = await repo.fetch_lane_start(tx.conn, head.lane, since) or start

    async def counted() -> AsyncIterator[audit.ChainedRow]:
        async for row in repo.iter_lane(tx.conn, head.lane, start[0]):
            report.rows += 1
            yield row
    return await _first_break(head, counted(), start)


async def _first_break(head: Head, rows: AsyncIterator[audit.ChainedRow], start: tuple[int, bytes]) -> Break | None:
    """check_lane over an async stream, a block of rows at a time."""
    block: list[audit.ChainedRow] = []
    async for row in rows:
        block.append(row)
        if len(block) == 2000:
            found = audit.check_lane(head.lane, block, None, start)
            if found is not None:
                return found
            start, block = (block[-1].seq, block[-1].row_hash), []
    return audit.check_lane(head.lane, block, head, start)


async def _check_checkpoints(tx: Tx, trusted_keys: Collection[bytes], since: datetime | None,
                             report: AuditReport) -> None:
    for found in await repo.fetch_checkpoints(tx.conn, since):
        report.checkpoints += 1
        heads = audit.heads_from_json(found["heads"])
        message = audit.checkpoint_bytes(found["at"], heads)
        name = f"checkpoint {found['id']} ({found['at']:%Y-%m-%d %H:%M:%S}Z)"
        if bytes(found["public_key"]) not in trusted_keys:
            report.checkpoint_problems.append(f"{name} is signed by a key that is not trusted")
        elif not signature_valid(bytes(found["public_key"]), bytes(found["signature"]), message):
            report.checkpoint_problems.append(f"{name}: its signature does not match its content")
        signed = [h for h in heads if h.seq]
        held = await repo.fetch_row_hashes(tx.conn, signed)
        for head in signed:
            if held.get((head.lane, head.seq)) != head.hash:
                report.checkpoint_problems.append(
                    f"{name}: lane {head.lane} row {head.seq} is not the row the checkpoint signed")
                break
