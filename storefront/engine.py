"""The domain search: the candidates of a query (search.py) checked through the connectors,
ONE <domain:check> with <fee:check> per registry per search, answers cached for a few
seconds, the shown price the registry's fee plus the shop's margin for the TLD."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import idna

from storefront.connector import Availability, RegistryConnector
from storefront.search import Margin, candidates, normalize

CACHE_SECONDS = 10.0
MAX_CACHED = 100_000


@dataclass(frozen=True)
class Offer:
    name: str  # A-label
    shown: str  # U-label
    available: bool
    price: Decimal | None  # what the visitor pays for a year; None when not for sale
    currency: str | None
    premium: bool
    reason: str | None


class SearchEngine:
    def __init__(self, connectors: Mapping[str, RegistryConnector], margins: Mapping[str, Margin] | None = None,
                 cache_seconds: float = CACHE_SECONDS) -> None:
        self.by_tld = {tld: c for c in connectors.values() for tld in c.settings.tlds}
        self.sold = tuple(sorted(self.by_tld))
        self.margins = dict(margins or {})
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Availability]] = {}

    async def search(self, query: str, *, suggestions: bool = True) -> list[Offer]:
        wanted = normalize(query, self.sold)
        names = candidates(wanted, self.sold, suggestions=suggestions)
        known = self._cached(names)
        asking: dict[RegistryConnector, list[str]] = {}
        for name in names:
            if name not in known:
                asking.setdefault(self.by_tld[name.partition(".")[2]], []).append(name)
        answers = await asyncio.gather(*(c.check(batch) for c, batch in asking.items()))
        now = time.monotonic()
        for answer in answers:
            for item in answer:
                known[item.name] = item
                self._cache[item.name] = (now, item)
        self._trim()
        return [self._offer(known[n]) for n in names if n in known]

    def _cached(self, names: list[str]) -> dict[str, Availability]:
        now = time.monotonic()
        fresh = {}
        for name in names:
            hit = self._cache.get(name)
            if hit is not None and now - hit[0] < self.cache_seconds:
                fresh[name] = hit[1]
        return fresh

    def _trim(self) -> None:
        if len(self._cache) > MAX_CACHED:
            cutoff = time.monotonic() - self.cache_seconds
            self._cache = {k: v for k, v in self._cache.items() if v[0] >= cutoff}

    def _offer(self, item: Availability) -> Offer:
        label, _, tld = item.name.partition(".")
        shown = f"{_u_label(label)}.{tld}"
        margin = self.margins.get(tld, Margin())
        price = margin.price(item.fee) if item.available and item.fee is not None else None
        return Offer(item.name, shown, item.available, price, item.currency, item.fee_class == "premium", item.reason)


def _u_label(label: str) -> str:
    try:
        return str(idna.decode(label))
    except idna.IDNAError:
        return label
