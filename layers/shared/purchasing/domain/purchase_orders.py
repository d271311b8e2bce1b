"""Pure operations on a purchase order: each takes a PO and returns the next one.

Every change bumps the version and the update time; editability is checked before anything
changes. Nothing here touches AWS.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic.alias_generators import to_camel

from purchasing.domain.editability import (
    check_can_add_line,
    check_header_changes,
    check_line_changes,
    check_receipts,
)
from purchasing.domain.errors import InvalidRequest, LimitReached, NotFound, TooLarge
from purchasing.domain.model import Line, PurchaseOrder, Supplier, line_id, with_totals
from purchasing.domain.status import derive_po_status

MAX_LINES = 1000
MAX_LINES_BYTES = 4_000_000  # a PO must fit one Lambda response (6 MB) with room to spare
MAX_AMOUNT = Decimal(10**12)  # a line amount or a subtotal, in the PO's currency


def new_purchase_order(
    *,
    po_id: str,
    number: str,
    supplier: Supplier,
    currency: str,
    lines: list[dict[str, Any]],
    custom_attributes: dict[str, Any],
    created_by: str,
    now: str,
) -> PurchaseOrder:
    po = PurchaseOrder(
        id=po_id,
        number=number,
        supplier=supplier,
        currency=currency,
        lines=[Line(id=line_id(no), line_no=no, **fields) for no, fields in enumerate(lines, start=1)],
        custom_attributes=custom_attributes,
        created_at=now,
        updated_at=now,
        created_by=created_by,
    )
    return _within_limits(recompute(po))


def change_header(po: PurchaseOrder, changes: dict[str, Any], now: str) -> PurchaseOrder:
    changed = _actual_changes(po, changes)
    check_header_changes(po.status, [to_camel(name) for name in changed])
    if not changed:
        return po
    return _within_limits(next_version(po.model_copy(update=changed), now))


def add_line(po: PurchaseOrder, fields: dict[str, Any], now: str) -> PurchaseOrder:
    """The new line is numbered after the last one and comes last."""
    check_can_add_line(po.status)
    line_no = max((line.line_no for line in po.lines), default=0) + 1
    if len(po.lines) >= MAX_LINES:
        raise LimitReached(f"a PO has at most {MAX_LINES} lines", field="lines")
    line = Line(id=line_id(line_no), line_no=line_no, **fields)
    return _within_limits(next_version(po.model_copy(update={"lines": [*po.lines, line]}), now), "amount")


def change_line(po: PurchaseOrder, line_ref: str, changes: dict[str, Any], now: str) -> PurchaseOrder:
    line = find_line(po, line_ref)
    changed = _actual_changes(line, changes)
    check_receipts(line, changed)  # first: in any status, the refusal names what was received
    check_line_changes(po.status, [to_camel(name) for name in changed])
    if not changed:
        return po
    lines = [line.model_copy(update=changed) if line.id == line_ref else line for line in po.lines]
    return _within_limits(next_version(po.model_copy(update={"lines": lines}), now), "amount")


def find_line(po: PurchaseOrder, line_ref: str) -> Line:
    line = next((line for line in po.lines if line.id == line_ref), None)
    if line is None:
        raise NotFound(f"line {line_ref} not found on PO {po.id}")
    return line


def _within_limits(po: PurchaseOrder, line_field: str | None = None) -> PurchaseOrder:
    """Size and amounts; `line_field` names a line's amount when one line is edited (else
    `lines[i].amount`)."""
    size = sum(len(line.model_dump_json()) for line in po.lines)
    if size > MAX_LINES_BYTES:
        raise TooLarge(f"the PO's lines would take {size} bytes; at most {MAX_LINES_BYTES}", field="lines")
    for index, line in enumerate(po.lines):
        if line.amount > MAX_AMOUNT:
            raise InvalidRequest(
                f"line {line.id} would amount to {line.amount} {po.currency}; at most {MAX_AMOUNT:,}",
                field=line_field or f"lines[{index}].amount",
            )
    if po.totals.subtotal > MAX_AMOUNT:
        raise InvalidRequest(
            f"the PO's subtotal would be {po.totals.subtotal} {po.currency}; at most {MAX_AMOUNT:,}",
            field="totals.subtotal",
        )
    return po


def _actual_changes(current: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """Only the fields whose value differs: resending a field unchanged is never refused."""
    return {name: value for name, value in changes.items() if getattr(current, name) != value}


def next_version(po: PurchaseOrder, now: str) -> PurchaseOrder:
    return recompute(po.model_copy(update={"version": po.version + 1, "updated_at": now}))


def recompute(po: PurchaseOrder) -> PurchaseOrder:
    """Totals and status, both derived from the lines."""
    totaled = with_totals(po)
    return totaled.model_copy(update={"status": derive_po_status(line.status for line in totaled.lines)})
