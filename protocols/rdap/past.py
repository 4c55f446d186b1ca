"""A domain as RDAP would have shown it at a past time T (`registry history domain NAME
--at T`), from the state the history gives (model/timeline.py): the object of RFC 9083
section 5.3 with its statuses, events, name servers, DS data, sponsor and contacts. It is
the operator's view: contact handles are shown, as the registry's records hold them."""

from __future__ import annotations

from typing import Any

from protocols.rdap.render import LAST_UPDATE, events, rdap_time
from protocols.rdap.statuses import rdap_statuses
from registry_core.model.statuses import displayed_statuses
from registry_core.model.timeline import DomainAt

_RGP = {"redemptionPeriod": "redemption period", "pendingRestore": "pending restore",
        "pendingDelete": "pending delete"}


def domain_then(d: DomainAt) -> dict[str, Any]:
    statuses = displayed_statuses(d.statuses, pending_transfer=d.pending_transfer, inactive=not d.nameservers)
    shown = rdap_statuses(statuses) + ([_RGP[d.rgp_state]] if d.rgp_state in _RGP else [])
    entities = [{"objectClassName": "entity", "handle": d.sponsor, "roles": ["registrar"]}]
    if d.registrant:
        entities.append({"objectClassName": "entity", "handle": d.registrant, "roles": ["registrant"]})
    entities += [{"objectClassName": "entity", "handle": handle, "roles": [role]} for role, handle in d.contacts]
    return {
        "objectClassName": "domain", "handle": d.roid, "ldhName": d.name, "status": list(dict.fromkeys(shown)),
        "entities": entities,
        "events": events(("registration", d.created_at), ("expiration", d.expires_at),
                         ("last changed", d.updated_at), ("transfer", d.transferred_at), (LAST_UPDATE, d.at)),
        "nameservers": [{"objectClassName": "nameserver", "ldhName": host} for host in d.nameservers],
        "secureDNS": {"delegationSigned": bool(d.ds), **({"dsData": [
            {"keyTag": k, "algorithm": a, "digestType": t, "digest": digest} for k, a, t, digest in d.ds]}
            if d.ds else {})},
        "asOf": rdap_time(d.at),
    }
