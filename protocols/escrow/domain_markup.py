"""A deposit's domain objects as markup text, composed without an element tree.

Domains are nearly all of a deposit (a million of them in a big TLD), and building each
one's lxml tree only to serialize it was half of the writer's time. `domain_markup` writes
the very bytes lxml writes for `deposit_xml.render_domain` (tests/escrow/test_markup.py
holds the two side by side): the same prefixes and namespace declarations, the same
escaping (libxml2's: `& < >` and CR in text; in attributes also `"` TAB LF), and like lxml
it refuses a string with a character XML 1.0 forbids instead of writing a broken deposit."""

from __future__ import annotations

import re

from protocols.epp.request import epp_datetime
from registry_core.model.escrow import EscrowDomain, EscrowTransfer

_DOMAIN_OPEN = ('<rdeDomain:domain xmlns:rdeDomain="urn:ietf:params:xml:ns:rdeDomain-1.0" '
                'xmlns:domain="urn:ietf:params:xml:ns:domain-1.0" '
                'xmlns:secDNS="urn:ietf:params:xml:ns:secDNS-1.1" xmlns:rgp="urn:ietf:params:xml:ns:rgp-1.0">')
_TEXT_SPECIAL = re.compile("[&<>\r]")
_ATTR_SPECIAL = re.compile('[&<>"\t\n\r]')
# XML 1.0 section 2.2 Char, complemented: what no document may hold, escaped or not
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    """Most values need no escape: one C scan says so (str.translate walks every character
    in Python-level lookups, a third of the writer's time)."""
    if _TEXT_SPECIAL.search(value) is None:
        return value
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attr(value: str) -> str:
    if _ATTR_SPECIAL.search(value) is None:
        return value
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;"))


def _leaf(tag: str, value: str) -> str:
    return f"<{tag}>{_text(value)}</{tag}>"


def _transfer(tr: EscrowTransfer) -> list[str]:
    parts = ["<rdeDomain:trnData>", _leaf("rdeDomain:trStatus", tr.status), _leaf("rdeDomain:reRr", tr.gaining),
             _leaf("rdeDomain:reDate", epp_datetime(tr.requested_at)), _leaf("rdeDomain:acRr", tr.losing),
             _leaf("rdeDomain:acDate", epp_datetime(tr.action_due))]
    if tr.expires_at is not None:
        parts.append(_leaf("rdeDomain:exDate", epp_datetime(tr.expires_at)))
    parts.append("</rdeDomain:trnData>")
    return parts


def _ds(d: EscrowDomain) -> list[str]:
    parts = ["<rdeDomain:secDNS>"]
    for ds in d.ds:
        parts.append(f"<secDNS:dsData><secDNS:keyTag>{ds.key_tag}</secDNS:keyTag><secDNS:alg>{ds.alg}</secDNS:alg>"
                     f"<secDNS:digestType>{ds.digest_type}</secDNS:digestType>"
                     f"{_leaf('secDNS:digest', ds.digest)}</secDNS:dsData>")
    parts.append("</rdeDomain:secDNS>")
    return parts


def _links(d: EscrowDomain) -> list[str]:
    parts = [f'<rdeDomain:status s="{_attr(s)}"/>' for s in d.statuses]
    parts += [f'<rdeDomain:rgpStatus s="{_attr(s)}"/>' for s in d.rgp_statuses]
    if d.registrant:
        parts.append(_leaf("rdeDomain:registrant", d.registrant))
    parts += [f'<rdeDomain:contact type="{_attr(role)}">{_text(handle)}</rdeDomain:contact>'
              for role, handle in d.contacts]
    if d.nameservers:
        parts.append("<rdeDomain:ns>" + "".join(_leaf("domain:hostObj", h) for h in d.nameservers)
                     + "</rdeDomain:ns>")
    return parts


def domain_markup(d: EscrowDomain) -> str:
    """One <rdeDomain:domain>, as `render_domain` would serialize; ValueError on a string
    XML cannot hold."""
    parts = [_DOMAIN_OPEN, _leaf("rdeDomain:name", d.name), _leaf("rdeDomain:roid", d.roid)]
    if d.u_name:
        parts.append(_leaf("rdeDomain:uName", d.u_name))
    parts += _links(d)
    parts += [_leaf("rdeDomain:clID", d.sponsor), _leaf("rdeDomain:crRr", d.creator),
              _leaf("rdeDomain:crDate", epp_datetime(d.created_at)),
              _leaf("rdeDomain:exDate", epp_datetime(d.expires_at))]
    if d.updater:
        parts.append(_leaf("rdeDomain:upRr", d.updater))
    if d.updated_at is not None:
        parts.append(_leaf("rdeDomain:upDate", epp_datetime(d.updated_at)))
    if d.ds:
        parts += _ds(d)
    if d.transferred_at is not None:
        parts.append(_leaf("rdeDomain:trDate", epp_datetime(d.transferred_at)))
    if d.transfer is not None:
        parts += _transfer(d.transfer)
    parts.append("</rdeDomain:domain>")
    markup = "".join(parts)
    bad = _NOT_XML.search(markup)
    if bad:
        raise ValueError(f"domain {d.name}: character U+{ord(bad.group()):04X} cannot appear in XML")
    return markup
