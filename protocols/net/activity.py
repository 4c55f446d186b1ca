"""What a serving process answered, added up in memory for ICANN's monthly reports and
written out in batches (services/icann_reports.flush_activity, every few seconds): never
a database write per query. Keys are (TLD or None, registrar or None, Specification 3
field). One counter per process (`COUNTS`), fed by the EPP, WHOIS and RDAP servers."""

from __future__ import annotations

from collections import Counter

Key = tuple[str | None, str | None, str]


class ActivityCounter:
    def __init__(self) -> None:
        self.counts: Counter[Key] = Counter()

    def add(self, tld: str | None, registrar: str | None, field: str, n: int = 1) -> None:
        self.counts[(tld, registrar, field)] += n

    def take(self) -> dict[Key, int]:
        """Everything counted since the last take (and forget it)."""
        taken, self.counts = self.counts, Counter()
        return dict(taken)

    def give_back(self, taken: dict[Key, int]) -> None:
        """A batch that could not be written is counted again (the next flush retries it)."""
        self.counts.update(taken)


COUNTS = ActivityCounter()


def tld_of_domain(name: str) -> str | None:
    """A registration lies one label below its TLD: `example.com` counts for `com`."""
    tld = name.rstrip(".").lower().partition(".")[2]
    return tld or None
