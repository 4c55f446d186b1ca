"""Per-connection set-up: JSON codecs and the session time zone."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import orjson


def decode_json(text: str) -> Any:
    """What json.loads returns, by orjson (several times faster on the JSON aggregates the
    public lookups read); json.loads for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


async def init_connection(conn: asyncpg.Connection) -> None:
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename, encoder=json.dumps, decoder=decode_json, schema="pg_catalog"
        )
    await conn.execute("SET TIME ZONE 'UTC'")
