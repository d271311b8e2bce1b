"""Re-approval after a revise: material changes always need a new round; amounts keep the
cumulative threshold against the last human-approved baseline (issue 9, points 1 and 10)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purchasing.domain import approvals, lifecycle, purchase_orders
from purchasing.domain.approval_route import ApprovalPolicy, ExchangeRates, material_changes, resubmission
from purchasing.domain.errors import DomainError, NoApprover
from purchasing.domain.model import PurchaseOrder, PurchaseType, RoundStatus, Status, Supplier

T = "2026-01-01T00:00:00.000Z"
POLICY = ApprovalPolicy.model_validate(
    {
        "levels": [{"name": "Manager", "approvers": ["ann@example.com"]}],
        "resetThreshold": {"amount": "100", "percent": "50"},
        "version": 1,
    }
)


def draft() -> PurchaseOrder:
    return purchase_orders.new_purchase_order(
        po_id="a" * 32,
        number="PO-1",
        supplier=Supplier(name="Acme", email="sales@acme.example.com"),
        currency="USD",
        lines=[
            {"description": "bolts", "quantity": Decimal(10), "unit_cost": Decimal(50)},
            {"description": "nuts", "quantity": Decimal(10), "unit_cost": Decimal(50)},
        ],
        custom_attributes={},
        created_by="buyer@example.com",
        now=T,
    )


def submit(
    po: PurchaseOrder, policy: ApprovalPolicy = POLICY, rates: ExchangeRates | None = None
) -> approvals.Step:
    """Submit, route; a round that starts is approved by people, and applied."""
    submitted = lifecycle.submit(po, T).model_copy(update={"submitted_by": "buyer@example.com"})
    step = approvals.next_step(submitted, policy, T, rates)
    if step.start is None:
        return step
    rounds = [r.model_copy(update={"status": RoundStatus.APPROVED}) for r in step.po.approval_rounds]
    applied = approvals.next_step(step.po.model_copy(update={"approval_rounds": rounds}), policy, T, rates)
    return approvals.Step(applied.po, step.events + applied.events, start=step.start)


def approved() -> PurchaseOrder:
    step = submit(draft())
    assert step.start is not None and step.po.status is Status.APPROVED
    return step.po


def revised(**header: Any) -> PurchaseOrder:
    po = lifecycle.revise(approved(), T)
    return purchase_orders.change_header(po, header, T) if header else po


def test_an_approved_round_records_what_it_approved() -> None:
    baseline = approved().approved_baseline
    assert baseline is not None
    assert (baseline.round, baseline.supplier.name, baseline.currency, baseline.subtotal) == (
        1, "Acme", "USD", Decimal("1000.00"),
    )  # fmt: skip
    assert set(baseline.lines) == {"00001", "00002"}


def test_the_payee_swap_needs_a_new_round() -> None:
    po = revised(supplier=Supplier(name="Shell Co", email="pay@shell.example.com"))
    po = purchase_orders.change_line(po, "00001", {"description": "bolts, zinc"}, T)
    again = resubmission(POLICY, po, None)
    assert again is not None and again.new_round
    assert again.material_changes == [
        "supplier name changed (Acme -> Shell Co)",
        "supplier email changed (sales@acme.example.com -> pay@shell.example.com)",
        "line 00001 description changed",
    ]
    step = submit(po)
    assert step.start is not None and step.start.round == 2
    assert "supplier name changed" in step.events[0].summary
    assert step.events[0].data["trigger"] == again.material_changes


def test_a_currency_swap_needs_a_new_round() -> None:
    again = resubmission(POLICY, revised(currency="KWD"), None)
    assert again is not None and again.material_changes == ["currency changed (USD -> KWD)"]


def test_what_a_line_buys_is_material_and_its_amount_is_not() -> None:
    po = lifecycle.revise(approved(), T)
    part = purchase_orders.change_line(
        po, "00002", {"part_id": "NUT-M8", "purchase_type": PurchaseType.CREATES_INVENTORY}, T
    )
    assert material_changes(part.approved_baseline, part) == [
        "line 00002 part changed (None -> NUT-M8)",
        "line 00002 purchase type changed (PHYSICAL_NO_INVENTORY -> CREATES_INVENTORY)",
    ]
    cheaper = purchase_orders.change_line(po, "00002", {"unit_cost": Decimal(40)}, T)
    step = submit(cheaper)
    assert step.start is None and step.po.status is Status.APPROVED
    assert "approved automatically" in step.events[0].summary


def test_a_new_line_counts_with_its_whole_amount_whatever_was_cut() -> None:
    po = lifecycle.revise(approved(), T)
    po = purchase_orders.change_line(po, "00002", {"quantity": Decimal(1)}, T)  # -450
    po = purchase_orders.add_line(
        po, {"description": "washers", "quantity": Decimal(1), "unit_cost": Decimal(150)}, T
    )
    assert po.totals.subtotal < Decimal(1000)  # the subtotal fell...
    again = resubmission(POLICY, po, None)
    assert again is not None and again.new_round  # ...but 150 of new goods is past the 100 limit
    assert again.reason.startswith("past the reset threshold") and "+150.00" in again.reason


def test_a_po_approved_before_baselines_were_kept_needs_a_new_round() -> None:
    legacy = lifecycle.revise(approved(), T).model_copy(update={"approved_baseline": None})
    again = resubmission(POLICY, legacy, None)
    assert again is not None and again.new_round
    assert again.material_changes == ["the last approval predates the record of what it approved"]


def test_the_threshold_amount_is_in_the_base_currency() -> None:
    eur = ApprovalPolicy.model_validate(POLICY.model_dump() | {"currency": "EUR"})
    rates = ExchangeRates.model_validate({"baseCurrency": "EUR", "rates": {"USD": "0.9"}})
    po = lifecycle.revise(submit(draft(), eur, rates).po, T)
    po = purchase_orders.change_line(po, "00001", {"quantity": Decimal(12)}, T)  # +100 USD = 90 EUR
    again = resubmission(eur, po, rates)
    assert again is not None and not again.new_round
    assert "+100.00 (= 90.00) against a limit of 100" in again.reason
    no_rate = resubmission(eur, po, None)
    assert no_rate is not None and no_rate.new_round  # fail closed
    assert "no exchange rate from USD to EUR to check it" in no_rate.reason


# --- the property ------------------------------------------------------------------------------

Edit = Callable[[PurchaseOrder], PurchaseOrder]
lines = st.sampled_from(["00001", "00002", "00003"])
edits: st.SearchStrategy[Edit] = st.one_of(
    st.just(lambda po: lifecycle.revise(po, T)),
    st.builds(lambda name: lambda po: purchase_orders.change_header(
        po, {"supplier": po.supplier.model_copy(update={"name": name})}, T),
        st.sampled_from(["Acme", "Shell"])),
    st.builds(lambda email: lambda po: purchase_orders.change_header(
        po, {"supplier": po.supplier.model_copy(update={"email": email})}, T),
        st.sampled_from(["sales@acme.example.com", "pay@shell.example.com"])),
    st.builds(lambda currency: lambda po: purchase_orders.change_header(po, {"currency": currency}, T),
              st.sampled_from(["USD", "KWD"])),
    st.builds(lambda ref, text: lambda po: purchase_orders.change_line(po, ref, {"description": text}, T),
              lines, st.sampled_from(["bolts", "nuts", "gold"])),
    st.builds(lambda ref, part: lambda po: purchase_orders.change_line(po, ref, {"part_id": part}, T),
              lines, st.sampled_from([None, "P1"])),
    st.builds(lambda ref, kind: lambda po: purchase_orders.change_line(po, ref, {"purchase_type": kind}, T),
              lines, st.sampled_from(list(PurchaseType))),
    st.builds(lambda ref, q: lambda po: purchase_orders.change_line(po, ref, {"quantity": q}, T),
              lines, st.decimals(min_value=1, max_value=20, places=0)),
    st.builds(lambda ref, c: lambda po: purchase_orders.change_line(po, ref, {"unit_cost": c}, T),
              lines, st.decimals(min_value=0, max_value=100, places=2)),
    st.just(lambda po: purchase_orders.add_line(
        po, {"description": "extra", "quantity": Decimal(1), "unit_cost": Decimal(5)}, T)),
    st.builds(lambda ref: lambda po: lifecycle.cancel_line(po, ref, T), lines),
    st.just(lambda po: submit(po).po),
)  # fmt: skip


def bought(po: PurchaseOrder) -> tuple[Any, ...]:
    """What people approve beyond amounts: whom, in what, and what each line buys."""
    items = {
        line.id: (line.part_id, line.description, line.purchase_type)
        for line in po.lines
        if line.status is not Status.CANCELED
    }
    return po.supplier.name, po.supplier.email, po.currency, items


@settings(max_examples=300, deadline=None)
@given(st.lists(edits, max_size=20))
def test_no_revise_edit_submit_sequence_approves_a_material_change_without_a_new_round(
    sequence: list[Edit],
) -> None:
    po = approved()
    approved_state = bought(po)
    for edit in sequence:
        try:
            after = edit(po)
        except DomainError:
            continue
        rounds_before = len(po.approval_rounds)
        if after.status is Status.APPROVED and po.status is not Status.APPROVED:
            if len(after.approval_rounds) > rounds_before:
                approved_state = bought(after)  # people approved it as it is now
            else:
                name, email, currency, items = bought(after)
                old_name, old_email, old_currency, old_items = approved_state
                assert (name, email, currency) == (old_name, old_email, old_currency)
                for ref, what in items.items():
                    assert ref not in old_items or old_items[ref] == what
        po = after


def test_a_submission_no_one_may_approve_goes_back_to_draft_saying_why() -> None:
    """The API refuses such a submit; this is the consumer's answer to a policy changed since."""
    mine = ApprovalPolicy.model_validate(
        {"levels": [{"name": "Purchasing", "approvers": ["buyer@example.com"]}]}
    )
    submitted = lifecycle.submit(draft(), T).model_copy(update={"submitted_by": "buyer@example.com"})
    step = approvals.next_step(submitted, mine, T)
    assert step.start is None and step.po.status is Status.DRAFT
    (event,) = step.events
    assert event.type == "round-blocked"
    assert "level 'Purchasing' has no one who may approve this PO" in event.summary
    with pytest.raises(NoApprover, match="level 'Purchasing'"):
        approvals.check_routable(submitted, mine, None)
    approvals.check_routable(submitted, POLICY, None)  # ann may approve: fine
