"""What a PO's supplier is told: the lines on its PDF, each revision's snapshot and fingerprint,
what changed since the last one, and the emails that carry the link.

Pure: nothing here draws or touches AWS. The PDF itself is drawn in the PDF layer
(`supplier_pdf.renderer`, fpdf2), which only the po_pdf function has.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from purchasing.domain.model import Line, PurchaseOrder, Status, format_decimal, format_quantity, round_money

ORDERED = (Status.ORDERED, Status.RECEIVED)
Snapshot = dict[str, Any]


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


def subtotal(lines: Iterable[Line], currency: str) -> Decimal:
    """What the lines buy together, rounded to the currency's minor unit."""
    return round_money(sum((amount(line, currency) for line in lines), Decimal(0)), currency)


def money(value: Decimal) -> str:
    """12345.5 -> "12,345.50" (as printed on the PDF)."""
    return f"{Decimal(format_decimal(value)):,f}"


def title(po: PurchaseOrder, revision: int) -> str:
    return po.number if revision <= 1 else f"{po.number} rev {revision}"


def line_state(line: Line) -> str:
    """What the supplier's PDF prefixes a line's description with: canceled, or closed short."""
    if line.status is Status.CANCELED:
        return "[Canceled] "
    if line.canceled_quantity:
        return f"[Closed short: {format_quantity(line.canceled_quantity)} canceled] "
    return ""


def supplier_message(po: PurchaseOrder, *, buyer: str, link: str, expires_at: datetime) -> tuple[str, str]:
    """The supplier's first email (subject, plain text body) with the link to the PDF."""
    lines = ordered_lines(po)
    total = subtotal(lines, po.currency)
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
    total = subtotal(lines, po.currency)
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
