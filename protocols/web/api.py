"""The JSON API on the registrar listener (/api/v1/...): the same services as the console
pages, rendered as JSON, described by the OpenAPI document at /api/v1/openapi.json.

A program authenticates with an API key (`Authorization: Bearer rgr_...`); a signed-in
browser may call it with its session cookie, then with the `X-CSRF-Token` header too.
Errors are {"error": sentence, "status": code} from the consoles' one error table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web

from protocols.web.forms import day_start
from protocols.web.openapi import DOCUMENT
from protocols.web.security import CSRF_HEADER, tokens_match
from protocols.web.session import CORE, SESSION_COOKIE, client_ip, current_session, origin
from registry_core.errors import AuthenticationFailed, InvalidValue
from registry_core.model import names
from registry_core.model.accounts import Principal
from registry_core.model.domain import DomainInfo, DsData
from registry_core.model.registry_lock import LockRequest
from registry_core.services import accounts, console_domain_actions, console_domains, overview, registry_lock
from registry_core.services.console_domains import DomainFilter

MAX_LIMIT = 500


def _by_key(request: web.Request) -> bool:
    return request.headers.get("Authorization", "").startswith("Bearer ")


async def principal(request: web.Request) -> Principal:
    """The API key's principal, or the signed-in user's (CSRF header required)."""
    if _by_key(request):
        token = request.headers["Authorization"][7:].strip()
        return await accounts.api_key_principal(request.app[CORE], token, client_ip(request))
    view = await current_session(request)
    if view is None or not view.trusted:
        raise AuthenticationFailed("an API key (Authorization: Bearer ...) or a signed-in session is required")
    if request.method != "GET" and not tokens_match(view.csrf_token, request.headers.get(CSRF_HEADER)):
        raise AuthenticationFailed(f"the {CSRF_HEADER} header is missing or wrong")
    return view.principal


def _registrar(who: Principal) -> str:
    if who.registrar_id is None:
        raise InvalidValue("this endpoint is for a registrar's users and keys", object_type="registrar")
    return who.registrar_id


def _json(value: Any, status: int = 200) -> web.Response:
    return web.json_response(value, status=status, content_type="application/json")


def _when(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def get_registrar(request: web.Request) -> web.Response:
    who = await principal(request)
    summary = await overview.registrar_overview(request.app[CORE], who, _registrar(who))
    return _json({"id": summary.registrar_id, "name": summary.name, "balance": str(summary.balance),
                  "credit_limit": str(summary.credit_limit), "currency": summary.currency,
                  "counts": summary.counts})


def _limit(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise InvalidValue(f"limit: a whole number from 1 to {MAX_LIMIT}", field="limit", value=text)
    return int(text)


def _filter(query: Any) -> DomainFilter:
    """Unlike the page's form, the API takes a parameter it is given as meant: an empty
    status or date is an error, not "any"."""
    before = query.get("expires_before")
    expires = None if before is None else day_start(before, "expires_before")
    return DomainFilter(query.get("prefix", ""), query.get("status"), expires)


async def list_domains(request: web.Request) -> web.Response:
    who = await principal(request)
    limit = _limit(request.query.get("limit", "50"))
    rows = await console_domains.registrar_domains(request.app[CORE], who, _registrar(who), _filter(request.query),
                                                   request.query.get("after", ""), limit + 1)
    page = rows[:limit]
    return _json({"domains": [{"name": r.name, "statuses": list(r.statuses), "expires_at": _when(r.expires_at),
                               "created_at": _when(r.created_at)} for r in page],
                  "next": page[-1].name if len(rows) > limit else None})


def domain_json(info: DomainInfo) -> dict[str, Any]:
    return {"name": info.name, "roid": info.roid, "statuses": list(info.statuses) or ["ok"],
            "rgp_statuses": list(info.rgp_statuses), "sponsor": info.sponsor_id,
            "created_at": _when(info.created_at), "updated_at": _when(info.updated_at),
            "expires_at": _when(info.expires_at), "nameservers": list(info.nameservers),
            "registrant": info.registrant, "contacts": [{"role": r, "handle": h} for r, h in info.contacts],
            "ds": [{"key_tag": d.key_tag, "alg": d.alg, "digest_type": d.digest_type, "digest": d.digest}
                   for d in info.ds]}


async def get_domain(request: web.Request) -> web.Response:
    who = await principal(request)
    info = await console_domains.domain_detail(request.app[CORE], who, request.match_info["name"])
    return _json(domain_json(info))


async def renew_domain(request: web.Request) -> web.Response:
    who = await principal(request)
    try:
        body = await request.json()
        years, expiry = int(body["years"]), date.fromisoformat(str(body["current_expiry"]))
    except (ValueError, KeyError, TypeError):
        raise InvalidValue('the body is {"years": 1-10, "current_expiry": "YYYY-MM-DD"}') from None
    renewed = await console_domains.renew_from_console(request.app[CORE], who, request.match_info["name"], expiry,
                                                       years, origin(request))
    return _json({"name": renewed.name, "expires_at": _when(renewed.expires_at), "charged": renewed.charged,
                  "currency": renewed.currency})


async def _body(request: web.Request, shape: str, keys: set[str], *, strings: bool = False) -> dict[str, Any]:
    """The JSON object of the request, with no key outside `keys` (and, with `strings`, only
    strings for values); anything else is refused with the expected `shape`."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not set(body) <= keys or (
            strings and not all(isinstance(v, str) for v in body.values())):
        raise InvalidValue(f"the body is {shape}")
    return body


_DS_FIELDS = ("key_tag", "alg", "digest_type", "digest")
MAX_DS_CHANGES = 8


def _ds_list(body: dict[str, Any], key: str) -> tuple[DsData, ...]:
    items = body.get(key, [])
    if not isinstance(items, list) or len(items) > MAX_DS_CHANGES:
        raise InvalidValue(f"{key}: a list of at most {MAX_DS_CHANGES} DS records", field=key)
    found = []
    for item in items:
        if not isinstance(item, dict) or set(item) != set(_DS_FIELDS) or not isinstance(item["digest"], str) or any(
                type(item[f]) is not int for f in _DS_FIELDS[:3]):
            raise InvalidValue(f"{key}: each DS record is {{key_tag, alg, digest_type: integers, digest: hex}}",
                               field=key)
        found.append(console_domain_actions.ds_record(*(str(item[f]) for f in _DS_FIELDS)))
    return tuple(found)


async def change_ds(request: web.Request) -> web.Response:
    """secDNS <update>: {"add": [DS...], "remove": [DS...]}; the domain afterwards."""
    who = await principal(request)
    body = await _body(request, '{"add": [...], "remove": [...]}', {"add", "remove"})
    info = await console_domain_actions.change_ds(request.app[CORE], who, request.match_info["name"],
                                                  _ds_list(body, "add"), _ds_list(body, "remove"), origin(request))
    return _json(domain_json(info))


async def delete_domain(request: web.Request) -> web.Response:
    """EPP <delete>: `pending` true when the domain entered its redemption period."""
    who = await principal(request)
    done = await console_domain_actions.delete_from_console(request.app[CORE], who, request.match_info["name"],
                                                            origin(request))
    return _json({"name": done.name, "pending": done.pending})


def lock_request_json(asked: LockRequest) -> dict[str, Any]:
    return {"id": asked.id, "domain": asked.domain, "action": asked.action, "state": asked.state,
            "reason": asked.reason, "requested_by": asked.requested_by, "requested_at": _when(asked.requested_at),
            "expires_at": _when(asked.expires_at), "confirmed_at": _when(asked.confirmed_at)}


async def get_lock(request: web.Request) -> web.Response:
    """Whether the domain is registry-locked, and its lock requests, newest first."""
    who = await principal(request)
    locked, requests = await registry_lock.domain_lock_state(request.app[CORE], who, request.match_info["name"])
    name = names.normalize_object_name(request.match_info["name"], "domain")  # as the service found it
    return _json({"name": name, "locked": locked is not None,
                  "locked_at": _when(locked.locked_at) if locked else None,
                  "requests": [lock_request_json(r) for r in requests]})


async def ask_lock(request: web.Request) -> web.Response:
    """Ask for lock or unlock; the registry mails the code to the registrar, or with
    "deliver_to": "registrant" to the registrant contact's own address."""
    who = await principal(request)
    shape = '{"action": "lock" | "unlock", "reason": text, "deliver_to": "registrar" | "registrant"}'
    body = await _body(request, shape, {"action", "reason", "deliver_to"}, strings=True)
    asked = await registry_lock.request_lock(request.app[CORE], who, request.match_info["name"],
                                             body.get("action", ""), body.get("reason", ""), origin(request),
                                             deliver_to=body.get("deliver_to", "registrar"))
    return _json(lock_request_json(asked), status=201)


async def confirm_lock(request: web.Request) -> web.Response:
    """The mailed code comes back. A browser session proves its user again with a current
    TOTP code ("totp"), as the console page does; a program with an API key is a registrar's
    own system, which answers for its user's second factor (a shop asks its customer's)."""
    who = await principal(request)
    shape = '{"code": the mailed code, "totp": a current code (browser sessions)}'
    body = await _body(request, shape, {"code", "totp"}, strings=True)
    if not _by_key(request):
        await accounts.verify_second_factor(request.app[CORE], request.cookies.get(SESSION_COOKIE, ""),
                                            body.get("totp", ""), client_ip(request), reauth=True)
    text = request.match_info["id"]
    if not text.isdigit() or len(text) > 18:
        raise InvalidValue("the request id is a whole number", field="id", value=text)
    done = await registry_lock.confirm_lock(request.app[CORE], who, int(text), body.get("code", ""), origin(request))
    return _json(lock_request_json(done))


async def openapi(_request: web.Request) -> web.Response:
    return _json(DOCUMENT)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/openapi.json", openapi)
    app.router.add_get("/api/v1/registrar", get_registrar)
    app.router.add_get("/api/v1/domains", list_domains)
    app.router.add_get("/api/v1/domains/{name}", get_domain)
    app.router.add_post("/api/v1/domains/{name}/renew", renew_domain)
    app.router.add_post("/api/v1/domains/{name}/ds", change_ds)
    app.router.add_delete("/api/v1/domains/{name}", delete_domain)
    app.router.add_get("/api/v1/domains/{name}/lock", get_lock)
    app.router.add_post("/api/v1/domains/{name}/lock-requests", ask_lock)
    app.router.add_post("/api/v1/lock-requests/{id}/confirm", confirm_lock)
