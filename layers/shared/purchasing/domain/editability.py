"""What may change, decided by the PO's status (never the line's own status).

In DRAFT every field of every line is editable (a quantity may even be raised on a received
line). In every other status only `eta`, `paid` and custom attributes are.
"""

from __future__ import annotations

from collections.abc import Iterable

from purchasing.domain.errors import PoNotEditable
from purchasing.domain.model import Status

ALWAYS_EDITABLE_LINE_FIELDS = frozenset({"eta", "paid", "customAttributes"})
ALWAYS_EDITABLE_HEADER_FIELDS = frozenset({"customAttributes"})


def check_line_changes(po_status: Status, changed_fields: Iterable[str]) -> None:
    _check(po_status, changed_fields, ALWAYS_EDITABLE_LINE_FIELDS, "line")


def check_header_changes(po_status: Status, changed_fields: Iterable[str]) -> None:
    _check(po_status, changed_fields, ALWAYS_EDITABLE_HEADER_FIELDS, "PO")


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
