"""ICANN's monthly reports of a gTLD (Registry Agreement Specification 3): the per-registrar
transactions report and the registry functions activity report, as RFC 4180 CSV files
named `{tld}-transactions-{yyyymm}-en.csv` and `{tld}-activity-{yyyymm}-en.csv`. Pure:
the fields in the specification's order, the rows from counts, the totals line, the text.

Fields the registry has no process for are reported as 0 (transfer disputes, AGP
exemptions, searchable and web WHOIS); zone file access goes through ICANN's CZDS, which
is what `zfa-passwords` says. `rdap-queries` is the field the 2023 RDAP amendment added."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

YEARS = range(1, 11)
TRANSACTION_FIELDS: tuple[str, ...] = (
    "registrar-name", "iana-id", "total-domains", "total-nameservers",
    *(f"net-adds-{n}-yr" for n in YEARS), *(f"net-renews-{n}-yr" for n in YEARS),
    "transfer-gaining-successful", "transfer-gaining-nacked", "transfer-losing-successful",
    "transfer-losing-nacked", "transfer-disputed-won", "transfer-disputed-lost", "transfer-disputed-nodecision",
    "deleted-domains-grace", "deleted-domains-nograce", "restored-domains", "restored-noreport",
    "agp-exemption-requests", "agp-exemptions-granted", "agp-exempted-domains", "attempted-adds")

SRS_FIELDS: tuple[str, ...] = (
    *(f"srs-dom-{v}" for v in ("check", "create", "delete", "info", "renew", "rgp-restore-report",
                               "rgp-restore-request", "transfer-approve", "transfer-cancel", "transfer-query",
                               "transfer-reject", "transfer-request", "update")),
    *(f"srs-host-{v}" for v in ("check", "create", "delete", "info", "update")),
    *(f"srs-cont-{v}" for v in ("check", "create", "delete", "info", "transfer-approve", "transfer-cancel",
                                "transfer-query", "transfer-reject", "transfer-request", "update")))
ACTIVITY_FIELDS: tuple[str, ...] = (
    "operational-registrars", "zfa-passwords", "whois-43-queries", "web-whois-queries", "searchable-whois-queries",
    "dns-udp-queries-received", "dns-udp-queries-responded", "dns-tcp-queries-received",
    "dns-tcp-queries-responded", *SRS_FIELDS, "rdap-queries")
ZFA = "CZDS"


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """YYYY-MM."""
        parsed = datetime.strptime(text, "%Y-%m")
        return cls(parsed.year, parsed.month)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant of the next month (reports cover [start, end))."""
        return datetime(self.year + self.month // 12, self.month % 12 + 1, 1, tzinfo=UTC)

    @property
    def compact(self) -> str:
        """YYYYMM, as the report files are named."""
        return f"{self.year:04d}{self.month:02d}"

    @property
    def text(self) -> str:
        """YYYY-MM, as ICANN's reporting interface names the month in its paths."""
        return f"{self.year:04d}-{self.month:02d}"

    def first_day(self) -> date:
        return self.start.date()


@dataclass(frozen=True)
class RegistrarLine:
    name: str
    iana_id: int | None
    counts: Mapping[str, int]  # field -> value; fields absent are 0


def transactions_file(tld: str, month: Month) -> str:
    return f"{tld}-transactions-{month.compact}-en.csv"


def activity_file(tld: str, month: Month) -> str:
    return f"{tld}-activity-{month.compact}-en.csv"


def _csv_value(value: object) -> str:
    text = str(value)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv(rows: Sequence[Sequence[object]]) -> bytes:
    """RFC 4180: CRLF after every record, fields quoted when they must be."""
    return "".join(",".join(_csv_value(v) for v in row) + "\r\n" for row in rows).encode("utf-8")


def transactions_csv(lines: Sequence[RegistrarLine]) -> bytes:
    """One line per registrar (as given), then the totals line: `Totals`, an empty IANA id."""
    counted = TRANSACTION_FIELDS[2:]
    rows: list[list[object]] = [list(TRANSACTION_FIELDS)]
    for line in lines:
        rows.append([line.name, "" if line.iana_id is None else line.iana_id,
                     *(int(line.counts.get(f, 0)) for f in counted)])
    rows.append(["Totals", "", *(sum(int(line.counts.get(f, 0)) for line in lines) for f in counted)])
    return _csv(rows)


def activity_csv(counts: Mapping[str, int]) -> bytes:
    """The header and one line; `zfa-passwords` says CZDS."""
    values = [ZFA if f == "zfa-passwords" else int(counts.get(f, 0)) for f in ACTIVITY_FIELDS]
    return _csv([list(ACTIVITY_FIELDS), values])
