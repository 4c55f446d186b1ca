"""<domain:check> (RFC 5731 3.1.1) with fee check (RFC 8748 5.1.1)."""

from __future__ import annotations

from protocols.epp.codec import DOMAIN_NS, FEE_NS
from protocols.epp.domain_read import d
from protocols.epp.extensions import fee
from protocols.epp.request import Element, Reply, Request, element, sub, texts
from registry_core.errors import ValueOutOfRange
from registry_core.services import domains, pricing

EXTENSIONS = frozenset({FEE_NS})
MAX_NAMES = 100
MAX_REASON = 32  # domain:reasonBaseType


def _reason(text: str) -> str:
    """A reason that fits: the whole text, else its first clause, else cut at a word."""
    if len(text) <= MAX_REASON:
        return text
    clause = text.split(";", 1)[0].strip()
    if len(clause) <= MAX_REASON:
        return clause
    head = text[:MAX_REASON + 1]
    cut = head.rsplit(" ", 1)[0].rstrip(" ,.;") if " " in head else ""
    return cut or text[:MAX_REASON]


async def _fees(req: Request, names: list[str], check: fee.FeeCheck) -> Element:
    """One quote per name and asked command, in <fee:chkData>; the answer's currency is the
    client's, or else the one the names are charged in."""
    per_command = [await pricing.quote_fees(req.core, req.actor, names, command.name, command.years,
                                            currency=check.currency) for command in check.commands]
    rows = [(name, [quotes[i] for quotes in per_command]) for i, name in enumerate(names)]
    served = await fee.served_tlds(req.core)
    charged_in = [q.currency for quotes in per_command for q in quotes if q.available]
    fallback = [tld.currency for _, tld in sorted(served.items())] + ["XXX"]  # ISO 4217: no currency
    return fee.check_data(check.currency or next(iter(charged_in), fallback[0]), rows, served)


async def run(req: Request) -> Reply:
    names = texts(req.body, d("name"))
    if len(names) > MAX_NAMES:
        raise ValueOutOfRange(f"at most {MAX_NAMES} names per check", object_type="domain", field="name")
    fee_ext = req.extension(FEE_NS)
    if (refused := fee.misplaced(fee_ext, "check")) is not None:
        return refused
    check = fee.read_check(fee_ext)
    results = await domains.check_domains(req.core, req.actor, names, fee_check=check is not None)
    data = element(DOMAIN_NS, "chkData", "domain")
    for result in results:
        cd = sub(data, DOMAIN_NS, "cd")
        sub(cd, DOMAIN_NS, "name", result.name, avail="1" if result.available else "0")
        if result.reason:
            sub(cd, DOMAIN_NS, "reason", _reason(result.reason))
    reply = Reply(res_data=data)
    if check is not None:
        reply.extensions.append(await _fees(req, names, check))
    return reply
