"""What may change, decided by the PO's status (never the line's own status).

In DRAFT every field of every line is editable (a quantity may even be raised on a received
line). In every other status only `eta`, `paid` and custom attributes are.
Whatever the status, what was received is a fact: no quantity goes below it, a line with
receipts keeps its part, and a line closed short keeps its quantity.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from purchasing.domain.errors import PoNotEditable
from purchasing.domain.model import Line, Status, format_quantity

ALWAYS_EDITABLE_LINE_FIELDS = frozenset({"eta", "paid", "customAttributes"})
ALWAYS_EDITABLE_HEADER_FIELDS = frozenset({"customAttributes"})


def check_line_changes(po_status: Status, changed_fields: Iterable[str]) -> None:
    _check(po_status, changed_fields, ALWAYS_EDITABLE_LINE_FIELDS, "line")


def check_header_changes(po_status: Status, changed_fields: Iterable[str]) -> None:
    _check(po_status, changed_fields, ALWAYS_EDITABLE_HEADER_FIELDS, "PO")


def check_receipts(line: Line, changes: dict[str, Any]) -> None:
    """Refuse a change that would contradict what `line` already received."""
    received = line.received_quantity
    if received <= 0:
        return
    shown = format_quantity(received)
    if "quantity" in changes and line.canceled_quantity > 0:
        raise PoNotEditable(
            f"line {line.id} was closed short at {shown} received: its quantity cannot change"
            " (add a line to order more)",
            field="quantity",
        )
    if "quantity" in changes and changes["quantity"] < received:
        raise PoNotEditable(
            f"line {line.id} has received {shown}: its quantity cannot go below that", field="quantity"
        )
    if "part_id" in changes:
        raise PoNotEditable(
            f"line {line.id} has received {shown}: its part cannot change",
            field="partId",
        )


def check_can_add_line(po_status: Status) -> None:
    if po_status is not Status.DRAFT:
        raise PoNotEditable(
            f"lines can only be added while the PO is DRAFT; it is {po_status}", field="lines"
        )


def _check(po_status: Status, changed: Iterable[str], allowed: frozenset[str], what: str) -> None:
    if po_status is Status.DRAFT:
        return
    for field in sorted(changed):
        if field not in allowed:
            editable = ", ".join(sorted(allowed))
            raise PoNotEditable(
                f"{what} field '{field}' cannot change while the PO is {po_status}; only {editable} can",
                field=field,
            )
