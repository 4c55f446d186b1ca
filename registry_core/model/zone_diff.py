"""What a publication changes (pure): the difference between what was last published at
each owner and what should be there now, at the level of single records, and the guard
that refuses a batch deleting too many delegations at once (FRED's maxchanges)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from registry_core.model.zone import RRset, fqdn


@dataclass(frozen=True)
class OwnerChange:
    """Records to delete and to add at one owner. A changed TTL re-adds the whole RRset
    (an RFC 2136 add with a new TTL sets the RRset's TTL)."""

    owner: str
    before: tuple[RRset, ...]
    after: tuple[RRset, ...]
    deletes: tuple[tuple[str, str], ...]  # (type, rdata)
    adds: tuple[RRset, ...]

    @property
    def empty(self) -> bool:
        return not self.deletes and not self.adds

    @property
    def removes_delegation(self) -> bool:
        return _has_ns(self.before) and not _has_ns(self.after)


def _has_ns(rrsets: tuple[RRset, ...]) -> bool:
    return any(r.type == "NS" for r in rrsets)


def _by_type(rrsets: Iterable[RRset]) -> dict[str, RRset]:
    return {r.type: r for r in rrsets}


def diff_owner(owner: str, before: tuple[RRset, ...], after: tuple[RRset, ...]) -> OwnerChange:
    old, new = _by_type(before), _by_type(after)
    deletes: list[tuple[str, str]] = []
    adds: list[RRset] = []
    for rtype in sorted(set(old) | set(new)):
        was, now = old.get(rtype), new.get(rtype)
        kept = set(now.rdata) if now else set()
        deletes += [(rtype, rd) for rd in (was.rdata if was else ()) if rd not in kept]
        if now is not None:
            fresh = now.rdata if was is None or was.ttl != now.ttl else tuple(
                rd for rd in now.rdata if rd not in set(was.rdata))
            if fresh:
                adds.append(RRset(now.owner, rtype, now.ttl, fresh))
    return OwnerChange(fqdn(owner), before, after, tuple(deletes), tuple(adds))


def diff_owners(published: Mapping[str, tuple[RRset, ...]],
                desired: Mapping[str, tuple[RRset, ...]], owners: Iterable[str]) -> list[OwnerChange]:
    """The non-empty changes at `owners` (absolute names), in owner order."""
    changes = (diff_owner(o, published.get(o, ()), desired.get(o, ())) for o in sorted(set(owners)))
    return [c for c in changes if not c.empty]


@dataclass(frozen=True)
class DeleteGuard:
    max_share: float  # of the published delegations, one batch may remove at most this share
    floor: int  # ... except that up to this many removals are always allowed


def guard_refusal(guard: DeleteGuard, published_delegations: int, removed: int, remaining: int) -> str | None:
    """Why a publication removing `removed` of `published_delegations` delegations (leaving
    `remaining`) is refused, or None when it may go ahead."""
    if removed <= guard.floor:
        return None
    if remaining == 0:
        return f"it would empty the zone (removes all {removed} delegations)"
    if removed > guard.max_share * published_delegations:
        return (f"it would remove {removed} of {published_delegations} delegations, "
                f"more than the allowed share {guard.max_share:.2%}")
    return None


def split(items: list[OwnerChange]) -> tuple[list[OwnerChange], list[OwnerChange]]:
    half = len(items) // 2
    return items[:half], items[half:]
