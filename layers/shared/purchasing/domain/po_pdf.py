"""The PDF of a PO as its supplier gets it, and the fingerprint of what was ordered.

Pure: a PurchaseOrder in, PDF bytes out (fpdf2, pure Python); nothing here touches AWS.

Text is set in DejaVu Sans Condensed, shipped beside this package in `purchasing/fonts/` (the
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

import hashlib
import json
import time
import unicodedata
from collections.abc import Container, Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from purchasing.domain.model import Line, PurchaseOrder, Status, format_decimal, format_quantity, round_money

FONTS = Path(__file__).resolve().parent.parent / "fonts"
REGULAR = FONTS / "DejaVuSansCondensed.ttf"
BOLD = FONTS / "DejaVuSansCondensed-Bold.ttf"
FAMILY = "DejaVuCondensed"
ORDERED = (Status.ORDERED, Status.RECEIVED)
REPLACEMENT = "?"
Snapshot = dict[str, Any]
TABLE_TEXT = 400  # characters of a description in its table row: a row must fit on one page
CONTINUED = " ... (in full under Full descriptions)"

# Column widths in mm on A4 with 15 mm margins (180 mm in all).
COLUMNS = (("Line", 12, "RIGHT"), ("Description", 86, "LEFT"), ("Quantity", 22, "RIGHT"),
           ("Unit cost", 28, "RIGHT"), ("Amount", 32, "RIGHT"))  # fmt: skip


def ordered_lines(po: PurchaseOrder) -> list[Line]:
    """The lines the supplier was asked for: ordered, or already received."""
    return [line for line in po.lines if line.status in ORDERED]


def supplier_lines(po: PurchaseOrder, told: Snapshot | None = None) -> list[Line]:
    """The lines the supplier is to hear about: ordered or received, and those canceled since the
    supplier was last told about them."""
    known = set(told["lines"]) if told else set()
    return [
        line
        for line in po.lines
        if line.status in ORDERED or (line.status is Status.CANCELED and line.id in known)
    ]


def snapshot(po: PurchaseOrder, told: Snapshot | None = None) -> Snapshot:
    """What the supplier sees of the PO now (`told`: what it was last sent), as plain JSON: the PDF
    and the change notice are made from the difference. Only what the PDF tells the supplier counts
    (not eta, paid, receipts...)."""
    return {
        "number": po.number,
        "supplier": [po.supplier.name, str(po.supplier.email)],
        "currency": po.currency,
        "canceled": po.status is Status.CANCELED,
        "lines": {
            line.id: {
                "partId": line.part_id,
                "description": line.description,
                "quantity": format_quantity(line.quantity),
                "unitCost": format_quantity(line.unit_cost),  # 1.5 and 1.50 are the same price
                "qualityClauses": line.quality_clauses,
                "termRequirements": line.term_requirements,
                "canceledQuantity": format_quantity(line.canceled_quantity),
                "canceled": line.status is Status.CANCELED,
            }
            for line in supplier_lines(po, told)
        },
    }


def to_tell(po: PurchaseOrder, told: Snapshot | None) -> Snapshot | None:
    """The snapshot to send, or None when there is nothing to tell the supplier: nothing ordered
    (a draft, a revision under way), or a PO canceled before its supplier heard of it."""
    if po.status in ORDERED and supplier_lines(po, told):
        return snapshot(po, told)
    if po.status is Status.CANCELED and told is not None:
        return snapshot(po, told)
    return None


def digest(view: Snapshot) -> str:
    canonical = json.dumps(view, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def fingerprint(po: PurchaseOrder, told: Snapshot | None = None) -> str:
    """What the supplier is told, as 32 hex digits: the same for a redelivered event, different
    once the PO changed for its supplier."""
    return digest(snapshot(po, told))


def is_cancellation(po: PurchaseOrder, told: Snapshot | None) -> bool:
    """The PO canceled, or a change that canceled something and left nothing open to deliver."""
    if told is None:
        return False
    lines = supplier_lines(po, told)
    canceled = any(line.status is Status.CANCELED or line.canceled_quantity for line in lines)
    nothing_open = all(line.status is not Status.ORDERED for line in lines)
    return po.status is Status.CANCELED or (canceled and nothing_open)


def changes(told: Snapshot, now: Snapshot) -> list[str]:
    """What changed for the supplier, one sentence each, in line order."""
    out = []
    if now["canceled"] and not told["canceled"]:
        out.append("The purchase order is canceled: please deliver nothing more of it.")
    if now["supplier"] != told["supplier"]:
        out.append(f"Supplier: {' '.join(now['supplier'])} (was {' '.join(told['supplier'])})")
    if now["currency"] != told["currency"]:
        out.append(f"Currency: {now['currency']} (was {told['currency']})")
    for line_ref in sorted(set(told["lines"]) | set(now["lines"])):
        old, new = told["lines"].get(line_ref), now["lines"].get(line_ref)
        name = f"Line {int(line_ref)}"
        if old is None:
            out.append(f"{name} added: {_short(new['description'])}, {new['quantity']} x {new['unitCost']}")
        elif new is None:
            out.append(f"{name} withdrawn: {_short(old['description'])}")
        elif new["canceled"] and not old["canceled"]:
            out.append(f"{name} canceled: {_short(new['description'])}")
        else:
            out += [f"{name} {text}" for text in _line_changes(old, new)]
    return out


def _line_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    if new["canceledQuantity"] != old["canceledQuantity"]:
        delivered = Decimal(new["quantity"]) - Decimal(new["canceledQuantity"])
        out.append(
            f"closed short: {new['canceledQuantity']} of {new['quantity']} canceled, "
            f"{format_quantity(delivered)} delivered"
        )
    for field_, label in (("quantity", "quantity"), ("unitCost", "unit cost"), ("partId", "part")):
        if new[field_] != old[field_]:
            out.append(f"{label}: {new[field_]} (was {old[field_]})")
    for field_, label in (
        ("description", "description"),
        ("qualityClauses", "quality clauses"),
        ("termRequirements", "term requirements"),
    ):
        if new[field_] != old[field_]:
            out.append(f"{label} changed (see the PDF)")
    return out


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def amount(line: Line, currency: str) -> Decimal:
    """What the line buys: nothing once canceled, what was received once closed short."""
    if line.status is Status.CANCELED:
        return Decimal(0)
    return round_money(line.open_quantity * line.unit_cost, currency)


def money(value: Decimal) -> str:
    """12345.5 -> "12,345.50" (as printed on the PDF)."""
    return f"{Decimal(format_decimal(value)):,f}"


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
    total = round_money(sum((amount(line, po.currency) for line in lines), Decimal(0)), po.currency)
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(0, 8, pdf.clean(f"Subtotal ({po.currency}): {money(total)}"), align="R")
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
                    pdf.clean(_state(line) + table_description(line.description)),
                    format_quantity(line.quantity),
                    money(line.unit_cost),
                    money(amount(line, po.currency)),
                ]
            )
    pdf.ln(2)


def title(po: PurchaseOrder, revision: int) -> str:
    return po.number if revision <= 1 else f"{po.number} rev {revision}"


def _state(line: Line) -> str:
    if line.status is Status.CANCELED:
        return "[Canceled] "
    if line.canceled_quantity:
        return f"[Closed short: {format_quantity(line.canceled_quantity)} canceled] "
    return ""


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


def supplier_message(po: PurchaseOrder, *, buyer: str, link: str, expires_at: datetime) -> tuple[str, str]:
    """The supplier's first email (subject, plain text body) with the link to the PDF."""
    lines = ordered_lines(po)
    total = round_money(sum((amount(line, po.currency) for line in lines), Decimal(0)), po.currency)
    count = f"{len(lines)} line{'s' * (len(lines) != 1)}"
    body = "\n".join(
        [
            f"Hello {po.supplier.name},",
            "",
            f"{buyer} has placed purchase order {po.number} with you: {count}, "
            f"subtotal {money(total)} {po.currency}.",
            "",
            "Download the purchase order (PDF):",
            link,
            "",
            f"The link works until {expires_at.strftime('%Y-%m-%d')}. "
            f"Please quote {po.number} on every delivery note and invoice.",
        ]
    )
    return f"Purchase order {po.number}", body


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


def change_message(
    po: PurchaseOrder,
    *,
    buyer: str,
    link: str,
    expires_at: datetime,
    revision: int,
    told: Snapshot,
    what: list[str],
) -> tuple[str, str]:
    """The change (or cancellation) notice: what changed since the last revision, and the link to
    the new revision's PDF, which replaces every earlier one."""
    canceled = is_cancellation(po, told)
    lines = supplier_lines(po, told)
    total = round_money(sum((amount(line, po.currency) for line in lines), Decimal(0)), po.currency)
    name = title(po, revision)
    verb = "canceled" if canceled else "changed"
    body = "\n".join(
        [
            f"Hello {po.supplier.name},",
            "",
            f"{buyer} has {verb} purchase order {po.number}. Revision {revision} replaces every earlier "
            "revision and its links:",
            "",
            *(f"- {text}" for text in what),
            "",
            f"Subtotal now: {money(total)} {po.currency}.",
            "",
            f"Download revision {revision} (PDF):",
            link,
            "",
            f"The link works until {expires_at.strftime('%Y-%m-%d')}. "
            f"Please quote {po.number} on every delivery note and invoice.",
        ]
    )
    subject = f"Cancellation of purchase order {name}" if canceled else f"Change to purchase order {name}"
    return subject, body
