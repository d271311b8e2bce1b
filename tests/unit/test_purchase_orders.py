"""Pure operations on a PO: numbering, versions, editability applied."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from purchasing.domain import purchase_orders
from purchasing.domain.errors import InvalidRequest, LimitReached, NotFound, PoNotEditable, TooLarge
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
    with pytest.raises(LimitReached, match="at most 1000 lines"):
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


# --- received quantities are facts (issue 9, point 3) ------------------------------------------


def with_receipt(status: Status, received: str = "1.5") -> PurchaseOrder:
    po = draft()
    line = po.lines[0].model_copy(update={"status": status, "received_quantity": Decimal(received)})
    return po.model_copy(update={"lines": [line, po.lines[1]], "status": status})


@pytest.mark.parametrize("status", list(Status))
def test_no_status_lets_a_quantity_go_below_what_was_received(status: Status) -> None:
    with pytest.raises(PoNotEditable) as refused:
        purchase_orders.change_line(with_receipt(status), "00001", {"quantity": Decimal(1)}, LATER)
    assert refused.value.field == "quantity"
    assert "has received 1.5" in refused.value.detail


@pytest.mark.parametrize("status", list(Status))
def test_no_status_lets_a_line_with_receipts_change_its_part(status: Status) -> None:
    with pytest.raises(PoNotEditable) as refused:
        purchase_orders.change_line(with_receipt(status), "00001", {"part_id": "OTHER"}, LATER)
    assert (refused.value.field, "has received 1.5" in refused.value.detail) == ("partId", True)


def test_in_draft_a_line_with_receipts_keeps_every_other_freedom() -> None:
    po = with_receipt(Status.DRAFT)
    after = purchase_orders.change_line(
        po, "00001", {"quantity": Decimal("1.5"), "description": "renamed", "unit_cost": Decimal(2)}, LATER
    )
    assert (after.lines[0].quantity, after.lines[0].description) == (Decimal("1.5"), "renamed")
    untouched = purchase_orders.change_line(draft(), "00001", {"quantity": Decimal(1), "part_id": "P"}, LATER)
    assert untouched.lines[0].part_id == "P"  # no receipt, no restriction


# --- amounts with bounds (issue 9, point 7) ----------------------------------------------------


def test_a_line_amount_above_a_trillion_is_refused_naming_the_field() -> None:
    huge = Decimal("999999999999.9999")
    with pytest.raises(InvalidRequest) as refused:
        purchase_orders.change_line(draft(), "00002", {"quantity": huge, "unit_cost": huge}, LATER)
    assert refused.value.field == "amount"
    with pytest.raises(InvalidRequest) as on_create:
        purchase_orders.new_purchase_order(
            **(
                CREATE
                | {"lines": [ONE, {**ONE, "quantity": Decimal(10**6), "unit_cost": Decimal(10**6) + 1}]}
            )
        )
    assert on_create.value.field == "lines[1].amount"
    at_the_limit = purchase_orders.change_line(
        draft(lines=1), "00001", {"quantity": Decimal(10**6), "unit_cost": Decimal(10**6)}, LATER
    )
    assert at_the_limit.totals.subtotal == Decimal(10**12)


def test_a_subtotal_above_a_trillion_is_refused_naming_the_field() -> None:
    big = {"description": "big", "quantity": Decimal(1), "unit_cost": Decimal(6 * 10**11)}
    po = purchase_orders.add_line(draft(lines=0), big, LATER)
    with pytest.raises(InvalidRequest) as refused:
        purchase_orders.add_line(po, big, LATER)
    assert refused.value.field == "totals.subtotal"
    assert "1,000,000,000,000" in refused.value.detail


def test_amounts_are_rounded_to_the_currencys_minor_unit_and_unit_costs_may_be_finer() -> None:
    line = {"description": "screws", "quantity": Decimal(10), "unit_cost": Decimal("1.005")}
    jpy = purchase_orders.new_purchase_order(**(CREATE | {"currency": "JPY", "lines": [line, line]}))
    assert (jpy.lines[0].unit_cost, jpy.lines[0].amount, jpy.totals.subtotal) == (
        Decimal("1.005"),
        Decimal(10),
        Decimal(20),
    )
    kwd = purchase_orders.change_header(jpy, {"currency": "KWD"}, LATER)
    assert (kwd.lines[0].amount, kwd.totals.subtotal) == (Decimal("10.050"), Decimal("20.100"))
    usd = purchase_orders.change_header(jpy, {"currency": "USD"}, LATER)
    assert usd.lines[0].amount == Decimal("10.05")


ONE: dict[str, Any] = {"description": "one", "quantity": Decimal(1), "unit_cost": Decimal(1)}
CREATE: dict[str, Any] = {
    "po_id": "b" * 32,
    "number": "PO-000002",
    "supplier": Supplier(name="Acme", email="a@acme.example.com"),
    "currency": "EUR",
    "lines": [ONE],
    "custom_attributes": {},
    "created_by": "b@acme.example.com",
    "now": NOW,
}
