"""Single sign-on routes of both consoles (OpenID Connect, authorization code with PKCE):
GET /sso/start sends the browser to the identity provider (the registry's for staff on the
admin console; `?registrar=ID` for that registrar's own on the registrar console) with a
fresh state and nonce bound to a short-lived `__Host-` cookie; GET /sso/callback checks
the state (once), redeems the code, checks the ID token, and opens a session for the
existing user with that verified email: trusted at once when the provider's amr/acr says
a second factor was given, else on to our own /mfa. Refusals say why, plainly."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from protocols.config import Config
from protocols.net.limits import IpLimits, LimitPolicy
from protocols.web.auth import END_SESSION, SSO_LOGIN, page
from protocols.web.oidc import ProviderClient, ProviderError
from protocols.web.security import PRE_SESSION_COOKIE, new_pre_session_token
from protocols.web.session import CORE, clear_cookie, client_ip, set_cookie, start_session
from registry_core.errors import AuthenticationFailed
from registry_core.model import sso as rules
from registry_core.services import sso
from registry_core.services.sso import Provider

SSO_COOKIE = "__Host-registry-sso"
NEXT = {"none": "/", "enrol": "/mfa/enrol"}


@dataclass(frozen=True)
class SsoSettings:
    staff: Provider | None  # the registry's provider (None: staff use passwords only)
    registrars: bool  # whether registrars' own providers are offered (the registrar console)
    redirect_uri: str
    accepted_acr: tuple[str, ...]
    post_logout_uri: str = ""  # where the provider's logout sends the browser back (our login page)


SETTINGS = web.AppKey("sso_settings", SsoSettings)
CLIENT = web.AppKey("sso_client", ProviderClient)
LIMITS = web.AppKey("sso_limits", IpLimits)


async def _too_fast(request: web.Request) -> web.Response | None:
    """The refusal (429, Retry-After) when this client has used its single sign-on budget."""
    wait = await request.app[LIMITS].take(client_ip(request) or "")
    if wait <= 0:
        return None
    response = _refusal(request, f"Too many single sign-on attempts; try again in {math.ceil(wait)} seconds.", 429)
    response.headers["Retry-After"] = str(math.ceil(wait))
    return response


def settings_of(kind: str, config: Config) -> SsoSettings:
    """The app's single sign-on settings, the staff client secret read once here from its file."""
    admin, staff = config.admin, None
    if kind == "admin" and admin.sso_issuer:
        secret = Path(admin.sso_client_secret_file).read_text(encoding="utf-8").strip()
        staff = Provider(admin.sso_issuer.rstrip("/"), admin.sso_client_id, secret, admin.sso_scopes)
    public_url = (admin if kind == "admin" else config.console).public_url
    return SsoSettings(staff, kind == "console", public_url.rstrip("/") + "/sso/callback",
                       config.console.sso_accepted_acr, public_url.rstrip("/") + "/login")


async def _provider(request: web.Request, registrar_id: str | None) -> Provider | None:
    settings = request.app[SETTINGS]
    return settings.staff if registrar_id is None else await sso.registrar_provider(request.app[CORE], registrar_id)


async def start(request: web.Request) -> web.Response:
    refused = await _too_fast(request)
    if refused is not None:
        return refused
    registrar_id = request.query.get("registrar", "").strip() or None
    if registrar_id is not None and not request.app[SETTINGS].registrars:
        registrar_id = None  # the admin console signs in staff only
    provider = await _provider(request, registrar_id)
    if provider is None:
        return _refusal(request, "Single sign-on is not set up here.", 404)
    binding = secrets.token_urlsafe(32)
    state, attempt = await sso.begin_attempt(request.app[CORE], binding, registrar_id)
    try:
        url = await request.app[CLIENT].authorization_url(provider, request.app[SETTINGS].redirect_uri, state, attempt)
    except ProviderError as exc:
        return _refusal(request, f"The identity provider cannot be used now: {exc}", 502)
    response = web.HTTPSeeOther(url)
    # Lax, not Strict: the provider's redirect back is a cross-site navigation that must carry it.
    response.set_cookie(SSO_COOKIE, binding, path="/", secure=True, httponly=True, samesite="Lax",
                        max_age=int(sso.ATTEMPT_TTL.total_seconds()))
    raise response


async def callback(request: web.Request) -> web.Response:
    refused = await _too_fast(request)
    if refused is not None:
        return refused
    core, query = request.app[CORE], request.query
    try:
        attempt = await sso.take_attempt(core, query.get("state", ""), request.cookies.get(SSO_COOKIE, ""))
    except AuthenticationFailed as exc:
        return _refusal(request, f"Single sign-on refused: {exc}.", 400)
    if "error" in query or "code" not in query:
        return _refusal(request, "The identity provider did not sign you in.", 401)
    provider = await _provider(request, attempt.registrar_id)
    if provider is None:
        return _refusal(request, "Single sign-on is not set up here.", 404)
    try:
        claims = await request.app[CLIENT].redeem(provider, request.app[SETTINGS].redirect_uri, query["code"],
                                                  attempt)
    except ProviderError as exc:
        return _refusal(request, f"Single sign-on refused: {exc}.", 401)
    strong = rules.strongly_authenticated(claims.get("amr"), claims.get("acr"), request.app[SETTINGS].accepted_acr)
    email = rules.verified_email(claims)
    identity = sso.Identity(provider.issuer, str(claims["sub"]), email or str(claims.get("email", "")), strong)
    if email is None:
        await sso.record_refusal(core, attempt.registrar_id, identity, "email not verified")
        return _refusal(request, "Your identity provider has not verified your email address.", 403)
    try:
        signed = await sso.sign_in(core, attempt.registrar_id, identity, client_ip(request),
                                   request.headers.get("User-Agent", ""))
    except AuthenticationFailed as exc:
        return _refusal(request, f"Single sign-on refused: {exc}.", 403)
    return _signed_in(request, signed.token, NEXT.get(signed.second_factor, "/mfa"))


async def end_session(request: web.Request, issuer: str, registrar_id: str | None) -> str | None:
    """The provider's logout URL for a session it opened (RP-Initiated Logout), or None when
    that provider is no longer set up here, has no logout endpoint, or cannot be reached:
    our session has ended either way."""
    settings = request.app[SETTINGS]
    provider = await _provider(request, registrar_id if settings.registrars else None)
    if provider is None or provider.issuer != issuer:
        return None
    try:
        return await request.app[CLIENT].end_session_url(provider, settings.post_logout_uri)
    except ProviderError:
        return None


def _signed_in(request: web.Request, token: str, next_path: str) -> web.Response:
    """A same-site page that moves on: the session cookie is SameSite=Strict, which a browser
    would not send on the rest of the provider's cross-site redirect chain."""
    response = page(request, "sso_done.html", {"next": next_path})
    start_session(response, token)
    clear_cookie(response, SSO_COOKIE)
    return response


def _refusal(request: web.Request, error: str, status: int) -> web.Response:
    """The login page again, saying why (what the user can act on, nothing more)."""
    token = new_pre_session_token()
    response = page(request, "login.html", {"csrf": token, "error": error}, status)
    set_cookie(response, PRE_SESSION_COOKIE, token)
    clear_cookie(response, SSO_COOKIE)
    return response


def setup(app: web.Application, kind: str, config: Config) -> None:
    settings = settings_of(kind, config)
    app[SETTINGS], app[CLIENT] = settings, ProviderClient(allow_http=config.console.sso_allow_http)
    app[LIMITS] = IpLimits(LimitPolicy(config.console.sso_rate_per_second, config.console.sso_burst, 0), scope="sso")
    app[SSO_LOGIN] = "registrar" if settings.registrars else ("staff" if settings.staff else "")
    app[END_SESSION] = end_session

    async def close(app: web.Application) -> None:
        await app[CLIENT].close()
    app.on_cleanup.append(close)
    app.router.add_get("/sso/start", start)
    app.router.add_get("/sso/callback", callback)
