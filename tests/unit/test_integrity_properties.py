"""Properties of issue 9 over any sequence of workflow steps and edits (hypothesis)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from purchasing.domain import lifecycle, purchase_orders
from purchasing.domain.errors import DomainError
from purchasing.domain.model import PurchaseOrder, PurchaseType, Status, Supplier, round_money

T = "2026-01-01T00:00:00.000Z"
LINES = ("00001", "00002", "00003")
quantities = st.decimals(min_value=Decimal("0.5"), max_value=20, places=1)

Step = Callable[[PurchaseOrder], PurchaseOrder]

steps: st.SearchStrategy[Step] = st.one_of(
    st.just(lambda po: lifecycle.submit(po, T)),
    st.just(lambda po: lifecycle.approve(po, T)),
    st.just(lambda po: lifecycle.reject(po, T)),
    st.just(lambda po: lifecycle.revise(po, T)),
    st.just(lambda po: lifecycle.place_order(po, T)),
    st.just(lambda po: lifecycle.cancel_po(po, T)),
    st.builds(lambda ref: lambda po: lifecycle.cancel_line(po, ref, T), st.sampled_from(LINES)),
    st.builds(lambda ref, q: lambda po: lifecycle.receive(po, ref, q, T), st.sampled_from(LINES), quantities),
    st.builds(
        lambda ref, q: lambda po: purchase_orders.change_line(po, ref, {"quantity": q}, T),
        st.sampled_from(LINES),
        quantities,
    ),
    st.builds(
        lambda ref, cost: lambda po: purchase_orders.change_line(po, ref, {"unit_cost": cost}, T),
        st.sampled_from(LINES),
        st.decimals(min_value=0, max_value=100, places=3),
    ),
)


def new_po() -> PurchaseOrder:
    kinds = (
        PurchaseType.CREATES_INVENTORY,
        PurchaseType.PHYSICAL_NO_INVENTORY,
        PurchaseType.DIGITAL_NO_INVENTORY,
    )
    return purchase_orders.new_purchase_order(
        po_id="a" * 32,
        number="PO-1",
        supplier=Supplier(name="Acme", email="a@acme.example.com"),
        currency="JPY",
        lines=[
            {
                "description": f"item {n}",
                "quantity": Decimal(10),
                "unit_cost": Decimal("1.5"),
                "purchase_type": kind,
            }
            for n, kind in enumerate(kinds)
        ],
        custom_attributes={},
        created_by="b@acme.example.com",
        now=T,
    )


def run(sequence: list[Step]) -> list[PurchaseOrder]:
    seen, po = [], new_po()
    for step in sequence:
        try:
            po = step(po)
        except DomainError:
            continue  # a refused step changes nothing
        seen.append(po)
    return seen


@settings(max_examples=300)
@given(st.lists(steps, max_size=25))
def test_received_never_exceeds_the_quantity(sequence: list[Step]) -> None:
    for po in run(sequence):
        for line in po.lines:
            assert 0 <= line.received_quantity <= line.quantity
            assert 0 <= line.canceled_quantity <= line.quantity - line.received_quantity


@settings(max_examples=300)
@given(st.lists(steps, max_size=25))
def test_the_subtotal_is_the_sum_of_received_or_open_line_amounts(sequence: list[Step]) -> None:
    for po in run(sequence):
        expected = sum(
            (
                round_money(
                    (line.received_quantity if line.canceled_quantity else line.quantity) * line.unit_cost,
                    "JPY",
                )
                for line in po.lines
                if line.status is not Status.CANCELED
            ),
            Decimal(0),
        )
        assert po.totals.subtotal == expected
