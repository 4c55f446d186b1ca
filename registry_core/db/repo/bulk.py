"""SQL for bulk loading (the `load-test-data` command): identifiers reserved from the
objects' own sequences, rows written with COPY (binary, through asyncpg), statistics
refreshed with ANALYZE. Each COPY names its columns here, next to the schema it writes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from registry_core.db.repo import audit
from registry_core.db.repo.codecs import init_connection
from registry_core.model import audit as chain
from registry_core.model.audit import HistoryEntry

# COPY of a large batch outlives the pool's per-statement timeout; it gets its own.
COPY_TIMEOUT = 3600.0

CONTACT_COLUMNS = ("id", "roid", "handle", "sponsor_id", "creator_id", "created_at", "auth_info", "postal_int",
                   "voice", "email")
HOST_COLUMNS = ("id", "roid", "name", "sponsor_id", "creator_id", "created_at")
DOMAIN_COLUMNS = ("id", "roid", "name", "tld", "registrant_id", "sponsor_id", "creator_id", "created_at",
                  "updated_at", "expires_at", "auth_info", "statuses")
DOMAIN_HOST_COLUMNS = ("domain_id", "host_id")
DOMAIN_CONTACT_COLUMNS = ("domain_id", "role", "contact_id")
DS_COLUMNS = ("domain_id", "key_tag", "alg", "digest_type", "digest")
HISTORY_COLUMNS = (*audit.COLUMNS.split(", "), "lane", "seq", "prev_hash", "row_hash")

_SEQUENCES = {"domain": "domain_id_seq", "contact": "contact_id_seq", "host": "host_id_seq"}
LOADED_TABLES = ("contact", "host", "domain", "domain_host", "domain_contact", "ds_record", "history")


async def reserve_ids(conn: Any, object_type: str, count: int) -> list[int]:
    """`count` fresh ids from the object's sequence: what `nextval` would hand out one by
    one (safe beside concurrent creates; the numbers need not be contiguous)."""
    sequence = _SEQUENCES[object_type]
    rows = await conn.fetch(f"SELECT nextval('{sequence}') AS id FROM generate_series(1, $1)", count)
    return [int(r["id"]) for r in rows]


async def _copy(conn: Any, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    await conn.copy_records_to_table(table, records=rows, columns=list(columns), timeout=COPY_TIMEOUT)


def _jsonb_binary(value: Any) -> bytes:
    return b"\x01" + json.dumps(value, separators=(",", ":")).encode("utf-8")  # jsonb wire format, version 1


@contextlib.asynccontextmanager
async def _binary_jsonb(conn: Any) -> AsyncIterator[None]:
    """Binary COPY needs a binary jsonb codec; the pool's connections carry a text one
    (codecs.py), which is put back afterwards."""
    await conn.set_type_codec("jsonb", encoder=_jsonb_binary, decoder=lambda data: json.loads(data[1:]),
                              schema="pg_catalog", format="binary")
    try:
        yield
    finally:
        await init_connection(conn)


async def copy_contacts(conn: Any, rows: Iterable[tuple[Any, ...]]) -> None:
    async with _binary_jsonb(conn):
        await _copy(conn, "contact", CONTACT_COLUMNS, rows)


async def copy_hosts(conn: Any, rows: Iterable[tuple[Any, ...]]) -> None:
    await _copy(conn, "host", HOST_COLUMNS, rows)


async def copy_domains(conn: Any, rows: Iterable[tuple[Any, ...]]) -> None:
    await _copy(conn, "domain", DOMAIN_COLUMNS, rows)


async def copy_domain_hosts(conn: Any, rows: Iterable[tuple[Any, ...]]) -> None:
    await _copy(conn, "domain_host", DOMAIN_HOST_COLUMNS, rows)


async def copy_domain_contacts(conn: Any, rows: Iterable[tuple[Any, ...]]) -> None:
    await _copy(conn, "domain_contact", DOMAIN_CONTACT_COLUMNS, rows)


async def copy_ds_records(conn: Any, rows: Iterable[tuple[Any, ...]]) -> None:
    await _copy(conn, "ds_record", DS_COLUMNS, rows)


async def copy_history(conn: Any, entries: Sequence[HistoryEntry]) -> None:
    """History rows appended to this transaction's lane of the hash chains with one COPY."""
    head = await audit.take_lane(conn)
    chained, new_head = chain.append(head, entries)
    records = [(e.object_type, e.object_id, e.object_name, e.action, e.registrar_id, e.sv_trid, e.cl_trid, e.at,
                e.before, e.after, e.via, head.lane, seq, prev, digest)
               for e, (seq, prev, digest) in zip(entries, chained, strict=True)]
    async with _binary_jsonb(conn):
        await _copy(conn, "history", HISTORY_COLUMNS, records)
    await audit.move_head(conn, new_head)


async def fetch_live_host_ids(conn: Any, names: list[str]) -> dict[str, int]:
    rows = await conn.fetch("SELECT name, id FROM host WHERE name = ANY($1) AND deleted_at IS NULL", names)
    return {r["name"]: int(r["id"]) for r in rows}


async def fetch_live_contact_ids(conn: Any, handles: list[str]) -> dict[str, int]:
    rows = await conn.fetch("SELECT handle, id FROM contact WHERE handle = ANY($1) AND deleted_at IS NULL", handles)
    return {r["handle"]: int(r["id"]) for r in rows}


async def analyze(conn: Any, tables: Sequence[str] = LOADED_TABLES) -> None:
    for table in tables:
        if table not in LOADED_TABLES:
            raise ValueError(f"not a bulk-loaded table: {table}")
        await conn.execute(f"ANALYZE {table}", timeout=COPY_TIMEOUT)
