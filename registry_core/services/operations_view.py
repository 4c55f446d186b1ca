"""The admin console's operations pages: DNS publication per TLD (the publisher's state and
the propagation probe's figures) and the notification outbox. Registry staff only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry_core.context import Core
from registry_core.errors import PermissionDenied
from registry_core.model.accounts import Principal
from registry_core.model.notification import OutboxStatus
from registry_core.services import dns_propagation, dns_publication, notifications
from registry_core.services.tlds import list_tlds


@dataclass(frozen=True)
class ZoneView:
    tld: str
    state: dict[str, Any]
    propagation: dict[str, Any]


def _staff(who: Principal) -> None:
    if not who.staff:
        raise PermissionDenied("registry staff only", object_type="registry")


async def dns_overview(core: Core, who: Principal) -> list[ZoneView]:
    _staff(who)
    views = []
    for tld in await list_tlds(core):
        views.append(ZoneView(tld.name, await dns_publication.zone_status(core, tld.name),
                              await dns_propagation.propagation_status(core, tld.name, 1000)))
    return views


async def outbox_overview(core: Core, who: Principal) -> OutboxStatus:
    _staff(who)
    return await notifications.outbox_status(core)
