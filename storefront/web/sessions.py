"""The shop's sessions, kept in its own schema: a `__Host-` cookie (Secure, HttpOnly,
SameSite=Strict) holding a random 128-bit token whose SHA-256 is the row's key; a CSRF
token per session that every form carries; idle and absolute limits; a new token at
sign-in (no fixation) and the row gone at sign-out."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from aiohttp import web

COOKIE = "__Host-shop-session"
IDLE = timedelta(hours=2)
ABSOLUTE = timedelta(days=1)
POOL: web.AppKey[asyncpg.Pool] = web.AppKey("shop-pool", asyncpg.Pool)


@dataclass(frozen=True)
class WebSession:
    token_hash: bytes
    customer_id: int | None
    csrf: str


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def open_session(pool: asyncpg.Pool, customer_id: int | None = None) -> tuple[str, WebSession]:
    """A new session (its cookie token and its row)."""
    token, csrf, now = secrets.token_urlsafe(16), secrets.token_urlsafe(16), datetime.now(UTC)
    digest = _digest(token)
    await pool.execute(
        """INSERT INTO storefront.web_session (token_hash, customer_id, csrf, created_at, seen_at, expires_at)
           VALUES ($1, $2, $3, $4, $4, $5)""", digest, customer_id, csrf, now, now + ABSOLUTE)
    return token, WebSession(digest, customer_id, csrf)


async def find_session(pool: asyncpg.Pool, token: str | None) -> WebSession | None:
    """The live session of a cookie token (its idle clock restarted), or None."""
    if not token:
        return None
    now = datetime.now(UTC)
    row = await pool.fetchrow(
        """UPDATE storefront.web_session SET seen_at = $2
           WHERE token_hash = $1 AND expires_at > $2 AND seen_at > $3
           RETURNING token_hash, customer_id, csrf""", _digest(token), now, now - IDLE)
    return None if row is None else WebSession(bytes(row["token_hash"]), row["customer_id"], row["csrf"])


async def end_session(pool: asyncpg.Pool, session: WebSession) -> None:
    await pool.execute("DELETE FROM storefront.web_session WHERE token_hash = $1", session.token_hash)


async def prune_sessions(pool: asyncpg.Pool) -> int:
    """Drop sessions past their limits; how many went."""
    now = datetime.now(UTC)
    status = await pool.execute("DELETE FROM storefront.web_session WHERE expires_at <= $1 OR seen_at <= $2",
                                now, now - IDLE)
    return int(status.split()[-1])


async def current(request: web.Request) -> WebSession | None:
    return await find_session(request.app[POOL], request.cookies.get(COOKIE))


async def sign_in(request: web.Request, response: web.StreamResponse, customer_id: int) -> WebSession:
    """A fresh session for the customer (the old one, if any, ends: a new token at sign-in)."""
    old = await current(request)
    if old is not None:
        await end_session(request.app[POOL], old)
    token, session = await open_session(request.app[POOL], customer_id)
    set_cookie(response, token)
    return session


def set_cookie(response: web.StreamResponse, token: str) -> None:
    response.set_cookie(COOKIE, token, path="/", secure=True, httponly=True, samesite="Strict",
                        max_age=int(ABSOLUTE.total_seconds()))


def clear_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="Strict")


async def require_csrf(request: web.Request, session: WebSession | None) -> None:
    """403 unless the form (or the X-CSRF-Token header) carries the session's token."""
    form = await request.post()
    given = request.headers.get("X-CSRF-Token") or form.get("csrf")
    if session is None or not isinstance(given, str) or not hmac.compare_digest(given, session.csrf):
        raise web.HTTPForbidden(text="missing or wrong CSRF token; reload the page and try again")
