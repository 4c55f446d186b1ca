"""An OpenID Connect relying party's talk with identity providers (authorization code flow
with PKCE S256): discovery (cached), the authorization URL, the token request and the ID
token's checks (signature by the provider's JWKS through joserfc, then the claim rules of
registry_core/model/sso.py). Every call has a timeout and a bounded body; providers must
be HTTPS unless the operator allows plain HTTP for development."""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import orjson
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from registry_core.model import sso as rules
from registry_core.services.sso import Attempt, Provider

MAX_BODY = 256 * 1024
TIMEOUT = aiohttp.ClientTimeout(total=10)
CACHE_SECONDS = 3600.0
ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]


class ProviderError(Exception):
    """The identity provider could not be reached, answered wrongly, or its token failed a check."""


@dataclass
class _Known:
    fetched: float
    metadata: dict[str, Any]
    keys: KeySet | None = None


@dataclass
class ProviderClient:
    """One per web app: its HTTP session and the discovery cache."""

    allow_http: bool = False
    _cache: dict[str, _Known] = field(default_factory=dict)
    _http: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    def _check_url(self, url: str) -> str:
        if not url.startswith("https://") and not (self.allow_http and url.startswith("http://")):
            raise ProviderError(f"identity provider URL must be HTTPS: {url}")
        return url

    async def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self._session().request(method, self._check_url(url), allow_redirects=False, **kwargs) as resp:
                body = await resp.content.read(MAX_BODY + 1)
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ProviderError(f"identity provider unreachable: {exc.__class__.__name__}") from exc
        if len(body) > MAX_BODY or status != 200:
            raise ProviderError(f"identity provider answered {status} at {url}")
        try:
            found = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ProviderError("identity provider answered something other than JSON") from exc
        if not isinstance(found, dict):
            raise ProviderError("identity provider answered JSON that is not an object")
        return found

    async def metadata(self, issuer: str) -> dict[str, Any]:
        known = self._cache.get(issuer)
        if known is None or time.monotonic() - known.fetched > CACHE_SECONDS:
            found = await self._json("GET", issuer.rstrip("/") + "/.well-known/openid-configuration")
            if found.get("issuer") != issuer or not all(isinstance(found.get(k), str) for k in
                                                        ("authorization_endpoint", "token_endpoint", "jwks_uri")):
                raise ProviderError("the provider's discovery document does not match its issuer")
            known = self._cache[issuer] = _Known(time.monotonic(), found)
        return known.metadata

    async def keys(self, issuer: str, *, fresh: bool = False) -> KeySet:
        metadata = await self.metadata(issuer)
        known = self._cache[issuer]
        if known.keys is None or fresh:
            try:
                known.keys = KeySet.import_key_set(await self._json("GET", metadata["jwks_uri"]))  # type: ignore[arg-type]
            except (JoseError, ValueError, KeyError, TypeError) as exc:
                raise ProviderError("the provider's key set cannot be read") from exc
        return known.keys

    async def authorization_url(self, provider: Provider, redirect_uri: str, state: str, attempt: Attempt) -> str:
        metadata = await self.metadata(provider.issuer)
        query = urlencode({"response_type": "code", "client_id": provider.client_id, "redirect_uri": redirect_uri,
                           "scope": provider.scopes, "state": state, "nonce": attempt.nonce,
                           "code_challenge": pkce_challenge(attempt.code_verifier), "code_challenge_method": "S256"})
        endpoint = self._check_url(metadata["authorization_endpoint"])
        return endpoint + ("&" if "?" in endpoint else "?") + query

    async def end_session_url(self, provider: Provider, post_logout_uri: str) -> str | None:
        """Where to send the browser to end its session at the provider too (OpenID Connect
        RP-Initiated Logout 1.0: `client_id` names us, as no ID token is kept), or None when
        the provider has no end_session_endpoint."""
        endpoint = (await self.metadata(provider.issuer)).get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        query = urlencode({"client_id": provider.client_id, "post_logout_redirect_uri": post_logout_uri})
        return f"{self._check_url(endpoint)}{'&' if '?' in endpoint else '?'}{query}"

    async def redeem(self, provider: Provider, redirect_uri: str, code: str, attempt: Attempt) -> dict[str, Any]:
        """Exchange the code for tokens and return the checked ID token's claims."""
        metadata = await self.metadata(provider.issuer)
        basic = base64.b64encode(f"{quote(provider.client_id, safe='')}:{quote(provider.client_secret, safe='')}"
                                 .encode()).decode()
        tokens = await self._json("POST", metadata["token_endpoint"], headers={"Authorization": f"Basic {basic}"},
                                  data={"grant_type": "authorization_code", "code": code,
                                        "redirect_uri": redirect_uri, "code_verifier": attempt.code_verifier})
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str) or len(id_token) > MAX_BODY:
            raise ProviderError("the provider sent no ID token")
        claims = await self._verified_claims(provider.issuer, id_token)
        problem = rules.claims_problem(claims, issuer=provider.issuer, client_id=provider.client_id,
                                       nonce=attempt.nonce, now=time.time())
        if problem is not None:
            raise ProviderError(f"the ID token is not acceptable: {problem}")
        if "email" not in claims and isinstance(tokens.get("access_token"), str):
            claims = {**claims, **await self._userinfo_email(metadata, tokens["access_token"], claims["sub"])}
        return claims

    async def _userinfo_email(self, metadata: dict[str, Any], access_token: str, subject: str) -> dict[str, Any]:
        """email and email_verified from the UserInfo endpoint (a provider that keeps scope
        claims out of the ID token), only when it speaks of the same subject."""
        if not isinstance(metadata.get("userinfo_endpoint"), str):
            return {}
        found = await self._json("GET", metadata["userinfo_endpoint"],
                                 headers={"Authorization": f"Bearer {access_token}"})
        if found.get("sub") != subject:
            raise ProviderError("the provider's user info is about another subject")
        return {k: found[k] for k in ("email", "email_verified") if k in found}

    async def _verified_claims(self, issuer: str, id_token: str) -> dict[str, Any]:
        for fresh in (False, True):  # a key not yet known: the provider may have rotated; fetch once more
            keys = await self.keys(issuer, fresh=fresh)
            try:
                return dict(jwt.decode(id_token, keys, algorithms=ALGORITHMS).claims)
            except (JoseError, ValueError) as exc:
                failure = exc
        raise ProviderError(f"the ID token's signature is not the provider's: {failure.__class__.__name__}")


def pkce_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
