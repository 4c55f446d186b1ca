"""SQL of single sign-on: registrars' identity-provider settings and sign-ins in flight."""

from __future__ import annotations

from datetime import datetime
from typing import Any


async def upsert_registrar_sso(conn: Any, values: dict[str, Any]) -> None:
    await conn.execute(
        """INSERT INTO registrar_sso (registrar_id, issuer, client_id, client_secret, scopes, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (registrar_id) DO UPDATE SET issuer = $2, client_id = $3, client_secret = $4,
                                                   scopes = $5, updated_at = $6""",
        values["registrar_id"], values["issuer"], values["client_id"], values["client_secret"], values["scopes"],
        values["updated_at"])


async def delete_registrar_sso(conn: Any, registrar_id: str) -> bool:
    return str(await conn.execute("DELETE FROM registrar_sso WHERE registrar_id = $1", registrar_id)) != "DELETE 0"


async def fetch_registrar_sso(conn: Any, registrar_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM registrar_sso WHERE registrar_id = $1", registrar_id)
    return None if row is None else dict(row)


async def insert_attempt(conn: Any, values: dict[str, Any]) -> None:
    await conn.execute(
        """INSERT INTO sso_attempt (state_digest, pre_session_digest, registrar_id, nonce, code_verifier, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        values["state_digest"], values["pre_session_digest"], values["registrar_id"], values["nonce"],
        values["code_verifier"], values["created_at"])


async def take_attempt(conn: Any, state_digest: bytes) -> dict[str, Any] | None:
    """The attempt of a state, deleted in the same statement: a state is used once."""
    row = await conn.fetchrow("DELETE FROM sso_attempt WHERE state_digest = $1 RETURNING *", state_digest)
    return None if row is None else dict(row)


async def delete_stale_attempts(conn: Any, before: datetime) -> None:
    await conn.execute("DELETE FROM sso_attempt WHERE created_at < $1", before)


async def fetch_users_by_email(conn: Any, email: str, registrar_id: str | None) -> list[dict[str, Any]]:
    """Users of one registrar (or the registry's staff when None) whose email is `email`."""
    rows = await conn.fetch(
        """SELECT id, login, email, registrar_id, role, totp_secret, disabled_at FROM console_user
           WHERE lower(email) = $1 AND registrar_id IS NOT DISTINCT FROM $2""", email, registrar_id)
    return [dict(r) for r in rows]
