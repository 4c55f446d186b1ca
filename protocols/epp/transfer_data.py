"""<domain:trnData> / <contact:trnData>: shared by the transfer flows and poll messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from protocols.epp.codec import CONTACT_NS, DOMAIN_NS
from protocols.epp.request import Element, element, epp_datetime, sub
from registry_core.model.transfer import TransferInfo


def trn_data(object_type: str, info: TransferInfo) -> Element:
    ns, prefix, key = (DOMAIN_NS, "domain", "name") if object_type == "domain" else (CONTACT_NS, "contact", "id")
    root = element(ns, "trnData", prefix)
    sub(root, ns, key, info.name)
    sub(root, ns, "trStatus", info.status)
    sub(root, ns, "reID", info.gaining_id)
    sub(root, ns, "reDate", epp_datetime(info.requested_at))
    sub(root, ns, "acID", info.losing_id)
    sub(root, ns, "acDate", epp_datetime(info.action_due))
    if object_type == "domain" and info.expires_at is not None:
        sub(root, ns, "exDate", epp_datetime(info.expires_at))
    return root


def from_payload(payload: dict[str, Any]) -> TransferInfo:
    """A transfer poll message's stored payload back into TransferInfo."""
    def when(key: str) -> datetime | None:
        value = payload.get(key)
        return datetime.fromisoformat(value) if value else None

    requested, due = when("reDate"), when("acDate")
    assert requested is not None and due is not None
    return TransferInfo(payload["name"], payload["trStatus"], payload["reID"], requested, payload["acID"], due,
                        when("exDate"))
