"""Passkey ceremonies (WebAuthn Level 3, with the `webauthn` package): registration and
sign-in as the second factor. The page's script (static/passkey.js) asks for options,
lets the browser talk to the authenticator, and posts the result here with the CSRF
header; the signatures, the challenge, the origin (the console's configured public URL,
never the request's Host) and the relying party id are checked here, user verification
required."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import webauthn
from aiohttp import web
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from protocols.web.security import CSRF_HEADER, tokens_match
from protocols.web.session import CORE, SESSION_COOKIE, current_session
from registry_core.errors import AuthenticationFailed, InvalidValue
from registry_core.services import passkeys

RELYING_PARTY = web.AppKey("relying_party", tuple)  # (rp_id, rp_name, expected origin)
MAX_CREDENTIAL_BYTES = 64 * 1024


async def _session(request: web.Request) -> tuple[str, Any]:
    view = await current_session(request)
    if view is None or not tokens_match(view.csrf_token, request.headers.get(CSRF_HEADER)):
        raise AuthenticationFailed("sign in first (and send the CSRF header)", object_type="passkey")
    return request.cookies[SESSION_COOKIE], view


def _descriptor(key: dict[str, Any]) -> PublicKeyCredentialDescriptor:
    known = {t.value for t in AuthenticatorTransport}
    transports = [AuthenticatorTransport(t) for t in key["transports"] if t in known]
    return PublicKeyCredentialDescriptor(id=bytes(key["credential_id"]), transports=transports or None)


async def options(request: web.Request) -> web.Response:
    token, _view = await _session(request)
    purpose = (await _body(request)).get("purpose")
    rp_id, rp_name, _origin = request.app[RELYING_PARTY]
    challenge = secrets.token_bytes(32)
    ceremony = await passkeys.begin(request.app[CORE], token, challenge, registering=purpose == "register")
    known = [_descriptor(k) for k in ceremony.passkeys]
    made: Any
    if purpose == "register":
        made = webauthn.generate_registration_options(
            rp_id=rp_id, rp_name=rp_name, user_id=str(ceremony.user_id).encode(), user_name=ceremony.login,
            user_display_name=ceremony.display_name, challenge=challenge, exclude_credentials=known,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.REQUIRED))
    else:
        made = webauthn.generate_authentication_options(rp_id=rp_id, challenge=challenge, allow_credentials=known,
                                                        user_verification=UserVerificationRequirement.REQUIRED)
    return web.Response(text=webauthn.options_to_json(made), content_type="application/json")


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_CREDENTIAL_BYTES:
        raise InvalidValue("the request is too large", object_type="passkey")
    try:
        found = json.loads(await request.text())
    except ValueError:
        raise InvalidValue("the body is not JSON", object_type="passkey") from None
    if not isinstance(found, dict):
        raise InvalidValue("the body is not a JSON object", object_type="passkey")
    return found


@dataclass(frozen=True)
class _Answer:
    """What the browser sent back for a ceremony, with what it is checked against."""

    token: str
    trusted: bool
    credential: dict[str, Any]
    rp_id: str
    origin: str
    challenge: bytes  # the session's, now spent


async def _answer(request: web.Request) -> _Answer:
    token, view = await _session(request)
    credential = await _body(request)
    rp_id, _name, origin = request.app[RELYING_PARTY]
    challenge = await passkeys.take_challenge(request.app[CORE], token)
    return _Answer(token, view.trusted, credential, rp_id, origin, challenge)


async def register(request: web.Request) -> web.Response:
    answer = await _answer(request)
    token, credential, rp_id, origin, challenge = (answer.token, answer.credential, answer.rp_id, answer.origin,
                                                   answer.challenge)
    try:
        verified = webauthn.verify_registration_response(credential=credential, expected_challenge=challenge,
                                                         expected_rp_id=rp_id, expected_origin=origin,
                                                         require_user_verification=True)
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise AuthenticationFailed(f"the passkey was not accepted: {exc}", object_type="passkey") from None
    transports = (credential.get("response") or {}).get("transports") or []
    codes = await passkeys.register(request.app[CORE], token, {
        "credential_id": verified.credential_id, "public_key": verified.credential_public_key,
        "sign_count": verified.sign_count, "transports": [str(t) for t in transports][:8],
        "name": str(credential.get("name") or "passkey")[:80]})
    return web.json_response({"next": "/", "recovery_codes": codes})


async def sign_in(request: web.Request) -> web.Response:
    answer = await _answer(request)
    token, credential, rp_id, origin, challenge = (answer.token, answer.credential, answer.rp_id, answer.origin,
                                                   answer.challenge)
    try:
        credential_id = base64url_to_bytes(str(credential.get("rawId") or credential.get("id") or ""))
    except ValueError:
        raise AuthenticationFailed("not a passkey credential", object_type="passkey") from None
    key = await passkeys.credential(request.app[CORE], token, credential_id)
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin,
            credential_public_key=bytes(key["public_key"]), credential_current_sign_count=int(key["sign_count"]),
            require_user_verification=True)
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        raise AuthenticationFailed(f"the passkey was not accepted: {exc}", object_type="passkey") from None
    await passkeys.signed_in(request.app[CORE], token, credential_id, verified.new_sign_count, reauth=answer.trusted)
    return web.json_response({"next": "/", "credential": bytes_to_base64url(credential_id)})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/mfa/passkey/options", options)
    app.router.add_post("/mfa/passkey/register", register)
    app.router.add_post("/mfa/passkey/sign-in", sign_in)
