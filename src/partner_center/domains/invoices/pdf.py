"""The invoice PDF, drawn with fpdf2 (core Helvetica: Latin-1 text; anything else prints as
'?')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fpdf import FPDF


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    issuer: str
    issuer_address: str
    invoice_no: str
    issued_at: datetime
    cycle: str
    title: str
    address: str | None
    currency: str
    lines: list[tuple[str, Decimal]]
    """(label, amount) of the bill, in order, amount due last."""
    tax_rate: Decimal
    top_up_account: list[str]
    """The standard top-up account, one line each (empty: none published)."""


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def render(doc: InvoiceDocument) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(doc.issued_at)
    pdf.set_title(_latin(f"Invoice {doc.invoice_no}"))
    pdf.set_author(_latin(doc.issuer))
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(width, 10, "INVOICE", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for text in (
        doc.issuer,
        doc.issuer_address,
        "",
        f"Invoice number: {doc.invoice_no}",
        f"Invoice date: {doc.issued_at.date().isoformat()}",
        f"Billing cycle: {doc.cycle}",
        "",
        "Bill to:",
        doc.title,
        *(doc.address or "").splitlines(),
        "",
    ):
        pdf.cell(width, 6, _latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(width * 0.7, 7, "Description", border="B")
    pdf.cell(width * 0.3, 7, f"Amount ({doc.currency})", border="B", align="R")
    pdf.ln()
    for index, (label, amount) in enumerate(doc.lines):
        last = index == len(doc.lines) - 1
        pdf.set_font("Helvetica", "B" if last else "", 10)
        pdf.cell(width * 0.7, 7, _latin(label), border="T" if last else "")
        pdf.cell(width * 0.3, 7, f"{amount:,.2f}", border="T" if last else "", align="R")
        pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(width, 6, f"Tax rate: {doc.tax_rate * 100:.2f} %", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(
        width,
        6,
        "Pay by bank transfer to the standard top-up account:",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 10)
    for text in doc.top_up_account or ["(to be published by the operator)"]:
        pdf.cell(width, 6, _latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        width,
        6,
        _latin(f"Quote the invoice number {doc.invoice_no} with the transfer."),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
