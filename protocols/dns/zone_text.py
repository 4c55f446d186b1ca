"""Zone text from records (pure): the lines of a master file for the primary (RFC 1035
section 5, absolute names, no directives), and the CZDS export format of ICANN's
Registry Agreement, Specification 4 section 2.1.4: one record per line, the fields
owner, TTL, class, type and rdata separated by one tab, everything in lower case, no
$ORIGIN or other directive and no comment, the SOA first and again last."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from registry_core.model.zone import RRset

CASE_KEPT = frozenset({"TXT", "CAA"})  # their text is data, not names: its case is kept


def record_lines(rrset: RRset, separator: str = "\t") -> Iterator[str]:
    for rdata in rrset.rdata:
        text = rdata if rrset.type in CASE_KEPT else rdata.lower()
        yield separator.join((rrset.owner.lower(), str(rrset.ttl), "in", rrset.type.lower(), text))


def czds_lines(soa: RRset, owners: Iterable[tuple[RRset, ...]]) -> Iterator[str]:
    """The export, line by line: the SOA, every owner's records in the order given (the
    caller streams them sorted), the SOA again. The apex NS set comes with the owners."""
    soa_line = next(record_lines(soa))
    yield soa_line
    for rrsets in owners:
        for rrset in rrsets:
            yield from record_lines(rrset)
    yield soa_line


def master_lines(rrset: RRset) -> Iterator[str]:
    """Master file lines for the primary: absolute names, so the file needs no directive."""
    for rdata in rrset.rdata:
        yield f"{rrset.owner}\t{rrset.ttl}\tIN\t{rrset.type}\t{rdata}"


def master_text(rrsets: Iterable[RRset]) -> str:
    """master_lines of many RRsets as one text, each line ended (the full render's writes)."""
    return "".join([f"{r.owner}\t{r.ttl}\tIN\t{r.type}\t{rdata}\n" for r in rrsets for rdata in r.rdata])


def czds_text(rrsets: Iterable[RRset]) -> str:
    """record_lines of many RRsets as one text, each line ended (the CZDS export's writes)."""
    return "".join([f"{r.owner.lower()}\t{r.ttl}\tin\t{r.type.lower()}\t"
                    f"{rdata if r.type in CASE_KEPT else rdata.lower()}\n" for r in rrsets for rdata in r.rdata])
