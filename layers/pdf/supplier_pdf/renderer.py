"""The PDF of a PO as its supplier gets it, drawn with fpdf2 (pure Python); nothing here touches AWS.

What the PDF says (which lines, their state, amounts, the revision's title) is decided in
`purchasing.domain.po_pdf`; this module lays it out on A4 pages.

Text is set in DejaVu Sans Condensed, shipped beside this package in `supplier_pdf/fonts/` (the
Bitstream Vera / Arev license there: free to embed and redistribute) and embedded as a subset, so
Latin, Greek, Cyrillic and most symbols print as the client typed them. fpdf2's core fonts
cannot: they are Latin-1 only. A character the font has no glyph for (CJK, most emoji) prints
as its compatibility decomposition when the font has that (a full-width "Ａ" as "A"), else as
"?"; control and format characters are dropped.

Every text flows over lines and pages: a table row cannot span pages, so a description longer
than TABLE_TEXT characters shows its beginning in the table and in full under "Full
descriptions" below it; clauses flow below the table too. Whatever a client wrote within the
API's limits, rendering does not fail (a property test feeds it every limit).
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Container, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from purchasing.domain.model import Line, PurchaseOrder, Status, format_quantity
from purchasing.domain.po_pdf import Snapshot, amount, line_state, money, subtotal, supplier_lines, title

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR = FONTS / "DejaVuSansCondensed.ttf"
BOLD = FONTS / "DejaVuSansCondensed-Bold.ttf"
FAMILY = "DejaVuCondensed"
REPLACEMENT = "?"
TABLE_TEXT = 400  # characters of a description in its table row: a row must fit on one page
CONTINUED = " ... (in full under Full descriptions)"

# Column widths in mm on A4 with 15 mm margins (180 mm in all).
COLUMNS = (("Line", 12, "RIGHT"), ("Description", 86, "LEFT"), ("Quantity", 22, "RIGHT"),
           ("Unit cost", 28, "RIGHT"), ("Amount", 32, "RIGHT"))  # fmt: skip


class TooSlow(Exception):
    """Rendering ran past its time budget (raised rather than be killed by the function's timeout)."""


def render(
    po: PurchaseOrder,
    *,
    buyer: str,
    issued_at: datetime,
    budget_seconds: float | None = None,
    revision: int = 1,
    told: Snapshot | None = None,
) -> bytes:
    """The PO's ordered lines as a PDF: header, a table whose headings repeat on every page,
    the subtotal, then each line's quality clauses and term requirements. With a budget, TooSlow
    once rendering has taken longer than that. A revision after the first (`told`: what the
    supplier was sent before) is titled "<number> rev <n>" and shows the lines canceled since."""
    lines = supplier_lines(po, told)
    pdf = _Pdf(title(po, revision), None if budget_seconds is None else time.monotonic() + budget_seconds)
    pdf.set_creation_date(issued_at)
    pdf.set_title(f"Purchase order {pdf.number}")
    pdf.set_author(buyer)
    pdf.add_page()
    _heading(pdf, po, buyer, issued_at)
    _table(pdf, po, lines)
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(0, 8, pdf.clean(f"Subtotal ({po.currency}): {money(subtotal(lines, po.currency))}"), align="R")
    pdf.ln(10)
    _long_descriptions(pdf, lines)
    _clauses(pdf, lines)
    pdf.set_font(FAMILY, "", 8)
    pdf.multi_cell(0, 4, pdf.clean(f"Please quote {po.number} on every delivery note and invoice."))
    return bytes(pdf.output())


class _Pdf(FPDF):
    """A4 with the PO number and page count in every page's header and footer."""

    def __init__(self, number: str, deadline: float | None = None) -> None:
        super().__init__(format="A4")
        self.deadline = deadline
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=15)
        self.add_font(FAMILY, "", str(REGULAR))
        self.add_font(FAMILY, "B", str(BOLD))
        self.glyphs = _glyphs()
        self.number = self.clean(number)

    def clean(self, value: str) -> str:
        """Printable text; called once per piece of text, so also where the time budget is checked."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TooSlow(f"rendering took longer than its budget, at page {self.page_no()}")
        return printable(value, self.glyphs)

    def header(self) -> None:
        self.set_font(FAMILY, "", 8)
        self.cell(120, 5, f"Purchase order {self.number}", align="L")
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)


def _heading(pdf: _Pdf, po: PurchaseOrder, buyer: str, issued_at: datetime) -> None:
    pdf.set_font(FAMILY, "B", 16)
    pdf.cell(0, 10, f"Purchase order {pdf.number}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if po.status is Status.CANCELED:
        pdf.cell(0, 8, "CANCELED: deliver nothing more of this order", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    fields = (
        ("Buyer", buyer),
        ("Date", issued_at.date().isoformat()),
        ("Supplier", po.supplier.name),
        ("Supplier email", str(po.supplier.email)),
        ("Currency", po.currency),
    )
    for label, value in fields:
        pdf.set_font(FAMILY, "B", 9)
        pdf.cell(32, 5, label)
        pdf.set_font(FAMILY, "", 9)
        pdf.multi_cell(0, 5, pdf.clean(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _table(pdf: _Pdf, po: PurchaseOrder, lines: Sequence[Line]) -> None:
    pdf.set_font(FAMILY, "", 9)
    with pdf.table(
        col_widths=[width for _, width, _ in COLUMNS],
        text_align=[align for _, _, align in COLUMNS],
        headings_style=FontFace(family=FAMILY, emphasis="BOLD"),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        repeat_headings=1,
        line_height=4.5,
        padding=1,
    ) as table:
        table.row([name if name != "Amount" else f"Amount ({po.currency})" for name, _, _ in COLUMNS])
        for line in lines:
            table.row(
                [
                    str(line.line_no),
                    pdf.clean(line_state(line) + table_description(line.description)),
                    format_quantity(line.quantity),
                    money(line.unit_cost),
                    money(amount(line, po.currency)),
                ]
            )
    pdf.ln(2)


def table_description(text: str) -> str:
    """The description as its table row shows it: whole up to TABLE_TEXT characters, else its
    beginning (cut at a space when there is one near) and a pointer to the full text."""
    if len(text) <= TABLE_TEXT:
        return text
    cut = text[:TABLE_TEXT]
    space = cut.rfind(" ")
    return (cut[:space] if space > TABLE_TEXT // 2 else cut) + CONTINUED


def _long_descriptions(pdf: _Pdf, lines: Sequence[Line]) -> None:
    long = [line for line in lines if len(line.description) > TABLE_TEXT]
    if not long:
        return
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(0, 8, "Full descriptions", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for line in long:
        pdf.set_font(FAMILY, "B", 9)
        pdf.cell(0, 5, f"Line {line.line_no}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 9)
        pdf.multi_cell(0, 4.5, pdf.clean(line.description), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)


def _clauses(pdf: _Pdf, lines: Sequence[Line]) -> None:
    """Clauses can be long (50 of 500 characters a line): they flow below the table, not in it."""
    with_terms = [line for line in lines if line.quality_clauses or line.term_requirements]
    if not with_terms:
        return
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(0, 8, "Quality clauses and term requirements", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for line in with_terms:
        pdf.set_font(FAMILY, "B", 9)
        title = f"Line {line.line_no}: {line.description[:120]}"
        pdf.multi_cell(0, 5, pdf.clean(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 9)
        for kind, texts in (("Quality", line.quality_clauses), ("Terms", line.term_requirements)):
            for text in texts:
                pdf.multi_cell(0, 4.5, pdf.clean(f"- {kind}: {text}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)


# --- text the font can print -------------------------------------------------------------------


@cache
def _glyphs() -> frozenset[int]:
    """The code points both shipped fonts have a glyph for."""
    regular, bold = (set(TTFont(str(path), lazy=True).getBestCmap()) for path in (REGULAR, BOLD))
    return frozenset(regular & bold)


def printable(text: str, glyphs: Container[int]) -> str:
    """The text with what the font cannot print replaced (see the module's docstring)."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in "\n\t":
            out.append(" " if char == "\t" else char)
        elif unicodedata.category(char) in ("Cc", "Cf"):
            continue  # controls, bidi overrides, zero-width marks
        elif ord(char) in glyphs:
            out.append(char)
        else:
            out.append(_substitute(char, glyphs))
    return "".join(out)


def _substitute(char: str, glyphs: Container[int]) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if base and base != char and all(ord(c) in glyphs for c in base):
        return base
    return REPLACEMENT
