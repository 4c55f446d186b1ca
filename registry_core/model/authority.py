"""Who may act on an object: its sponsor, or a caller proving its authInfo."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from registry_core.errors import AuthInfoInvalid, NotSponsor
from registry_core.model.actor import Actor

if TYPE_CHECKING:
    from registry_core.crypto import AuthInfoCipher


def require_sponsor(actor: Actor, row: dict[str, Any], object_type: str, name: str) -> None:
    if row["sponsor_id"] != actor.registrar_id:
        raise NotSponsor("only the sponsoring registrar may do this", object_type=object_type, name=name)


def proves_auth_info(cipher: AuthInfoCipher, actor: Actor, row: dict[str, Any], auth_info: str | None,
                     context: str, object_type: str) -> bool:
    """True for the sponsor or a caller with the right authInfo; a wrong authInfo is an error."""
    if row["sponsor_id"] == actor.registrar_id and auth_info is None:
        return True
    if auth_info is None:
        return False
    if not cipher.matches(row["auth_info"], auth_info, context):
        raise AuthInfoInvalid("authorization information does not match", object_type=object_type,
                              name=str(row.get("name") or row.get("handle")))
    return True


def new_auth_info() -> str:
    return secrets.token_urlsafe(12)
