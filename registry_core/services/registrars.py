"""Registrar accounts: creation, credentials, pinned certificates, money, and login."""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from registry_core.context import Core
from registry_core.crypto import DUMMY_HASH
from registry_core.db.repo import objects
from registry_core.db.repo import registrars as repo
from registry_core.db.tx import Tx
from registry_core.errors import (
    AuthenticationFailed,
    InvalidValue,
    ObjectNotFound,
    PolicyViolation,
    RegistrarNotAllowed,
)
from registry_core.model import notification as note
from registry_core.model.actor import Actor
from registry_core.model.registrar import Registrar
from registry_core.services import notifications
from registry_core.services.billing import charge
from registry_core.services.staff import StaffChange, authorize

_PASSWORD = re.compile(r"^(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9]).{8,16}$")
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
STATUSES = ("active", "readonly", "suspended")


@dataclass(frozen=True)
class NewRegistrar:
    id: str
    name: str
    password: str
    iana_id: int | None = None
    credit_limit: Decimal = Decimal(0)
    email: str | None = None
    url: str | None = None
    whois_server: str | None = None
    abuse_email: str | None = None
    abuse_phone: str | None = None
    ip_allowlist: tuple[str, ...] = ()
    low_balance_alert: Decimal | None = None


def check_password_strength(password: str) -> None:
    """EPP passwords are 6-16 characters (RFC 5730 pwType); we ask for 8-16 with mixed case and a digit."""
    if not _PASSWORD.match(password):
        raise PolicyViolation("password must be 8-16 characters with upper, lower case and a digit",
                              object_type="registrar", field="newPW")


def new_epp_password() -> str:
    """A random EPP password that passes the strength rule (an admin's reset, shown once)."""
    return "Ep1" + secrets.token_urlsafe(10)[:13]


def _networks(allowlist: tuple[str, ...]) -> list[str]:
    try:
        return [str(ipaddress.ip_network(n, strict=False)) for n in allowlist]
    except ValueError as exc:
        raise InvalidValue(str(exc), object_type="registrar", field="ip_allowlist") from exc


async def add_registrar(core: Core, req: NewRegistrar, change: StaffChange | None = None) -> Registrar:
    authorized = authorize(change, "registry.policy", "registrar", req.id)
    check_password_strength(req.password)
    if not re.fullmatch(r"[A-Za-z0-9._-]{3,16}", req.id):
        raise InvalidValue("registrar id must be 3-16 letters, digits, . _ -", object_type="registrar",
                           field="id", value=req.id)
    password_hash = await core.passwords.hash(req.password)

    async def run(tx: Tx) -> Registrar:
        values: dict[str, Any] = {
            "id": req.id, "name": req.name, "iana_id": req.iana_id, "password_hash": password_hash,
            "credit_limit": req.credit_limit, "email": req.email, "url": req.url, "whois_server": req.whois_server,
            "abuse_email": req.abuse_email, "abuse_phone": req.abuse_phone,
            "ip_allowlist": _networks(req.ip_allowlist), "low_balance_alert": req.low_balance_alert,
            "created_at": tx.now}
        await repo.insert_registrar(tx.conn, values)
        await objects.insert_history(tx.conn, authorized.actor, tx.now, "registrar", None, req.id, "create",
                                     None, authorized.noted({k: v for k, v in values.items() if k != "password_hash"}),
                                     sv_trid=authorized.sv_trid)
        registrar = await repo.fetch_registrar_by_id(tx.conn, req.id)
        assert registrar is not None
        return registrar
    return await core.db.transaction(run)


async def get_registrar(core: Core, registrar_id: str) -> Registrar:
    async def run(tx: Tx) -> Registrar:
        registrar = await repo.fetch_registrar_by_id(tx.conn, registrar_id)
        if registrar is None:
            raise ObjectNotFound("no such registrar", object_type="registrar", name=registrar_id)
        return registrar
    return await core.db.transaction(run, readonly=True)


async def list_registrars(core: Core) -> list[Registrar]:
    async def run(tx: Tx) -> list[Registrar]:
        return await repo.fetch_registrars(tx.conn)
    return await core.db.transaction(run, readonly=True)


async def update_registrar(core: Core, registrar_id: str, *, change: StaffChange | None = None,
                           **values: Any) -> None:
    """Change a registrar's account (status, EPP password, IP allowlist, contact details);
    the history keeps the new values, never the password."""
    authorized = authorize(change, "registry.policy", "registrar", registrar_id)
    if "status" in values and values["status"] not in STATUSES:
        raise InvalidValue(f"a registrar's status is one of {', '.join(STATUSES)}", object_type="registrar",
                           name=registrar_id, field="status", value=str(values["status"]))
    if "password" in values:
        check_password_strength(values["password"])
        values["password_hash"] = await core.passwords.hash(values.pop("password"))
    if "ip_allowlist" in values:
        values["ip_allowlist"] = _networks(tuple(values["ip_allowlist"]))

    async def run(tx: Tx) -> None:
        if not await repo.update_registrar(tx.conn, registrar_id, values, tx.now):
            raise ObjectNotFound("no such registrar", object_type="registrar", name=registrar_id)
        safe = {k: v for k, v in values.items() if k != "password_hash"}
        if "password_hash" in values:
            safe = {**safe, "password": "changed"}
        await objects.insert_history(tx.conn, authorized.actor, tx.now, "registrar", None, registrar_id, "update",
                                     None, authorized.noted(safe), sv_trid=authorized.sv_trid)
    await core.db.transaction(run)


async def add_certificate(core: Core, registrar_id: str, sha256: str, subject: str | None = None, *,
                          not_after: datetime | None = None, change: StaffChange | None = None) -> None:
    """Pin a client certificate; `not_after` (its end of validity) drives the expiry reminders."""
    authorized = authorize(change, "registry.policy", "registrar", registrar_id)
    fingerprint = sha256.lower().replace(":", "")
    if not _FINGERPRINT.match(fingerprint):
        raise InvalidValue("a SHA-256 fingerprint is 64 hex digits", object_type="registrar",
                           field="sha256", value=sha256)

    async def run(tx: Tx) -> None:
        if await repo.fetch_registrar_by_id(tx.conn, registrar_id) is None:
            raise ObjectNotFound("no such registrar", object_type="registrar", name=registrar_id)
        await repo.insert_certificate(tx.conn, registrar_id, fingerprint, subject, not_after)
        await objects.insert_history(tx.conn, authorized.actor, tx.now, "registrar", None, registrar_id,
                                     "certificate-pin", None, authorized.noted({"sha256": fingerprint,
                                                                                "subject": subject}),
                                     sv_trid=authorized.sv_trid)
    await core.db.transaction(run)


async def credit_registrar(core: Core, registrar_id: str, amount: Decimal, description: str,
                           sv_trid: str, change: StaffChange | None = None) -> Decimal:
    """Add funds (or, with a negative amount, an adjustment) with its ledger row; a staff
    member's (finance or admin) also leaves a history row with who and why."""
    authorized = authorize(change, "billing.write", "registrar", registrar_id)
    if authorized.actor is not None:
        if amount == 0:
            raise InvalidValue("an amount other than zero", object_type="registrar", name=registrar_id,
                               field="amount")
        description = f"{description.strip() or 'manual'}: {authorized.reason}"

    async def run(tx: Tx) -> Decimal:
        registrar = await repo.fetch_registrar_by_id(tx.conn, registrar_id)
        if registrar is None:
            raise ObjectNotFound("no such registrar", object_type="registrar", name=registrar_id)
        await charge(tx, Actor(registrar_id, sv_trid), registrar_id, amount, registrar.currency,
                     "credit" if amount > 0 else "adjustment", ("", 0, ""), None, description)
        if amount > 0:
            await notifications.emit(tx, sv_trid, note.Event(
                note.CREDIT_ADDED, note.registrar_audience(registrar_id),
                {"registrar": registrar_id, "amount": str(amount), "currency": registrar.currency,
                 "balance": str(registrar.balance + amount), "description": description},
                "registrar", registrar_id))
        updated = await repo.fetch_registrar_by_id(tx.conn, registrar_id)
        assert updated is not None
        if authorized.actor is not None:
            await objects.insert_history(tx.conn, authorized.actor, tx.now, "registrar", None, registrar_id,
                                         "credit" if amount > 0 else "adjustment", {"balance": str(registrar.balance)},
                                         authorized.noted({"amount": str(amount), "balance": str(updated.balance)}),
                                         sv_trid=authorized.sv_trid)
        return updated.balance
    return await core.db.transaction(run)


async def statement(core: Core, registrar_id: str, start: datetime | None = None,
                    end: datetime | None = None) -> list[dict[str, Any]]:
    async def run(tx: Tx) -> list[dict[str, Any]]:
        if await repo.fetch_registrar_by_id(tx.conn, registrar_id) is None:
            raise ObjectNotFound("no such registrar", object_type="registrar", name=registrar_id)
        return await repo.fetch_ledger(tx.conn, registrar_id, start, end)
    return await core.db.transaction(run, readonly=True)


async def ledger_sum(core: Core, registrar_id: str) -> Decimal:
    async def run(tx: Tx) -> Decimal:
        return await repo.fetch_ledger_sum(tx.conn, registrar_id)
    return await core.db.transaction(run, readonly=True)


def _address_allowed(registrar: Registrar, peer_ip: str | None) -> bool:
    if not registrar.ip_allowlist:
        return True
    if peer_ip is None:
        return False
    address = ipaddress.ip_address(peer_ip)
    return any(address in ipaddress.ip_network(n) for n in registrar.ip_allowlist)


async def authenticate(core: Core, registrar_id: str, password: str, *, fingerprint: str | None,
                       peer_ip: str | None, new_password: str | None = None) -> Registrar:
    """EPP login: the password, the pinned client certificate and the address allowlist must
    all match. Every refusal is the same AuthenticationFailed to the client; `detail` says
    which check failed, for the log.

    The account is read without a transaction, the password is verified on the core's hasher
    (off the event loop, holding no connection), and only then are the certificate and the
    address checked: every refusal costs one scrypt, so its timing does not tell whether the
    registrar exists (an unknown one is verified against a dummy hash). A `<newPW>` is
    hashed the same way and written in its own short transaction."""
    if new_password is not None:
        check_password_strength(new_password)
    registrar, stored = await _login_record(core, registrar_id)
    verified = await core.passwords.verify(password, stored or DUMMY_HASH)
    if registrar is None or stored is None or not verified:
        raise AuthenticationFailed("unknown registrar or wrong password", name=registrar_id)
    _check_access(registrar, fingerprint, peer_ip)
    if new_password is not None:
        await _store_password(core, registrar_id, await core.passwords.hash(new_password))
    return registrar


async def _login_record(core: Core, registrar_id: str) -> tuple[Registrar | None, str | None]:
    async def run(tx: Tx) -> tuple[Registrar | None, str | None]:
        return (await repo.fetch_registrar_by_id(tx.conn, registrar_id),
                await repo.fetch_password_hash(tx.conn, registrar_id))
    return await core.db.transaction(run, readonly=True)


def _check_access(registrar: Registrar, fingerprint: str | None, peer_ip: str | None) -> None:
    """After the password: the pinned certificate, the address allowlist, the account's status."""
    if fingerprint is None or fingerprint not in registrar.fingerprints:
        raise AuthenticationFailed("client certificate is not pinned to this registrar", name=registrar.id)
    if not _address_allowed(registrar, peer_ip):
        raise AuthenticationFailed(f"address {peer_ip} is not on the allowlist", name=registrar.id)
    if registrar.status == "suspended":
        raise RegistrarNotAllowed("registrar is suspended", object_type="registrar", name=registrar.id)


async def _store_password(core: Core, registrar_id: str, password_hash: str) -> None:
    async def run(tx: Tx) -> None:
        await repo.update_registrar(tx.conn, registrar_id, {"password_hash": password_hash}, tx.now)
    await core.db.transaction(run)
