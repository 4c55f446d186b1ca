"""Extension elements to pass as `extensions=`: secDNS-1.1 (RFC 5910), rgp-1.0 (RFC 3915)
and fee-1.0 (RFC 8748)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from protocols.epp.client.elements import DsData, Element, child, object_root, write_period
from protocols.epp.codec import FEE_NS, RGP_NS, SECDNS_NS


def secdns_create(ds: Sequence[DsData], *, max_sig_life: int | None = None) -> Element:
    """RFC 5910 section 5.2.1, DS data interface."""
    root = object_root(None, SECDNS_NS, "create")
    if max_sig_life is not None:
        child(root, "maxSigLife", max_sig_life)
    _ds_records(root, ds)
    return root


def secdns_update(
    *, add: Sequence[DsData] = (), rem: Sequence[DsData] = (), rem_all: bool = False, urgent: bool = False
) -> Element:
    """RFC 5910 section 5.2.5: `rem_all` removes every DS record before `add`."""
    root = object_root(None, SECDNS_NS, "update", **({"urgent": "true"} if urgent else {}))
    if rem_all:
        child(child(root, "rem"), "all", "true")
    elif rem:
        _ds_records(child(root, "rem"), rem)
    if add:
        _ds_records(child(root, "add"), add)
    return root


def _ds_records(parent: Element, records: Sequence[DsData]) -> None:
    for record in records:
        holder = child(parent, "dsData")
        child(holder, "keyTag", record.key_tag)
        child(holder, "alg", record.alg)
        child(holder, "digestType", record.digest_type)
        child(holder, "digest", record.digest)


def rgp_restore_request() -> Element:
    """RFC 3915 section 4.2.5: `<rgp:update><rgp:restore op="request"/></rgp:update>`."""
    root = object_root(None, RGP_NS, "update")
    child(root, "restore", op="request")
    return root


def fee_check(command: str, *, period: int | None = 1, unit: str = "y", currency: str | None = None) -> Element:
    """RFC 8748 section 5.1.1: ask the fee of `command` (create, renew, transfer, restore)."""
    root = object_root(None, FEE_NS, "check")
    if currency is not None:
        child(root, "currency", currency)
    node = child(root, "command", name=command)
    write_period(node, period, unit)
    return root


def fee_agreement(command: str, amount: Decimal | str, *, currency: str | None = None) -> Element:
    """RFC 8748 section 5.2: `<fee:create|renew|transfer|update>` accepting `amount`."""
    root = object_root(None, FEE_NS, command)
    if currency is not None:
        child(root, "currency", currency)
    child(root, "fee", amount)
    return root
