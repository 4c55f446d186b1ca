"""secDNS-1.1 (RFC 5910), DS-data interface: read create/update, write info."""

from __future__ import annotations

from protocols.epp.codec import SECDNS_NS
from protocols.epp.request import Element, element, q, sub, text
from registry_core.errors import PolicyViolation, UnsupportedOption
from registry_core.model.domain import DsData, KeyData


def _refuse_unsupported(ext: Element) -> None:
    if ext.find(f".//{q(SECDNS_NS, 'maxSigLife')}") is not None:
        raise UnsupportedOption("maxSigLife is not supported", object_type="secDNS", field="maxSigLife")
    if ext.find(f"{q(SECDNS_NS, 'keyData')}") is not None or \
            ext.find(f"{q(SECDNS_NS, 'add')}/{q(SECDNS_NS, 'keyData')}") is not None or \
            ext.find(f"{q(SECDNS_NS, 'rem')}/{q(SECDNS_NS, 'keyData')}") is not None:
        # RFC 5910 4.1: a server offering only the DS data interface answers 2306
        raise PolicyViolation("only the DS data interface is supported", object_type="secDNS", field="keyData")


def _key(el: Element) -> KeyData:
    return KeyData(int(text(el, q(SECDNS_NS, "flags")) or 0), int(text(el, q(SECDNS_NS, "protocol")) or 0),
                   int(text(el, q(SECDNS_NS, "alg")) or 0), (text(el, q(SECDNS_NS, "pubKey")) or "").strip())


def _ds(el: Element) -> DsData:
    key = el.find(q(SECDNS_NS, "keyData"))
    return DsData(int(text(el, q(SECDNS_NS, "keyTag")) or 0), int(text(el, q(SECDNS_NS, "alg")) or 0),
                  int(text(el, q(SECDNS_NS, "digestType")) or 0),
                  (text(el, q(SECDNS_NS, "digest")) or "").strip().upper(), _key(key) if key is not None else None)


def read_create(ext: Element | None) -> tuple[DsData, ...]:
    if ext is None:
        return ()
    _refuse_unsupported(ext)
    return tuple(_ds(el) for el in ext.findall(q(SECDNS_NS, "dsData")))


def read_update(ext: Element | None) -> tuple[tuple[DsData, ...], tuple[DsData, ...], bool]:
    """(add, rem, rem_all) from <secDNS:update>."""
    if ext is None:
        return (), (), False
    _refuse_unsupported(ext)
    if ext.get("urgent") in ("1", "true"):
        raise UnsupportedOption("urgent updates are not supported", object_type="secDNS", field="update")
    rem = ext.find(q(SECDNS_NS, "rem"))
    add = ext.find(q(SECDNS_NS, "add"))
    rem_all = rem is not None and (rem.findtext(q(SECDNS_NS, "all")) or "").strip() in ("1", "true")
    removed = tuple(_ds(el) for el in rem.findall(q(SECDNS_NS, "dsData"))) if rem is not None else ()
    added = tuple(_ds(el) for el in add.findall(q(SECDNS_NS, "dsData"))) if add is not None else ()
    return added, removed, rem_all


def info(records: tuple[DsData, ...]) -> Element:
    root = element(SECDNS_NS, "infData", "secDNS")
    for ds in records:
        el = sub(root, SECDNS_NS, "dsData")
        sub(el, SECDNS_NS, "keyTag", str(ds.key_tag))
        sub(el, SECDNS_NS, "alg", str(ds.alg))
        sub(el, SECDNS_NS, "digestType", str(ds.digest_type))
        sub(el, SECDNS_NS, "digest", ds.digest)
        if ds.key_data is not None:
            key = sub(el, SECDNS_NS, "keyData")
            sub(key, SECDNS_NS, "flags", str(ds.key_data.flags))
            sub(key, SECDNS_NS, "protocol", str(ds.key_data.protocol))
            sub(key, SECDNS_NS, "alg", str(ds.key_data.alg))
            sub(key, SECDNS_NS, "pubKey", ds.key_data.public_key)
    return root
