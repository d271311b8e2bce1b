"""The line workflow: each step moves line statuses; the PO status follows from them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from purchasing.domain import lifecycle
from purchasing.domain.errors import InvalidTransition, OverReceipt, PoNotEditable
from purchasing.domain.model import PurchaseOrder, PurchaseType, Status, Supplier
from purchasing.domain.purchase_orders import new_purchase_order

T = "2026-01-01T00:00:00.000Z"


def po(*types: PurchaseType) -> PurchaseOrder:
    lines = [
        {"description": f"item {n}", "quantity": Decimal(4), "unit_cost": Decimal(1), "purchase_type": kind}
        for n, kind in enumerate(types or (PurchaseType.CREATES_INVENTORY,))
    ]
    return new_purchase_order(
        po_id="a" * 32,
        number="PO-1",
        supplier=Supplier(name="Acme", email="a@acme.example.com"),
        currency="USD",
        lines=lines,
        custom_attributes={},
        created_by="b@acme.example.com",
        now=T,
    )


def approved(*types: PurchaseType) -> PurchaseOrder:
    return lifecycle.approve(lifecycle.submit(po(*types), T), T)


def statuses(order: PurchaseOrder) -> list[Status]:
    return [line.status for line in order.lines]


def test_submit_then_approve_moves_draft_lines_and_the_po_follows() -> None:
    submitted = lifecycle.submit(po(), T)
    assert (statuses(submitted), submitted.status, submitted.version) == (
        [Status.IN_REVIEW],
        Status.IN_REVIEW,
        2,
    )
    assert lifecycle.approve(submitted, T).status is Status.APPROVED
    with pytest.raises(InvalidTransition, match="no DRAFT line"):
        lifecycle.submit(submitted, T)


def test_rejection_returns_lines_in_review_to_draft() -> None:
    assert lifecycle.reject(lifecycle.submit(po(), T), T).status is Status.DRAFT


def test_ordering_needs_an_approved_po_and_receives_digital_lines_at_once() -> None:
    with pytest.raises(InvalidTransition, match="only an APPROVED PO"):
        lifecycle.place_order(po(), T)
    ordered = lifecycle.place_order(
        approved(PurchaseType.CREATES_INVENTORY, PurchaseType.DIGITAL_NO_INVENTORY), T
    )
    assert statuses(ordered) == [Status.ORDERED, Status.RECEIVED]
    assert ordered.lines[1].received_quantity == Decimal(4)
    assert ordered.status is Status.ORDERED


def test_an_all_digital_po_is_received_when_ordered() -> None:
    assert lifecycle.place_order(approved(PurchaseType.DIGITAL_NO_INVENTORY), T).status is Status.RECEIVED


def test_partial_receipts_add_up_and_the_po_stays_ordered_until_all_is_in() -> None:
    ordered = lifecycle.place_order(
        approved(PurchaseType.PHYSICAL_NO_INVENTORY, PurchaseType.CREATES_INVENTORY), T
    )
    partly = lifecycle.receive(ordered, "00001", Decimal("1.5"), T)
    assert (partly.lines[0].received_quantity, partly.lines[0].status, partly.status) == (
        Decimal("1.5"),
        Status.ORDERED,
        Status.ORDERED,
    )
    one_in = lifecycle.receive(partly, "00001", Decimal("2.5"), T)
    assert (one_in.lines[0].status, one_in.status) == (Status.RECEIVED, Status.ORDERED)
    all_in = lifecycle.receive(one_in, "00002", Decimal(4), T)
    assert all_in.status is Status.RECEIVED


def test_over_receiving_and_receiving_what_is_not_ordered_are_refused() -> None:
    ordered = lifecycle.place_order(approved(), T)
    with pytest.raises(OverReceipt, match="only 4 left"):
        lifecycle.receive(ordered, "00001", Decimal(5), T)
    with pytest.raises(InvalidTransition, match="only an ORDERED line"):
        lifecycle.receive(approved(), "00001", Decimal(1), T)
    digital = lifecycle.place_order(approved(PurchaseType.DIGITAL_NO_INVENTORY), T)
    with pytest.raises(InvalidTransition, match="digitally"):
        lifecycle.receive(digital, "00001", Decimal(1), T)


def test_canceling_lines_and_whole_pos() -> None:
    two = approved(PurchaseType.PHYSICAL_NO_INVENTORY, PurchaseType.PHYSICAL_NO_INVENTORY)
    one_canceled = lifecycle.cancel_line(two, "00002", T)
    assert (statuses(one_canceled), one_canceled.status) == (
        [Status.APPROVED, Status.CANCELED],
        Status.APPROVED,
    )
    assert one_canceled.totals.subtotal == Decimal("4.00")
    all_canceled = lifecycle.cancel_po(one_canceled, T)
    assert all_canceled.status is Status.CANCELED
    with pytest.raises(InvalidTransition):
        lifecycle.cancel_line(all_canceled, "00001", T)
    with pytest.raises(InvalidTransition, match="no open line"):
        lifecycle.cancel_po(all_canceled, T)


def test_canceling_an_ordered_po_keeps_what_was_received() -> None:
    ordered = lifecycle.place_order(
        approved(PurchaseType.PHYSICAL_NO_INVENTORY, PurchaseType.PHYSICAL_NO_INVENTORY), T
    )
    received_one = lifecycle.receive(ordered, "00001", Decimal(4), T)
    closed = lifecycle.cancel_po(received_one, T)
    assert (statuses(closed), closed.status) == ([Status.RECEIVED, Status.CANCELED], Status.RECEIVED)


def test_revise_brings_approved_and_ordered_lines_back_to_draft() -> None:
    ordered = lifecycle.place_order(
        approved(PurchaseType.PHYSICAL_NO_INVENTORY, PurchaseType.DIGITAL_NO_INVENTORY), T
    )
    revised = lifecycle.revise(ordered, T)
    assert (statuses(revised), revised.status) == ([Status.DRAFT, Status.RECEIVED], Status.DRAFT)
    with pytest.raises(InvalidTransition, match="no line in review, approved or ordered"):
        lifecycle.revise(po(), T)


# --- short-close: received goods are facts (issue 9, point 4) -----------------------------------


def partly_received(received: str = "3") -> PurchaseOrder:
    ordered = lifecycle.place_order(
        approved(PurchaseType.CREATES_INVENTORY, PurchaseType.PHYSICAL_NO_INVENTORY), T
    )
    return lifecycle.receive(ordered, "00001", Decimal(received), T)


def test_canceling_a_partly_received_line_closes_it_short_at_what_arrived() -> None:
    closed = lifecycle.cancel_line(partly_received(), "00001", T)
    line = closed.lines[0]
    assert (line.status, line.received_quantity, line.canceled_quantity) == (
        Status.RECEIVED,
        Decimal(3),
        Decimal(1),
    )
    assert line.amount == Decimal("3.00")  # the received amount, not the ordered one
    assert closed.totals.subtotal == Decimal("7.00")
    assert closed.status is Status.ORDERED  # line 2 is still on order


def test_canceling_a_po_cancels_untouched_lines_and_closes_partly_received_ones_short() -> None:
    ordered = lifecycle.place_order(
        approved(PurchaseType.PHYSICAL_NO_INVENTORY, PurchaseType.PHYSICAL_NO_INVENTORY,
                 PurchaseType.PHYSICAL_NO_INVENTORY), T
    )  # fmt: skip
    some_in = lifecycle.receive(lifecycle.receive(ordered, "00001", Decimal(1), T), "00002", Decimal(4), T)
    closed = lifecycle.cancel_po(some_in, T)
    assert [(line.status, line.received_quantity, line.canceled_quantity) for line in closed.lines] == [
        (Status.RECEIVED, Decimal(1), Decimal(3)),
        (Status.RECEIVED, Decimal(4), Decimal(0)),  # fully received: untouched
        (Status.CANCELED, Decimal(0), Decimal(0)),
    ]
    assert closed.lines[1] == some_in.lines[1]
    assert (closed.status, closed.totals.subtotal) == (Status.RECEIVED, Decimal("5.00"))


def test_a_closed_short_line_takes_no_more_receipts() -> None:
    closed = lifecycle.cancel_line(partly_received(), "00001", T)
    with pytest.raises(InvalidTransition, match="only an ORDERED line"):
        lifecycle.receive(closed, "00001", Decimal(1), T)


def test_a_revised_line_received_in_full_is_received_when_ordered_again() -> None:
    from purchasing.domain.purchase_orders import change_line

    revised = lifecycle.revise(partly_received("3"), T)
    smaller = change_line(revised, "00001", {"quantity": Decimal(3)}, T)
    reordered = lifecycle.place_order(lifecycle.approve(lifecycle.submit(smaller, T), T), T)
    assert reordered.lines[0].status is Status.RECEIVED  # nothing left to wait for


def test_a_line_closed_short_keeps_its_quantity_even_in_draft() -> None:
    from purchasing.domain.purchase_orders import change_line

    closed = lifecycle.cancel_line(partly_received(), "00001", T)
    revised = lifecycle.revise(closed, T)  # line 2 back to DRAFT: the PO is DRAFT
    assert revised.status is Status.DRAFT
    with pytest.raises(PoNotEditable, match="closed short at 3 received"):
        change_line(revised, "00001", {"quantity": Decimal(8)}, T)
    assert change_line(revised, "00001", {"eta": None, "paid": True}, T).lines[0].paid
