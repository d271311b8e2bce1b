"""Pure operations on a PO: numbering, versions, editability applied."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from purchasing.domain import purchase_orders
from purchasing.domain.errors import NotFound, PoNotEditable, TooLarge
from purchasing.domain.model import PurchaseOrder, Status, Supplier

NOW, LATER = "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"


def draft(lines: int = 2) -> PurchaseOrder:
    return purchase_orders.new_purchase_order(
        po_id="a" * 32,
        number="PO-000001",
        supplier=Supplier(name="Acme", email="a@acme.example.com"),
        currency="EUR",
        lines=[
            {"description": f"item {n}", "quantity": Decimal(2), "unit_cost": Decimal("1.50")}
            for n in range(lines)
        ],
        custom_attributes={},
        created_by="b@acme.example.com",
        now=NOW,
    )


def test_a_new_po_numbers_its_lines_and_totals_them() -> None:
    po = draft()
    assert [(line.id, line.line_no) for line in po.lines] == [("00001", 1), ("00002", 2)]
    assert po.totals.subtotal == Decimal("6.00")
    assert (po.version, po.status, po.created_at, po.updated_at) == (1, Status.DRAFT, NOW, NOW)


def test_adding_a_line_numbers_it_after_the_last_and_bumps_the_version() -> None:
    po = purchase_orders.add_line(
        draft(), {"description": "new", "quantity": Decimal(1), "unit_cost": Decimal(4)}, LATER
    )
    assert po.lines[-1].id == "00003"
    assert (po.version, po.updated_at, po.totals.subtotal) == (2, LATER, Decimal("10.00"))


def test_changing_a_line_recomputes_totals_and_bumps_the_version() -> None:
    po = purchase_orders.change_line(draft(), "00002", {"quantity": Decimal(10)}, LATER)
    assert po.lines[1].quantity == Decimal(10)
    assert (po.version, po.totals.subtotal) == (2, Decimal("18.00"))


def test_resending_unchanged_values_changes_nothing() -> None:
    before = draft()
    assert purchase_orders.change_line(before, "00001", {"quantity": Decimal(2)}, LATER) is before
    assert purchase_orders.change_header(before, {"currency": "EUR"}, LATER) is before


def test_an_unknown_line_is_not_found() -> None:
    with pytest.raises(NotFound):
        purchase_orders.change_line(draft(), "00009", {"paid": True}, LATER)


def test_outside_draft_only_eta_paid_and_custom_attributes_change() -> None:
    ordered = draft().model_copy(update={"status": Status.ORDERED})
    after = purchase_orders.change_line(ordered, "00001", {"eta": date(2026, 3, 1), "paid": True}, LATER)
    assert (after.lines[0].eta, after.lines[0].paid, after.version) == (date(2026, 3, 1), True, 2)
    with pytest.raises(PoNotEditable, match="unitCost"):
        purchase_orders.change_line(ordered, "00001", {"unit_cost": Decimal(9)}, LATER)
    with pytest.raises(PoNotEditable):
        purchase_orders.add_line(
            ordered, {"description": "x", "quantity": Decimal(1), "unit_cost": Decimal(1)}, LATER
        )


def test_in_draft_a_received_line_can_still_be_raised() -> None:
    po = draft()
    po = po.model_copy(
        update={"lines": [po.lines[0].model_copy(update={"status": Status.RECEIVED}), po.lines[1]]}
    )
    after = purchase_orders.change_line(po, "00001", {"quantity": Decimal(5)}, LATER)
    assert after.lines[0].quantity == Decimal(5)


def test_a_po_holds_at_most_a_thousand_lines() -> None:
    po = draft(lines=purchase_orders.MAX_LINES)
    with pytest.raises(PoNotEditable, match="at most 1000 lines"):
        purchase_orders.add_line(
            po, {"description": "one more", "quantity": Decimal(1), "unit_cost": Decimal(1)}, LATER
        )


def test_a_po_whose_lines_would_not_fit_a_response_is_too_large() -> None:
    clauses = ["x" * 500] * 50
    line = {"description": "d", "quantity": Decimal(1), "unit_cost": Decimal(1), "quality_clauses": clauses}
    po = draft(lines=0)
    with pytest.raises(TooLarge):
        for _ in range(200):
            po = purchase_orders.add_line(po, line, LATER)
