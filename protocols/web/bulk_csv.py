"""The bulk forms' CSV uploads read into rows (pure, bounded), and each row's outcome as
the EPP result an EPP client would have met (the EPP server's own table, so the two never
disagree).

Renewals: a header `name,years,current_expiry`, one domain a row (current_expiry is EPP's
curExpDate, YYYY-MM-DD: a second upload of the same file is refused row by row, as a
repeated <renew> is). Name servers: a header `name,nameservers` (the whole new set,
space-separated; empty: none) or `name,ns1,ns2,...` (one a column)."""

from __future__ import annotations

import csv
import io

from protocols.epp import errors as epp_errors
from protocols.epp.results import ResultCode
from protocols.web import errors
from registry_core.errors import InvalidValue, ValueOutOfRange, first_error
from registry_core.services.console_bulk import MAX_ROWS, NameserverRow, RenewRow, RowOutcome

MAX_UPLOAD_BYTES = 256 * 1024  # 500 rows of names and dates fit many times over
RENEW_COLUMNS = ("name", "years", "current_expiry")


def _table(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (lower case) and the non-empty rows with their line numbers."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueOutOfRange(f"the file is larger than {MAX_UPLOAD_BYTES // 1024} KiB", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidValue("the file is not UTF-8 text", field="file") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise InvalidValue(f"the file is not CSV: {exc}", field="file") from None
    if len(rows) > MAX_ROWS:
        raise ValueOutOfRange(f"at most {MAX_ROWS} rows in one file ({len(rows)} given)", field="file")
    if "name" not in header:
        raise InvalidValue("the first line names the columns, among them `name`", field="file")
    return header, rows


def _cell(header: list[str], row: list[str], column: str) -> str:
    at = header.index(column)
    return row[at].strip() if at < len(row) else ""


def renew_rows(data: bytes) -> list[RenewRow]:
    header, rows = _table(data)
    missing = [c for c in RENEW_COLUMNS if c not in header]
    if missing:
        raise InvalidValue("the header needs the columns " + ",".join(RENEW_COLUMNS), field="file")
    return [RenewRow(line, *(_cell(header, row, c) for c in RENEW_COLUMNS)) for line, row in rows]


def _nameservers(header: list[str], row: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for at, column in enumerate(header):
        if (column == "nameservers" or column.startswith("ns")) and at < len(row):
            found.extend(row[at].split())
    return tuple(found)


def nameserver_rows(data: bytes) -> list[NameserverRow]:
    header, rows = _table(data)
    if not any(c == "nameservers" or c.startswith("ns") for c in header):
        raise InvalidValue("the header needs `nameservers` (or ns1, ns2, ...) after `name`", field="file")
    return [NameserverRow(line, _cell(header, row, "name"), _nameservers(header, row)) for line, row in rows]


def epp_result(outcome: RowOutcome) -> tuple[int, str]:
    """The EPP result code and <msg> the row would have had as an EPP command."""
    if outcome.error is None:
        return int(ResultCode.SUCCESS), ResultCode.SUCCESS.message
    error = first_error(outcome.error)
    code = epp_errors.code_for(error) or ResultCode.COMMAND_FAILED
    return int(code), epp_errors.message_for(error) or code.message


def outcome_json(outcome: RowOutcome) -> dict[str, object]:
    code, message = epp_result(outcome)
    detail = outcome.done if outcome.error is None else errors.message_for(outcome.error)
    return {"line": outcome.line, "name": outcome.name, "ok": outcome.ok, "code": code, "message": message,
            "detail": detail}
