"""The shop's sessions in its own schema: only the token's digest stored, idle and absolute
limits, a sign-out that ends the row, pruning, and the per-session CSRF check."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from storefront.web import sessions


async def test_a_session_is_found_by_its_token_until_a_limit(shop_pool: asyncpg.Pool) -> None:
    customer = await shop_pool.fetchval(
        "INSERT INTO storefront.customer (email, password_hash) VALUES ('s@example.net', 'x') RETURNING id")
    token, made = await sessions.open_session(shop_pool, customer)
    stored = await shop_pool.fetchval("SELECT token_hash FROM storefront.web_session")
    assert bytes(stored) == hashlib.sha256(token.encode()).digest() and token.encode() not in bytes(stored)
    found = await sessions.find_session(shop_pool, token)
    assert found == made and found.customer_id == customer
    assert await sessions.find_session(shop_pool, token + "x") is None
    await shop_pool.execute("UPDATE storefront.web_session SET seen_at = $1",
                            datetime.now(UTC) - sessions.IDLE - timedelta(seconds=1))
    assert await sessions.find_session(shop_pool, token) is None  # idle too long
    other, _ = await sessions.open_session(shop_pool)
    await shop_pool.execute("UPDATE storefront.web_session SET expires_at = $1", datetime.now(UTC))
    assert await sessions.find_session(shop_pool, other) is None  # past its absolute limit
    assert await sessions.prune_sessions(shop_pool) == 2
    third, live = await sessions.open_session(shop_pool)
    await sessions.end_session(shop_pool, live)
    assert await sessions.find_session(shop_pool, third) is None


async def test_forms_need_the_session_csrf_token(shop_pool: asyncpg.Pool) -> None:
    _, session = await sessions.open_session(shop_pool)
    good = make_mocked_request("POST", "/cart", headers={"X-CSRF-Token": session.csrf})
    await sessions.require_csrf(good, session)
    for headers in ({"X-CSRF-Token": "forged"}, {}):
        with pytest.raises(web.HTTPForbidden):
            await sessions.require_csrf(make_mocked_request("POST", "/cart", headers=headers), session)
    with pytest.raises(web.HTTPForbidden):
        await sessions.require_csrf(good, None)
