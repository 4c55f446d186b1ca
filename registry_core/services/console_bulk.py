"""Bulk renewals and name-server changes for a registrar's console user or API key: each
row is its own use case (the same service, the same transaction as one EPP command), so a
row the core refuses leaves the others done; the outcome of every row is reported, the
refusal as the core error itself (each protocol explains it through its own table)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

from registry_core.context import Core
from registry_core.errors import CoreError, InvalidValue, PermissionDenied, ValueOutOfRange
from registry_core.model.accounts import Principal, allowed
from registry_core.services import console_domains
from registry_core.services.console_domains import Origin

MAX_ROWS = 500  # rows of one upload or call: a few minutes of work at most, then the page answers


@dataclass(frozen=True)
class RenewRow:
    line: int  # where the row was (the CSV line, or the index in a JSON list, from 1)
    name: str
    years: str
    current_expiry: str  # YYYY-MM-DD, as EPP's curExpDate


@dataclass(frozen=True)
class NameserverRow:
    line: int
    name: str
    nameservers: tuple[str, ...]  # the whole new set (empty: none)


@dataclass(frozen=True)
class RowOutcome:
    line: int
    name: str
    done: str = ""  # what happened, when it did
    error: CoreError | None = None  # the refusal, when it did not

    @property
    def ok(self) -> bool:
        return self.error is None


def _registrar(who: Principal, count: int) -> str:
    registrar = who.registrar_id or ""
    if not registrar or not allowed(who, "domains.write", registrar):
        raise PermissionDenied("this user may not change the registrar's domains", object_type="registrar",
                               name=registrar)
    if count > MAX_ROWS:
        raise ValueOutOfRange(f"at most {MAX_ROWS} rows at once", field="rows", value=str(count))
    if count == 0:
        raise InvalidValue("no rows: give at least one domain", field="rows")
    return registrar


def _years(text: str) -> int:
    if not text.strip().isdigit():
        raise InvalidValue("years: a whole number of years (1-10)", object_type="domain", field="period",
                           value=text[:20])
    return int(text)


def _expiry(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue("current_expiry: the domain's expiry date as YYYY-MM-DD", object_type="domain",
                           field="curExpDate", value=text[:20]) from None


async def _each(rows: Sequence[RenewRow | NameserverRow],
                act: Callable[[RenewRow | NameserverRow], Awaitable[str]]) -> list[RowOutcome]:
    found = []
    for row in rows:
        try:
            found.append(RowOutcome(row.line, row.name, done=await act(row)))
        except CoreError as exc:
            found.append(RowOutcome(row.line, row.name, error=exc))
    return found


async def renew_rows(core: Core, who: Principal, rows: Sequence[RenewRow], origin: Origin = ()) -> list[RowOutcome]:
    """Renew each row's domain as EPP <renew> would, one transaction per row."""
    _registrar(who, len(rows))

    async def act(row: RenewRow | NameserverRow) -> str:
        assert isinstance(row, RenewRow)
        renewed = await console_domains.renew_from_console(core, who, row.name, _expiry(row.current_expiry),
                                                           _years(row.years), origin)
        return f"renewed: expires {renewed.expires_at:%Y-%m-%d}, charged {renewed.charged} {renewed.currency}"
    return await _each(rows, act)


async def nameserver_rows(core: Core, who: Principal, rows: Sequence[NameserverRow],
                          origin: Origin = ()) -> list[RowOutcome]:
    """Give each row's domain exactly its name servers, as one EPP <update> per row."""
    _registrar(who, len(rows))

    async def act(row: RenewRow | NameserverRow) -> str:
        assert isinstance(row, NameserverRow)
        info = await console_domains.set_nameservers(core, who, row.name, list(row.nameservers), origin)
        return "name servers: " + (" ".join(info.nameservers) or "none")
    return await _each(rows, act)
