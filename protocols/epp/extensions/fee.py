"""fee-1.0 (RFC 8748): read <fee:check> and the fee a client agrees to on a transform
command; write <fee:chkData> and the transform results (creData, renData, trnData,
updData, delData).

Fees carry the TLD's grace period (RFC 8748 3.4.2: a server offering RGP states it for
every relevant transaction) and are then refundable (3.4.3). `reply_data` is the one
helper here that reads the registry (TLD policy, cached in the core).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from lxml import etree

from protocols.epp.codec import FEE_NS
from protocols.epp.request import Element, Reply, Request, element, q, sub
from protocols.epp.results import ResultCode
from registry_core.context import Core
from registry_core.errors import UnsupportedOption, ValueOutOfRange
from registry_core.model import names
from registry_core.model.lifecycle import Charge
from registry_core.model.pricing import FeeQuote
from registry_core.model.registrar import Tld
from registry_core.services import tlds

# A check may ask about each of RFC 8748's seven command names once; more is refused (2004).
MAX_COMMANDS = 7
# Which TLD grace period a delete inside refunds the fee of an action in.
GRACE: Mapping[str, str] = {"create": "add_grace", "renew": "renew_grace", "transfer": "transfer_grace"}
FEE_DESCRIPTIONS: Mapping[str, str] = {
    "create": "Registration Fee", "renew": "Renewal Fee", "transfer": "Transfer Fee",
    "restore": "Redemption Fee", "update": "Update Fee", "delete": "Delete Fee"}
CREDIT_DESCRIPTIONS: Mapping[str, str] = {
    "addPeriod": "Add Grace Period Credit", "renewPeriod": "Renew Grace Period Credit",
    "autoRenewPeriod": "Auto-Renew Grace Period Credit", "transferPeriod": "Transfer Grace Period Credit"}


def _f(local: str) -> str:
    return q(FEE_NS, local)


# ---------------------------------------------------------------------------- read
@dataclass(frozen=True)
class FeeCommand:
    name: str  # create, renew, transfer, restore, update, delete, custom
    years: int | None  # None: the server's default period


@dataclass(frozen=True)
class FeeCheck:
    currency: str | None
    commands: tuple[FeeCommand, ...]


def _years(period: Element | None) -> int | None:
    if period is None:
        return None
    value = int((period.text or "0").strip())
    if period.get("unit") == "m":
        if value % 12:
            raise ValueOutOfRange("periods are whole years", object_type="fee", field="period", value=f"{value}")
        return value // 12
    return value


def _command(el: Element) -> FeeCommand:
    if el.get("phase") is not None or el.get("subphase") is not None:
        raise UnsupportedOption("launch phases are not offered", object_type="fee", field="command")
    return FeeCommand(el.get("name", ""), _years(el.find(_f("period"))))


def read_check(ext: Element | None) -> FeeCheck | None:
    """<fee:check> (RFC 8748 5.1.1): currency and the commands to price; None without it.
    Check the element with `misplaced` first."""
    if ext is None:
        return None
    commands = ext.findall(_f("command"))
    if len(commands) > MAX_COMMANDS:
        raise ValueOutOfRange(f"at most {MAX_COMMANDS} commands per fee check", object_type="fee", field="command")
    currency = ext.findtext(_f("currency"))
    return FeeCheck(currency.strip() if currency else None, tuple(_command(el) for el in commands))


def read_agreement(ext: Element | None) -> tuple[Decimal | None, str | None]:
    """(accepted fee, currency) from <fee:create|renew|transfer|update> (RFC 8748 5.2): the
    sum of its fees and credits (3.4); (None, None) when the client sent no fee element.
    Check the element with `misplaced` first."""
    if ext is None:
        return None, None
    amounts = [Decimal((el.text or "0").strip()) for el in (*ext.findall(_f("fee")), *ext.findall(_f("credit")))]
    currency = ext.findtext(_f("currency"))
    return sum(amounts, Decimal(0)), currency.strip() if currency else None


def misplaced(ext: Element | None, local: str) -> Reply | None:
    """2103 for a fee element other than <fee:{local}> on this command, as the dispatcher
    answers an extension a command does not take; None when it fits (or none was sent)."""
    if ext is None or etree.QName(ext).localname == local:
        return None
    return Reply(ResultCode.UNIMPLEMENTED_EXTENSION,
                 message=f"<fee:{etree.QName(ext).localname}> is not supported on this command")


# ---------------------------------------------------------------------------- write
def money(amount: Decimal) -> str:
    return format(amount, "f")


def duration(length: timedelta) -> str:
    """An xs:duration such as P5D, P1DT12H or PT6H."""
    hours, rest = divmod(length.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    days = f"{length.days}D" if length.days or not time else ""
    return f"P{days}" + (f"T{time}" if time else "")


def grace_of(tld: Tld | None, action: str) -> timedelta | None:
    """The grace period inside which a delete refunds `action`'s fee (None: not refundable)."""
    if tld is None or action not in GRACE:
        return None
    length: timedelta = getattr(tld, GRACE[action])
    return length if length > timedelta(0) else None


def _fee(parent: Element, charge: Charge, grace: timedelta | None) -> None:
    attrs = {"description": FEE_DESCRIPTIONS.get(charge.description, charge.description)}
    if grace is not None:
        attrs.update({"refundable": "1", "grace-period": duration(grace)})
    sub(parent, FEE_NS, "fee", money(charge.amount), **attrs)


def _credit(parent: Element, charge: Charge) -> None:
    sub(parent, FEE_NS, "credit", money(charge.amount),
        description=CREDIT_DESCRIPTIONS.get(charge.description, charge.description))


def _period(parent: Element, years: int | None) -> None:
    if years is not None and 1 <= years <= 99:  # domain:pLimitType
        sub(parent, FEE_NS, "period", str(years), unit="y")


def transform_data(local: str, currency: str, *, fees: Iterable[Charge] = (), credits: Iterable[Charge] = (),
                   tld: Tld | None = None, action: str = "") -> Element:
    """<fee:creData>, renData, trnData, updData or delData (RFC 8748 5.2)."""
    root = element(FEE_NS, local, "fee")
    sub(root, FEE_NS, "currency", currency)
    for charge in fees:
        _fee(root, charge, grace_of(tld, action) if charge.description == action else None)
    for charge in credits:
        _credit(root, charge)
    return root


def _cd_command(cd: Element, quote: FeeQuote, tld: Tld | None) -> None:
    command = sub(cd, FEE_NS, "command", name=quote.action)
    if quote.available and not quote.premium:
        command.set("standard", "1")  # the fee of the standard class (RFC 8748 5.1.1)
    _period(command, quote.years)
    if not quote.available:
        sub(command, FEE_NS, "reason", quote.reason or "Not available")
        return
    for charge in quote.fees:
        _fee(command, charge, grace_of(tld, quote.action) if charge.description == quote.action else None)


def _priced(quote: FeeQuote, currency: str) -> FeeQuote:
    """The quote, or an unavailable one when its currency is not the answer's."""
    if not quote.available or quote.currency == currency:
        return quote
    return FeeQuote(quote.name, quote.action, quote.years, quote.currency, available=False,
                    reason=f"Fees for this name are charged in {quote.currency}")


def check_data(currency: str, rows: Sequence[tuple[str, Sequence[FeeQuote]]], served: Mapping[str, Tld]) -> Element:
    """<fee:chkData> (RFC 8748 5.1.1): one <fee:cd> per checked name, in the client's order.
    A name with any command that cannot be priced is avail="0"; only those commands are
    listed then, each with its reason (the RFC lets the server leave the others out)."""
    root = element(FEE_NS, "chkData", "fee")
    sub(root, FEE_NS, "currency", currency)
    for name, raw_quotes in rows:
        quotes = [_priced(quote, currency) for quote in raw_quotes]
        available = all(quote.available for quote in quotes)
        cd = sub(root, FEE_NS, "cd", avail="1" if available else "0")
        sub(cd, FEE_NS, "objID", name)
        if available:
            sub(cd, FEE_NS, "class", "premium" if any(quote.premium for quote in quotes) else "standard")
        tld = tld_of(quotes[0].name, served) if quotes else None
        for quote in quotes:
            if available or not quote.available:
                _cd_command(cd, quote, tld)
    return root


# ---------------------------------------------------------------------------- registry
async def served_tlds(core: Core) -> dict[str, Tld]:
    return {tld.name: tld for tld in await tlds.list_tlds(core)}


def tld_of(name: str, served: Mapping[str, Tld]) -> Tld | None:
    split = names.split_registrable(name, frozenset(served))
    return served[split[1]] if split else None


async def reply_data(req: Request, local: str, name: str, currency: str, *, fees: Iterable[Charge] = (),
                     credits: Iterable[Charge] = (), action: str = "") -> list[Element]:
    """[<fee:{local}>] for a transform response when the client announced fee-1.0 at login
    and a fee or credit was assessed (RFC 8748 5.2: otherwise none is sent); else []."""
    fees, credits = tuple(fees), tuple(credits)
    if FEE_NS not in req.session.ext_uris or not any(c.amount for c in (*fees, *credits)):
        return []
    tld = tld_of(name, await served_tlds(req.core)) if action in GRACE else None
    return [transform_data(local, currency, fees=fees, credits=credits, tld=tld, action=action)]
