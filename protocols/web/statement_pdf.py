"""A monthly statement as a PDF (fpdf2): the registrar, the month, the opening balance,
every ledger row of the month with the balance after it, and the closing balance. Pure:
a Statement in, bytes out (the caller runs it in a thread: a long month is a big render)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fpdf import FPDF

from registry_core.services.statements import Statement

# (heading, width in mm) of the ledger table; A4 portrait leaves 190 mm between the margins
COLUMNS = (("When (UTC)", 30), ("Action", 20), ("Object", 52), ("Years", 12), ("Amount", 26),
           ("Balance after", 26), ("Note", 24))


def _text(value: object) -> str:
    """What the PDF's core font can show (Latin-1); anything else as '?'."""
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _heading(pdf: FPDF, statement: Statement, operator: str) -> None:
    last_day = statement.end - timedelta(days=1)
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, _text(f"{operator}: statement for {statement.start:%B %Y}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in (f"Registrar: {statement.registrar_name} ({statement.registrar_id})",
                 f"Period: {statement.start:%Y-%m-%d} to {last_day:%Y-%m-%d} (UTC)",
                 f"Issued: {statement.issued_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
                 f"Opening balance: {_money(statement.opening, statement.currency)}"):
        pdf.cell(0, 6, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _table_head(pdf: FPDF) -> None:
    pdf.set_font("Helvetica", "B", 8)
    for title, width in COLUMNS:
        pdf.cell(width, 6, title, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)


def _row(pdf: FPDF, row: dict[str, object]) -> None:
    at = row["at"]
    cells = (f"{at.astimezone(UTC):%Y-%m-%d %H:%M}" if isinstance(at, datetime) else str(at), row["action"],
             row["object_name"] or "", row["period_years"] or "", f"{row['amount']:,.2f}",
             f"{row['balance_after']:,.2f}", row["description"] or "")
    for (_title, width), value in zip(COLUMNS, cells, strict=True):
        text = _text(value)
        while text and pdf.get_string_width(text) > width - 1:  # cut what does not fit its column
            text = text[:-1]
        pdf.cell(width, 5, text, align="R" if _title in ("Amount", "Balance after", "Years") else "L")
    pdf.ln()


def render_statement(statement: Statement, operator: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(_text(f"Statement {statement.registrar_id} {statement.start:%Y-%m}"))
    pdf.set_author(_text(operator))
    pdf.set_creation_date(statement.issued_at)
    pdf.add_page()
    _heading(pdf, statement, operator)
    _table_head(pdf)
    for row in statement.rows:
        if pdf.will_page_break(5):
            pdf.add_page()
            _table_head(pdf)
        _row(pdf, row)
    if not statement.rows:
        pdf.cell(0, 6, "No ledger entries this month.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, _text(f"Closing balance: {_money(statement.closing, statement.currency)}"),
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, f"{len(statement.rows)} entries", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
