"""The workflow a PO's lines go through: submit, approve, order, receive, cancel, revise.

Each step takes a PO and returns the next one, or raises `InvalidTransition` (a 409) naming why.
Line statuses move here; the PO's own status is always derived from them (see status.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from purchasing.domain.errors import InvalidTransition, OverReceipt
from purchasing.domain.model import Line, PurchaseOrder, PurchaseType, Status
from purchasing.domain.purchase_orders import find_line, next_version

OPEN = frozenset({Status.DRAFT, Status.IN_REVIEW, Status.APPROVED, Status.ORDERED})


def submit(po: PurchaseOrder, now: str) -> PurchaseOrder:
    """Request approval for every DRAFT line."""
    return _move(
        po, now, lambda line: line.status is Status.DRAFT, Status.IN_REVIEW, "no DRAFT line to submit"
    )


def approve(po: PurchaseOrder, now: str) -> PurchaseOrder:
    """Every line in review is approved (the approval route decided so)."""
    return _move(
        po, now, lambda line: line.status is Status.IN_REVIEW, Status.APPROVED, "no line is in review"
    )


def reject(po: PurchaseOrder, now: str) -> PurchaseOrder:
    """Lines in review go back to DRAFT for changes."""
    return _move(po, now, lambda line: line.status is Status.IN_REVIEW, Status.DRAFT, "no line is in review")


def revise(po: PurchaseOrder, now: str) -> PurchaseOrder:
    """Lines in review, approved or ordered (not yet received) come back to DRAFT for changes."""
    return _move(
        po,
        now,
        lambda line: line.status in (Status.IN_REVIEW, Status.APPROVED, Status.ORDERED),
        Status.DRAFT,
        "no line in review, approved or ordered to revise",
    )


def place_order(po: PurchaseOrder, now: str) -> PurchaseOrder:
    """Approved lines are ordered; a digitally received line is received at once."""
    if po.status is not Status.APPROVED:
        raise InvalidTransition(f"only an APPROVED PO can be ordered; it is {po.status}", field="status")
    lines = [_ordered(line) if line.status is Status.APPROVED else line for line in po.lines]
    return next_version(po.model_copy(update={"lines": lines}), now)


def receive(po: PurchaseOrder, line_ref: str, quantity: Decimal, now: str) -> PurchaseOrder:
    """Receipts add up; the line is RECEIVED when its whole quantity is in. Never more."""
    line = find_line(po, line_ref)
    if line.purchase_type is PurchaseType.DIGITAL_NO_INVENTORY:
        raise InvalidTransition(f"line {line.id} is received digitally, when ordered", field="quantity")
    if line.status is not Status.ORDERED:
        raise InvalidTransition(
            f"line {line.id} is {line.status}; only an ORDERED line is received", field="status"
        )
    received = line.received_quantity + quantity
    if received > line.quantity:
        outstanding = line.quantity - line.received_quantity
        raise OverReceipt(f"line {line.id} has only {outstanding} left to receive", field="quantity")
    status = Status.RECEIVED if received == line.quantity else Status.ORDERED
    return _replace(po, line.model_copy(update={"received_quantity": received, "status": status}), now)


def cancel_line(po: PurchaseOrder, line_ref: str, now: str) -> PurchaseOrder:
    """An untouched line is CANCELED; a partly received one is closed short (see `_canceled`)."""
    line = find_line(po, line_ref)
    if line.status not in OPEN:
        raise InvalidTransition(f"line {line.id} is {line.status} and cannot be canceled", field="status")
    return _replace(po, _canceled(line), now)


def cancel_po(po: PurchaseOrder, now: str) -> PurchaseOrder:
    """Cancel every open line (closing partly received ones short); received lines stay received."""
    if not any(line.status in OPEN for line in po.lines):
        raise InvalidTransition(f"no open line to cancel (the PO is {po.status})", field="status")
    lines = [_canceled(line) if line.status in OPEN else line for line in po.lines]
    return next_version(po.model_copy(update={"lines": lines}), now)


def _canceled(line: Line) -> Line:
    """Received goods are facts: a line with receipts is closed short, RECEIVED at what arrived,
    the rest canceled; a line with none is CANCELED."""
    if line.received_quantity <= 0:
        return line.model_copy(update={"status": Status.CANCELED})
    rest = max(line.quantity - line.received_quantity, Decimal(0))
    return line.model_copy(update={"status": Status.RECEIVED, "canceled_quantity": rest})


def changed_lines(before: PurchaseOrder, after: PurchaseOrder) -> list[Line]:
    old = {line.id: line for line in before.lines}
    return [line for line in after.lines if old.get(line.id) != line]


def _ordered(line: Line) -> Line:
    if line.purchase_type is PurchaseType.DIGITAL_NO_INVENTORY:
        return line.model_copy(update={"status": Status.RECEIVED, "received_quantity": line.quantity})
    if line.received_quantity >= line.quantity:  # revised after its last receipt: nothing to wait for
        return line.model_copy(update={"status": Status.RECEIVED})
    return line.model_copy(update={"status": Status.ORDERED})


def _move(
    po: PurchaseOrder, now: str, which: Callable[[Line], bool], to: Status, nothing_to_do: str
) -> PurchaseOrder:
    chosen = [line.id for line in po.lines if which(line)]
    if not chosen:
        raise InvalidTransition(f"{nothing_to_do} (the PO is {po.status})", field="status")
    lines = [line.model_copy(update={"status": to}) if line.id in chosen else line for line in po.lines]
    return next_version(po.model_copy(update={"lines": lines}), now)


def _replace(po: PurchaseOrder, changed: Line, now: str) -> PurchaseOrder:
    lines: Iterable[Line] = (changed if line.id == changed.id else line for line in po.lines)
    return next_version(po.model_copy(update={"lines": list(lines)}), now)
