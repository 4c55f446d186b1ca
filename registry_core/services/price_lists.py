"""Operator price lists: premium names (CSV import), reserved names, registrar price groups."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation

from registry_core.context import Core
from registry_core.db.repo import objects, registrars, tlds
from registry_core.db.repo import pricing as repo
from registry_core.db.tx import Tx
from registry_core.errors import CoreError, InvalidValue, ObjectNotFound, PolicyErrors
from registry_core.model import names
from registry_core.model.pricing import PRICED_ACTIONS, PremiumPrice
from registry_core.model.registrar import Tld
from registry_core.services.staff import StaffChange, authorize
from registry_core.services.tlds import tld_name

_GROUP = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
MAX_CSV_ROWS = 1_000_000
MAX_ROW_ERRORS = 100  # a file with more bad rows is refused with the first hundred


async def _tld(tx: Tx, name: str) -> Tld:
    tld = await tlds.fetch_tld_by_name(tx, tld_name(name))
    if tld is None:
        raise ObjectNotFound("no such TLD", object_type="tld", name=name)
    return tld


def full_name(raw: str, tld: str, *, line: int | None = None) -> str:
    """A label or a full name, as a normalized name one label below `tld`."""
    where = f"line {line}: " if line else ""
    text = raw.strip().rstrip(".")
    if not text:
        raise InvalidValue(f"{where}empty name", object_type="tld", name=tld, field="name")
    try:
        candidate = names.normalize_name(text if "." in text else f"{text}.{tld}")
    except InvalidValue as exc:
        raise InvalidValue(f"{where}{exc.detail}", object_type="tld", name=tld, field="name",
                           value=raw) from exc
    if names.split_registrable(candidate, {tld}) is None:
        raise InvalidValue(f"{where}not one label below .{tld}", object_type="tld", name=tld, field="name",
                           value=raw)
    return candidate


def _amount(text: str, line: int, column: str) -> Decimal | None:
    if not text.strip():
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise InvalidValue(f"line {line}: {column} is not a number", field=column, value=text) from exc
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidValue(f"line {line}: {column} must be >= 0 with at most 2 decimals", field=column,
                           value=text)
    return value


def parse_premium_csv(text: str, tld: str) -> list[PremiumPrice]:
    """Rows `name,create,renew,transfer,restore` (yearly prices; an empty cell keeps the
    standard price). A first row starting with `name` is a header naming the columns, so
    any subset of the four actions may be given in any order. Names may be labels."""
    rows = list(csv.reader(io.StringIO(text)))
    columns = ["name", *PRICED_ACTIONS]
    start = 0
    if rows and rows[0] and rows[0][0].strip().lower() == "name":
        columns = [c.strip().lower() for c in rows[0]]
        unknown = set(columns[1:]) - set(PRICED_ACTIONS)
        if unknown:
            raise InvalidValue(f"unknown column {sorted(unknown)[0]}", field="header")
        start = 1
    if len(rows) - start > MAX_CSV_ROWS:
        raise InvalidValue(f"at most {MAX_CSV_ROWS} rows", field="rows")
    found: dict[str, PremiumPrice] = {}
    refused: list[CoreError] = []
    for number, row in enumerate(rows[start:], start=start + 1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        try:
            name = full_name(row[0], tld, line=number)
            cells = dict(zip(columns[1:], row[1:], strict=False))
            found[name] = PremiumPrice(name, **{a: _amount(cells.get(a, ""), number, a) for a in PRICED_ACTIONS})
        except InvalidValue as exc:
            refused.append(exc)
            if len(refused) == MAX_ROW_ERRORS:
                break
    _raise_all(refused)
    return list(found.values())


def _raise_all(refused: list[CoreError]) -> None:
    """Every bad row at once (each error names its line), so a file is fixed in one go."""
    if len(refused) == 1:
        raise refused[0]
    if refused:
        raise PolicyErrors(tuple(refused))


async def import_premium_csv(core: Core, tld: str, text: str, *, replace: bool = False,
                             change: StaffChange | None = None) -> int:
    """Load premium prices from CSV text in one transaction; with `replace` the TLD's old
    list is dropped first. Returns the number of names imported. A file with bad rows
    changes nothing and is refused with every bad row (PolicyErrors)."""
    authorized = authorize(change, "registry.policy", "tld", tld)

    async def run(tx: Tx) -> int:
        found = await _tld(tx, tld)
        prices = parse_premium_csv(text, found.name)
        if replace:
            await repo.delete_premium_list(tx, found.name)
        await repo.upsert_premium_prices(tx, found.name, prices, tx.now)
        await objects.insert_history(tx.conn, authorized.actor, tx.now, "tld", None, found.name, "premium-import",
                                     None, authorized.noted({"names": len(prices), "replace": replace}),
                                     sv_trid=authorized.sv_trid)
        return len(prices)
    try:
        return await core.db.transaction(run)
    finally:
        core.db.tld_cache.invalidate()


async def list_premium(core: Core, tld: str) -> list[PremiumPrice]:
    async def run(tx: Tx) -> list[PremiumPrice]:
        return await repo.fetch_premium_list(tx.conn, (await _tld(tx, tld)).name)
    return await core.db.transaction(run, readonly=True)


async def reserve_names(core: Core, tld: str, raw_names: list[str], reason: str = "Reserved",
                        change: StaffChange | None = None) -> list[str]:
    """Put names (labels or full names) on the TLD's reserved list; returns them normalized."""
    authorized = authorize(change, "registry.policy", "tld", tld)

    async def run(tx: Tx) -> list[str]:
        found = await _tld(tx, tld)
        reserved = sorted({full_name(n, found.name) for n in raw_names})
        await repo.upsert_reserved(tx, found.name, reserved, reason.strip() or "Reserved", tx.now)
        await objects.insert_history(tx.conn, authorized.actor, tx.now, "tld", None, found.name, "reserve", None,
                                     authorized.noted({"names": reserved, "shown": reason, "reason": reason}),
                                     sv_trid=authorized.sv_trid)
        return reserved
    try:
        return await core.db.transaction(run)
    finally:
        core.db.tld_cache.invalidate()


async def release_names(core: Core, tld: str, raw_names: list[str], change: StaffChange | None = None) -> int:
    authorized = authorize(change, "registry.policy", "tld", tld)

    async def run(tx: Tx) -> int:
        found = await _tld(tx, tld)
        released = sorted({full_name(n, found.name) for n in raw_names})
        count = await repo.delete_reserved(tx, released)
        await objects.insert_history(tx.conn, authorized.actor, tx.now, "tld", None, found.name, "release", None,
                                     authorized.noted({"names": released}), sv_trid=authorized.sv_trid)
        return count
    try:
        return await core.db.transaction(run)
    finally:
        core.db.tld_cache.invalidate()


async def list_reserved(core: Core, tld: str) -> list[tuple[str, str]]:
    async def run(tx: Tx) -> list[tuple[str, str]]:
        return await repo.fetch_reserved_list(tx.conn, (await _tld(tx, tld)).name)
    return await core.db.transaction(run, readonly=True)


def _check_group(group: str) -> None:
    if not _GROUP.match(group):
        raise InvalidValue("a price group is 1-32 letters, digits, . _ -", field="group", value=group)


async def set_group_prices(core: Core, group: str, tld: str, prices: dict[str, Decimal],
                           change: StaffChange | None = None) -> None:
    """Yearly standard prices of `group` on `tld`; they replace the TLD's for its members."""
    authorized = authorize(change, "registry.policy", "tld", tld)
    _check_group(group)
    for action in prices:
        if action not in PRICED_ACTIONS:
            raise InvalidValue("prices exist for create, renew, transfer and restore", field="action",
                               value=action)

    async def run(tx: Tx) -> None:
        found = await _tld(tx, tld)
        for action, amount in prices.items():
            await repo.upsert_group_price(tx.conn, group, found.name, action, Decimal(amount))
        await objects.insert_history(tx.conn, authorized.actor, tx.now, "tld", None, found.name, "group-price", None,
                                     authorized.noted({"group": group,
                                                       "prices": {k: str(v) for k, v in prices.items()}}),
                                     sv_trid=authorized.sv_trid)
    await core.db.transaction(run)


async def set_registrar_group(core: Core, registrar_id: str, group: str | None,
                              change: StaffChange | None = None) -> None:
    """Put a registrar in a price group (None: back to the TLD prices)."""
    authorized = authorize(change, "registry.policy", "registrar", registrar_id)
    if group is not None:
        _check_group(group)

    async def run(tx: Tx) -> None:
        if await registrars.fetch_registrar_by_id(tx.conn, registrar_id) is None:
            raise ObjectNotFound("no such registrar", object_type="registrar", name=registrar_id)
        await repo.set_registrar_group(tx.conn, registrar_id, group)
        await objects.insert_history(tx.conn, authorized.actor, tx.now, "registrar", None, registrar_id,
                                     "price-group", None, authorized.noted({"group": group}),
                                     sv_trid=authorized.sv_trid)
    await core.db.transaction(run)


async def list_group_prices(core: Core, tld: str) -> list[tuple[str, str, Decimal]]:
    """The price groups' prices on `tld`: (group, action, amount), by group then action."""
    async def run(tx: Tx) -> list[tuple[str, str, Decimal]]:
        return await repo.fetch_group_prices(tx.conn, (await _tld(tx, tld)).name)
    return await core.db.transaction(run, readonly=True)


async def registrar_group(core: Core, registrar_id: str) -> str | None:
    return await core.db.transaction(lambda tx: repo.fetch_registrar_group(tx.conn, registrar_id), readonly=True)
