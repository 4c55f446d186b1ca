"""SQL of console users, sessions, second factors, API keys and the login throttle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from registry_core.errors import ObjectExists

_USER = """id, login, email, display_name, registrar_id, role, password_hash, totp_secret, totp_pending,
           totp_last_step, created_at, disabled_at"""


async def insert_user(conn: Any, values: dict[str, Any]) -> int:
    try:
        return int(await conn.fetchval(
            """INSERT INTO console_user (login, email, display_name, registrar_id, role, password_hash, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""",
            values["login"], values["email"], values["display_name"], values["registrar_id"], values["role"],
            values["password_hash"], values["created_at"]))
    except asyncpg.UniqueViolationError as exc:
        raise ObjectExists("login already taken", object_type="user", name=values["login"]) from exc


async def fetch_user_by_login(conn: Any, login: str, *, lock: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT {_USER} FROM console_user WHERE login = $1"
                              + (" FOR UPDATE" if lock else ""), login)
    return None if row is None else dict(row)


async def fetch_user_by_id(conn: Any, user_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT {_USER} FROM console_user WHERE id = $1"
                              + (" FOR UPDATE" if lock else ""), user_id)
    return None if row is None else dict(row)


async def fetch_users(conn: Any, registrar_id: str | None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT id, login, email, display_name, role, created_at, disabled_at, totp_secret IS NOT NULL AS has_totp
           FROM console_user WHERE registrar_id IS NOT DISTINCT FROM $1 ORDER BY login""", registrar_id)
    return [dict(r) for r in rows]


async def update_user(conn: Any, user_id: int, values: dict[str, Any]) -> None:
    allowed = {"email", "display_name", "role", "password_hash", "totp_secret", "totp_pending", "totp_last_step",
               "disabled_at"}
    assert values and set(values) <= allowed, set(values) - allowed
    names = sorted(values)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, 2))
    await conn.execute(f"UPDATE console_user SET {assignments} WHERE id = $1", user_id,
                       *(values[n] for n in names))


async def replace_recovery_codes(conn: Any, user_id: int, digests: Sequence[bytes]) -> None:
    await conn.execute("DELETE FROM console_recovery_code WHERE user_id = $1", user_id)
    await conn.executemany("INSERT INTO console_recovery_code (user_id, code_digest) VALUES ($1, $2)",
                           [(user_id, d) for d in digests])


async def use_recovery_code(conn: Any, user_id: int, code_digest: bytes, now: datetime) -> bool:
    status = await conn.execute(
        """UPDATE console_recovery_code SET used_at = $3
           WHERE user_id = $1 AND code_digest = $2 AND used_at IS NULL""", user_id, code_digest, now)
    return bool(status == "UPDATE 1")


async def count_recovery_codes(conn: Any, user_id: int) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM console_recovery_code WHERE user_id = $1 AND used_at IS NULL", user_id))


# --- sessions ----------------------------------------------------------------------------
async def insert_session(conn: Any, values: dict[str, Any]) -> None:
    await conn.execute(
        """INSERT INTO console_session (token_digest, user_id, created_at, last_seen_at, expires_at, csrf_token,
                                        ip, user_agent, sso_issuer)
           VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8)""",
        values["token_digest"], values["user_id"], values["created_at"], values["expires_at"], values["csrf_token"],
        values["ip"], values["user_agent"], values.get("sso_issuer"))


async def fetch_session(conn: Any, token_digest: bytes) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """SELECT s.*, u.login, u.role, u.registrar_id, u.disabled_at, u.totp_secret IS NOT NULL AS has_totp,
                  EXISTS (SELECT 1 FROM console_passkey p WHERE p.user_id = u.id) AS has_passkey
           FROM console_session s
           JOIN console_user u ON u.id = s.user_id WHERE s.token_digest = $1""", token_digest)
    return None if row is None else dict(row)


async def touch_session(conn: Any, token_digest: bytes, now: datetime, *, mfa: bool = False,
                        reauth: bool = False) -> None:
    await conn.execute(
        """UPDATE console_session SET last_seen_at = $2,
                  mfa_at = CASE WHEN $3::boolean THEN $2 ELSE mfa_at END,
                  reauth_at = CASE WHEN $4::boolean THEN $2 ELSE reauth_at END
           WHERE token_digest = $1""", token_digest, now, mfa, reauth)


async def end_sessions(conn: Any, user_id: int, now: datetime, token_digest: bytes | None = None,
                       keep: bytes | None = None) -> int:
    """End one session of the user (token_digest), or all of them but `keep`."""
    status = await conn.execute(
        """UPDATE console_session SET ended_at = $2
           WHERE user_id = $1 AND ended_at IS NULL AND ($3::bytea IS NULL OR token_digest = $3)
             AND ($4::bytea IS NULL OR token_digest <> $4)""", user_id, now, token_digest, keep)
    return int(status.split()[-1])


async def fetch_live_sessions(conn: Any, user_id: int, now: datetime, idle: timedelta) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT token_digest, created_at, last_seen_at, expires_at, ip, user_agent, mfa_at FROM console_session
           WHERE user_id = $1 AND ended_at IS NULL AND expires_at > $2 AND last_seen_at > $2::timestamptz - $3::interval
           ORDER BY last_seen_at DESC""", user_id, now, idle)
    return [dict(r) for r in rows]


# --- API keys ----------------------------------------------------------------------------
async def insert_api_key(conn: Any, values: dict[str, Any]) -> int:
    return int(await conn.fetchval(
        """INSERT INTO api_key (key_digest, hint, name, registrar_id, role, scopes, allowed_ips, created_by,
                                created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id""",
        values["key_digest"], values["hint"], values["name"], values["registrar_id"], values["role"],
        list(values["scopes"]), list(values["allowed_ips"]), values["created_by"], values["created_at"],
        values["expires_at"]))


async def use_api_key(conn: Any, key_digest: bytes, now: datetime, ip: str | None) -> dict[str, Any] | None:
    """The live key with this digest, its last use moved to now; None if unknown, revoked,
    expired or not allowed from `ip` (one statement)."""
    row = await conn.fetchrow(
        """UPDATE api_key SET last_used_at = $2, last_used_ip = $3::inet
           WHERE key_digest = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
             AND (cardinality(allowed_ips) = 0 OR $3::inet <<= ANY(allowed_ips))
           RETURNING id, name, registrar_id, role, scopes""", key_digest, now, ip)
    return None if row is None else dict(row)


async def fetch_api_keys(conn: Any, registrar_id: str | None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT id, hint, name, role, scopes, allowed_ips, created_at, expires_at, last_used_at, last_used_ip,
                  revoked_at FROM api_key WHERE registrar_id IS NOT DISTINCT FROM $1 ORDER BY id""", registrar_id)
    return [dict(r) for r in rows]


async def revoke_api_key(conn: Any, key_id: int, registrar_id: str | None, now: datetime) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """UPDATE api_key SET revoked_at = $3
           WHERE id = $1 AND registrar_id IS NOT DISTINCT FROM $2 AND revoked_at IS NULL
           RETURNING id, hint, name""", key_id, registrar_id, now)
    return None if row is None else dict(row)


# --- login throttle ----------------------------------------------------------------------
async def fetch_throttle(conn: Any, keys: Sequence[str]) -> datetime | None:
    """The latest time any of `keys` may try again, if any is waiting."""
    value = await conn.fetchval("SELECT max(next_allowed_at) FROM login_throttle WHERE key = ANY($1)", list(keys))
    return value if isinstance(value, datetime) else None


async def record_failure(conn: Any, key: str, now: datetime, delays: Sequence[float], reset_after: float) -> int:
    """Count one more refusal for `key` (starting again from one when the last was longer
    than `reset_after` seconds ago); the n-th waits delays[min(n, len) - 1] seconds. The
    count in a row it has reached."""
    return int(await conn.fetchval(
        """INSERT INTO login_throttle AS t (key, failures, last_failure_at, next_allowed_at)
           VALUES ($1, 1, $2::timestamptz, $2::timestamptz + make_interval(secs => ($3::float8[])[1]))
           ON CONFLICT (key) DO UPDATE SET
               failures = CASE WHEN t.last_failure_at > $2::timestamptz - make_interval(secs => $4) THEN t.failures + 1
                               ELSE 1 END,
               last_failure_at = $2,
               next_allowed_at = $2::timestamptz + make_interval(secs => ($3::float8[])[least(
                   CASE WHEN t.last_failure_at > $2::timestamptz - make_interval(secs => $4) THEN t.failures + 1
                        ELSE 1 END,
                   cardinality($3::float8[]))])
           RETURNING failures""", key, now, list(delays), reset_after))


async def clear_throttle(conn: Any, key: str) -> None:
    await conn.execute("DELETE FROM login_throttle WHERE key = $1", key)


# --- passkeys ------------------------------------------------------------------------------
async def set_challenge(conn: Any, token_digest: bytes, challenge: bytes | None, now: datetime) -> None:
    await conn.execute("UPDATE console_session SET challenge = $2, challenge_at = $3 WHERE token_digest = $1",
                       token_digest, challenge, now)


async def take_challenge(conn: Any, token_digest: bytes) -> tuple[bytes, datetime] | None:
    """The session's outstanding challenge, cleared as it is read (each is used once)."""
    row = await conn.fetchrow(
        """UPDATE console_session s SET challenge = NULL, challenge_at = NULL
           FROM (SELECT challenge, challenge_at FROM console_session WHERE token_digest = $1 FOR UPDATE) old
           WHERE s.token_digest = $1 AND old.challenge IS NOT NULL
           RETURNING old.challenge, old.challenge_at""", token_digest)
    return None if row is None else (bytes(row["challenge"]), row["challenge_at"])


async def fetch_passkeys(conn: Any, user_id: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT credential_id, public_key, sign_count, transports, name, created_at, last_used_at
           FROM console_passkey WHERE user_id = $1 ORDER BY created_at""", user_id)
    return [dict(r) for r in rows]


async def insert_passkey(conn: Any, user_id: int, values: dict[str, Any], now: datetime) -> None:
    try:
        await conn.execute(
            """INSERT INTO console_passkey (credential_id, user_id, public_key, sign_count, transports, name,
                                            created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""", values["credential_id"], user_id, values["public_key"],
            values["sign_count"], list(values["transports"]), values["name"], now)
    except asyncpg.UniqueViolationError as exc:
        raise ObjectExists("this passkey is registered already", object_type="passkey") from exc


async def use_passkey(conn: Any, user_id: int, credential_id: bytes, sign_count: int, now: datetime) -> bool:
    status = await conn.execute(
        """UPDATE console_passkey SET sign_count = $3, last_used_at = $4
           WHERE user_id = $1 AND credential_id = $2""", user_id, credential_id, sign_count, now)
    return bool(status == "UPDATE 1")
