"""Which field of ICANN's Registry Functions Activity Report (Registry Agreement
Specification 3, section 2: srs-dom-check ... srs-cont-update) an EPP command counts
toward, and the TLD it counts for. Pure.

A domain update that carries an RGP restore (RFC 3915) is a restore request or report, not
an update; hosts have no transfer and no renew; session commands (login, logout, poll,
hello) count toward nothing. Domain commands count for the domain's TLD; host and contact
commands are of the shared registry system and count for every TLD (tld None)."""

from __future__ import annotations

from protocols.epp.codec import CONTACT_NS, DOMAIN_NS, HOST_NS, RGP_NS
from protocols.epp.request import Element
from protocols.net.activity import tld_of_domain

_KIND = {DOMAIN_NS: "dom", HOST_NS: "host", CONTACT_NS: "cont"}
_VERBS = {"dom": ("check", "create", "delete", "info", "renew", "update"),
          "host": ("check", "create", "delete", "info", "update"),
          "cont": ("check", "create", "delete", "info", "update")}
_TRANSFER_OPS = ("approve", "cancel", "query", "reject", "request")


def activity_field(verb: str, namespace: str | None, verb_el: Element, extensions: list[Element]) -> str | None:
    kind = _KIND.get(namespace or "")
    if kind is None:
        return None
    if verb == "transfer":
        op = verb_el.get("op", "")
        return f"srs-{kind}-transfer-{op}" if kind != "host" and op in _TRANSFER_OPS else None
    if verb == "update" and kind == "dom":
        restore = next((ext.find(f"{{{RGP_NS}}}restore") for ext in extensions
                        if ext.tag == f"{{{RGP_NS}}}update"), None)
        if restore is not None:
            return "srs-dom-rgp-restore-report" if restore.get("op") == "report" else "srs-dom-rgp-restore-request"
    return f"srs-{kind}-{verb}" if verb in _VERBS[kind] else None


def activity_tld(namespace: str | None, object_name: str) -> str | None:
    return tld_of_domain(object_name) if namespace == DOMAIN_NS and object_name != "-" else None
