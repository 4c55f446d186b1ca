"""The admin console's users page: the registry's staff or one registrar's users (with
their live sessions) and API keys; an admin invites users, changes a role, ends a user's
sessions, creates and revokes keys. Role changes, invitations and keys need a fresh second
factor; the services check the admin role and record who, why and from where."""

from __future__ import annotations

from aiohttp import web

from protocols.web.auth import page
from protocols.web.session import CORE, trusted_session
from protocols.web.staff_forms import Form, staff_action, staff_view
from registry_core.model.accounts import REGISTRAR_ROLES, REGISTRY_ROLES, allowed
from registry_core.services import accounts, registrars, user_admin
from registry_core.services.staff import StaffChange


def _registrar(request: web.Request) -> str | None:
    return request.query.get("registrar", "").strip() or None


async def users_page(request: web.Request, *, notice: str = "", error: str = "", status: int = 200,
                     new_key: str = "") -> web.Response:
    who = await staff_view(request)
    view = await trusted_session(request)
    core, registrar_id = request.app[CORE], _registrar(request)
    users = await user_admin.users_of(core, who, registrar_id)  # checks who may see them
    context = {"who": who, "csrf": view.csrf_token, "notice": notice, "new_key": new_key, "users": users,
               "keys": await accounts.api_keys(core, registrar_id), "registrar": registrar_id or "",
               "registrars": [r.id for r in await registrars.list_registrars(core)],
               "roles": REGISTRY_ROLES if registrar_id is None else REGISTRAR_ROLES,
               "can_manage": allowed(who, "users.write", registrar_id),
               "query": f"?registrar={registrar_id}" if registrar_id else ""}
    if error:
        context["error"] = error
    return page(request, "admin_users.html", context, status)


async def users_list(request: web.Request) -> web.Response:
    return await users_page(request)


async def invite(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        password, login = accounts.temporary_password(), str(form.get("login", ""))
        await accounts.add_user(request.app[CORE], accounts.NewUser(
            login, str(form.get("email", "")), str(form.get("role", "read-only")), _registrar(request),
            password=password), by=change.who)
        return f"User {login.strip().lower()} added. First password (shown once): {password}"
    return await staff_action(request, act, users_page, sensitive=True)


def _user_id(request: web.Request) -> int:
    return int(request.match_info["user_id"])


async def change_role(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        role = str(form.get("role", ""))
        login = await user_admin.change_role(request.app[CORE], change, _user_id(request), role)
        return f"{login} is now {role}."
    return await staff_action(request, act, users_page, sensitive=True)


async def end_sessions(request: web.Request) -> web.Response:
    async def act(change: StaffChange, _form: Form) -> str:
        ended = await user_admin.end_user_sessions(request.app[CORE], change, _user_id(request))
        return f"{ended} session(s) ended."
    return await staff_action(request, act, users_page)


async def create_key(request: web.Request) -> web.Response:
    shown: dict[str, str] = {}

    async def act(change: StaffChange, form: Form) -> str:
        ips = str(form.get("allowed_ips", "")).split()
        key = await accounts.create_api_key(request.app[CORE], change.who,
                                            str(form.get("name", "")).strip() or "API key",
                                            str(form.get("role", "read-only")), registrar_id=_registrar(request),
                                            allowed_ips=ips)
        shown["new_key"] = key.token
        return f"API key {key.hint} created: copy it now, it is shown only once."

    async def render(req: web.Request, **outcome: object) -> web.Response:
        return await users_page(req, **outcome, **shown)  # type: ignore[arg-type]
    return await staff_action(request, act, render, sensitive=True)


async def revoke_key(request: web.Request) -> web.Response:
    async def act(change: StaffChange, _form: Form) -> str:
        key_id = int(request.match_info["key_id"])
        await accounts.revoke_api_key(request.app[CORE], change.who, key_id, _registrar(request))
        return f"API key {key_id} revoked."
    return await staff_action(request, act, users_page, sensitive=True)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/users", users_list)
    app.router.add_post("/users", invite)
    app.router.add_post("/users/{user_id:[0-9]+}/role", change_role)
    app.router.add_post("/users/{user_id:[0-9]+}/end-sessions", end_sessions)
    app.router.add_post("/api-keys", create_key)
    app.router.add_post("/api-keys/{key_id:[0-9]+}/revoke", revoke_key)
