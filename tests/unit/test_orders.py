"""Customer orders, their customer POs and blanket POs: the pure rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purchasing.api import partner_page
from purchasing.domain import blanket_pos, orders, partner_links, signed_tokens
from purchasing.domain.blanket_pos import BlanketPoSummary, Customer
from purchasing.domain.errors import (
    BlanketPoCapExceeded,
    BlanketPoEnded,
    InvalidRequest,
    InvalidTransition,
    NotReady,
    PoNotEditable,
)
from purchasing.domain.model import Document
from purchasing.domain.orders import Order, OrderStatus, PoMode

NOW = "2026-03-01T10:00:00.000Z"
TODAY = date(2026, 3, 1)
SECRET = b"s" * 40
S = OrderStatus


def order(status: OrderStatus = S.PROCESSING, amount: str = "100.00", **fields: Any) -> Order:
    base = orders.new_order(
        order_id="o" * 32,
        number="SO-000001",
        customer=Customer(name="Initech"),
        amount=Decimal(amount),
        currency="USD",
        description=None,
        created_by="buyer@acme.example",
        now=NOW,
    )
    return base.model_copy(update={"status": status, **fields})


def blanket(
    cap: str | None = "150", consumed: str = "0", end: date | None = None, **fields: Any
) -> BlanketPoSummary:
    return BlanketPoSummary(
        id=fields.pop("id", "b" * 32),
        po_number="BLK-1",
        customer=Customer(name="Initech"),
        currency=fields.pop("currency", "USD"),
        cap=Decimal(cap) if cap is not None else None,
        consumed=Decimal(consumed),
        end_date=end,
        created_at=NOW,
        updated_at=NOW,
        created_by="buyer@acme.example",
    )


def document(status: str = "ACCEPTED", **fields: Any) -> Document:
    return Document(
        id=fields.pop("id", "d" * 32),
        file_name="po.pdf",
        content_type="application/pdf",
        size=10,
        status=status,
        uploaded_by=fields.pop("uploaded_by", "buyer@acme.example"),
        created_at=NOW,
        updated_at=NOW,
        **fields,
    )


def set_po(target: Order, mode: PoMode, **kwargs: Any) -> orders.OrderChange:
    defaults: dict[str, Any] = {
        "po_number": None,
        "document_id": None,
        "blanket_po_id": None,
        "document": None,
        "blanket": None,
        "today": TODAY,
        "attached_by": "buyer@acme.example",
        "now": NOW,
    }
    return orders.set_po(target, mode=mode, **(defaults | kwargs))


def by_blanket(target: Order, chosen: BlanketPoSummary, **kwargs: Any) -> orders.OrderChange:
    return set_po(target, PoMode.BLANKET, blanket_po_id=chosen.id, blanket=chosen, **kwargs)


# --- statuses ----------------------------------------------------------------------------------

ALLOWED = {
    (S.QUOTE, S.PROCESSING),
    (S.QUOTE, S.CANCELED),
    (S.PROCESSING, S.COMPLETED),
    (S.PROCESSING, S.CANCELED),
    (S.COMPLETED, S.INVOICED),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_only_the_listed_transitions_are_allowed(current: OrderStatus, target: OrderStatus) -> None:
    if current is target:
        assert not orders.update(order(current), {}, target, NOW).changed  # no move, no change
    elif (current, target) in ALLOWED:
        change = orders.update(order(current), {}, target, NOW)
        assert (change.after.status, change.after.version) == (target, 2)
    else:
        with pytest.raises(InvalidTransition) as refused:
            orders.update(order(current), {}, target, NOW)
        assert refused.value.field == "status"


def test_invoicing_stamps_the_time() -> None:
    after = orders.update(order(S.COMPLETED), {}, S.INVOICED, NOW).after
    assert after.invoiced_at == NOW


@pytest.mark.parametrize(
    "field,value", [("amount", Decimal("5")), ("description", "x"), ("customer", Customer(name="Z"))]
)
def test_quote_fields_change_in_quote_only(field: str, value: Any) -> None:
    assert getattr(orders.update(order(S.QUOTE), {field: value}, None, NOW).after, field) == value
    for status in set(S) - {S.QUOTE}:
        with pytest.raises(PoNotEditable) as refused:
            orders.update(order(status), {field: value}, None, NOW)
        assert refused.value.field == field


def test_a_field_sent_unchanged_is_no_change_even_after_the_quote() -> None:
    assert not orders.update(order(S.PROCESSING), {"amount": Decimal("100.00")}, None, NOW).changed


def test_editing_the_quote_and_accepting_it_at_once() -> None:
    after = orders.update(order(S.QUOTE), {"amount": Decimal("7")}, S.PROCESSING, NOW).after
    assert (after.amount, after.status, after.version) == (Decimal("7"), S.PROCESSING, 2)


# --- the customer PO -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(S))
def test_a_po_is_taken_only_while_processing_or_completed(status: OrderStatus) -> None:
    if status in (S.PROCESSING, S.COMPLETED):
        assert set_po(order(status), PoMode.NUMBER_ONLY, po_number="C-1").after.customer_po is not None
    else:
        with pytest.raises(InvalidTransition) as refused:
            set_po(order(status), PoMode.NUMBER_ONLY, po_number="C-1")
        assert refused.value.field == "status"


@pytest.mark.parametrize(
    "mode,fields,field",
    [
        (PoMode.NUMBER_ONLY, {}, "poNumber"),
        (PoMode.NUMBER_ONLY, {"po_number": "C", "document_id": "d" * 32}, "documentId"),
        (PoMode.NUMBER_ONLY, {"po_number": "C", "blanket_po_id": "b" * 32}, "blanketPoId"),
        (PoMode.FULL_UPLOAD, {"po_number": "C"}, "documentId"),
        (PoMode.FULL_UPLOAD, {"document_id": "d" * 32}, "poNumber"),
        (PoMode.FULL_UPLOAD, {"po_number": "C", "document_id": "d", "blanket_po_id": "b"}, "blanketPoId"),
        (PoMode.BLANKET, {"po_number": "BLK-1"}, "blanketPoId"),
        (PoMode.BLANKET, {"blanket_po_id": "b" * 32, "document_id": "d" * 32}, "documentId"),
    ],
)
def test_each_mode_names_what_it_needs_and_refuses_the_rest(
    mode: PoMode, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        set_po(order(), mode, **fields)
    assert refused.value.field == field


def test_full_upload_needs_an_accepted_document_of_the_order() -> None:
    fields = {"po_number": "C-1", "document_id": "d" * 32}
    with pytest.raises(InvalidRequest, match="no document"):
        set_po(order(), PoMode.FULL_UPLOAD, document=None, **fields)
    with pytest.raises(NotReady):
        set_po(order(), PoMode.FULL_UPLOAD, document=document("PENDING"), **fields)
    with pytest.raises(InvalidRequest, match="REJECTED"):
        set_po(order(), PoMode.FULL_UPLOAD, document=document("REJECTED", reason="not a PDF"), **fields)

    po = set_po(order(), PoMode.FULL_UPLOAD, document=document(), **fields).after.customer_po
    assert po is not None and (po.mode, po.po_number, po.document_id) == (PoMode.FULL_UPLOAD, "C-1", "d" * 32)


def test_blanket_takes_its_number_and_a_given_number_must_match_it() -> None:
    chosen = blanket()
    assert by_blanket(order(), chosen).after.customer_po.po_number == "BLK-1"  # type: ignore[union-attr]
    assert by_blanket(order(), chosen, po_number=" blk-1 ").after.customer_po.po_number == "BLK-1"  # type: ignore[union-attr]
    with pytest.raises(InvalidRequest) as refused:
        by_blanket(order(), chosen, po_number="OTHER")
    assert refused.value.field == "poNumber"
    with pytest.raises(InvalidRequest, match="no blanket PO"):
        set_po(order(), PoMode.BLANKET, blanket_po_id="b" * 32, blanket=None)


def test_blanket_currency_end_date_and_cap() -> None:
    with pytest.raises(InvalidRequest, match="EUR"):
        by_blanket(order(), blanket(currency="EUR"))
    assert by_blanket(order(), blanket(end=TODAY)).draw is not None  # the end date is still a day of use
    with pytest.raises(BlanketPoEnded, match="ended"):
        by_blanket(order(), blanket(end=date(2026, 2, 28)))
    assert by_blanket(order(amount="150"), blanket(cap="150")).draw is not None  # exactly the cap
    with pytest.raises(BlanketPoCapExceeded, match="50.00 of its cap"):
        by_blanket(order(), blanket(cap="150", consumed="100"))
    assert by_blanket(order(amount="999999"), blanket(cap=None)).draw is not None  # no cap


def test_replacing_a_blanket_releases_it_and_repeating_it_changes_nothing() -> None:
    first, second = blanket(id="1" * 32), blanket(id="2" * 32)
    drawing = by_blanket(order(), first).after
    assert not by_blanket(drawing, first).changed  # the same PUT again: no second draw

    switched = by_blanket(drawing, second)
    assert (switched.draw and switched.draw.blanket.id, switched.release) == (
        "2" * 32,
        orders.Release("1" * 32, Decimal("100.00")),
    )
    by_number = set_po(drawing, PoMode.NUMBER_ONLY, po_number="C-1")
    assert (by_number.draw, by_number.release) == (None, orders.Release("1" * 32, Decimal("100.00")))


def test_canceling_releases_what_it_drew() -> None:
    drawing = by_blanket(order(), blanket()).after
    assert orders.update(drawing, {}, S.CANCELED, NOW).release == orders.Release("b" * 32, Decimal("100.00"))
    assert orders.update(order(), {}, S.CANCELED, NOW).release is None


@settings(max_examples=200, deadline=None)
@given(
    cap=st.integers(min_value=1, max_value=500),
    amounts=st.lists(st.integers(min_value=0, max_value=200), min_size=1, max_size=4),
    steps=st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from(["blanket", "number", "cancel", "complete"]))
    ),
)
def test_a_blanket_never_exceeds_its_cap_and_consumed_is_what_its_orders_draw(
    cap: int, amounts: list[int], steps: list[tuple[int, str]]
) -> None:
    """Whatever orders do (draw, switch to a number, cancel, complete), the blanket's consumed
    amount is the sum of the live orders drawing on it, and never more than its cap."""
    state = {"consumed": Decimal(0)}
    book = [order(amount=str(amount), id=f"{n:032d}") for n, amount in enumerate(amounts)]
    for index, action in steps:
        if index >= len(book):
            continue
        current = blanket(cap=str(cap), consumed=str(state["consumed"]))
        try:
            if action == "blanket":
                change = by_blanket(book[index], current)
            elif action == "number":
                change = set_po(book[index], PoMode.NUMBER_ONLY, po_number="N-1")
            else:
                change = orders.update(
                    book[index], {}, S.CANCELED if action == "cancel" else S.COMPLETED, NOW
                )
        except (InvalidTransition, BlanketPoEnded, BlanketPoCapExceeded, InvalidRequest):
            continue
        state["consumed"] += (change.draw.amount if change.draw else 0) - (
            change.release.amount if change.release else 0
        )
        book[index] = change.after
        drawing = [
            o.amount
            for o in book
            if o.customer_po and o.customer_po.mode is PoMode.BLANKET and o.status is not S.CANCELED
        ]
        assert state["consumed"] == sum(drawing, Decimal(0))
        assert state["consumed"] <= cap


# --- partner uploads and the ingest's hook ---------------------------------------------------


def test_a_partner_upload_becomes_the_customer_po_while_the_order_takes_one() -> None:
    upload = document(source="PARTNER", po_number="PO-77", uploaded_by="partner:ap@initech.example")
    change = orders.partner_po(order(), upload, TODAY, NOW)
    assert change is not None
    po = change.after.customer_po
    assert po is not None
    assert (po.mode, po.po_number, po.document_id, po.source) == (
        PoMode.FULL_UPLOAD,
        "PO-77",
        "d" * 32,
        "PARTNER",
    )
    assert orders.partner_po(order(S.CANCELED), upload, TODAY, NOW) is None
    assert orders.partner_po(order(), document(), TODAY, NOW) is None  # a buyer's upload: no PO number


def test_a_partner_po_never_replaces_one_already_there() -> None:
    """Issue 10, point 9 (this test asserted a partner upload replaced a blanket PO before)."""
    drawing = by_blanket(order(), blanket()).after
    upload = document(source="PARTNER", po_number="PO-77")
    assert orders.partner_po(drawing, upload, TODAY, NOW) is None
    assert orders.partner_po_kept(drawing) == (
        f"kept as a document: the order already has customer PO BLK-1 (BLANKET); "
        f"the buyer decides with PUT /orders/{drawing.id}/po"
    )
    assert orders.partner_po_kept(order()) is None


# --- invoices --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.QUOTE, S.CANCELED])
def test_no_invoice_for_a_quote_or_a_canceled_order(status: OrderStatus) -> None:
    with pytest.raises(NotReady):
        orders.invoice(order(status), None)


def test_the_invoice_is_a_draft_until_invoiced_and_shows_the_po() -> None:
    drawing = by_blanket(order(S.COMPLETED), blanket()).after
    with_document = blanket().model_copy(update={"document_id": "e" * 32})
    ref = orders.invoice_document(drawing, with_document)
    assert ref == orders.DocumentRef("blanket", "b" * 32, "e" * 32)
    draft = orders.invoice(drawing, ref, ("https://s3/doc", "2026-03-01T10:05:00Z"))
    assert draft.draft and draft.issued_at is None
    assert draft.purchase_order is not None
    assert (draft.purchase_order.po_number, draft.purchase_order.mode) == ("BLK-1", PoMode.BLANKET)
    assert draft.purchase_order.document_url == "https://s3/doc"

    invoiced = orders.update(drawing, {}, S.INVOICED, NOW).after
    final = orders.invoice(invoiced, None)
    assert (final.draft, final.issued_at, final.amount) == (False, NOW, Decimal("100.00"))
    assert orders.invoice_document(invoiced, blanket()) is None  # a blanket without a document


# --- blanket POs, partner links and the page ---------------------------------------------------


def test_a_new_blanket_po_refuses_a_zero_cap_and_a_past_end_date() -> None:
    fields: dict[str, Any] = {
        "blanket_po_id": "b" * 32,
        "po_number": "BLK-1",
        "customer": Customer(name="Initech"),
        "currency": "USD",
        "today": TODAY,
        "created_by": "x",
        "now": NOW,
    }
    with pytest.raises(InvalidRequest) as refused:
        blanket_pos.new_blanket_po(cap=Decimal(0), end_date=None, **fields)
    assert refused.value.field == "cap"
    with pytest.raises(InvalidRequest) as refused:
        blanket_pos.new_blanket_po(cap=None, end_date=date(2026, 2, 28), **fields)
    assert refused.value.field == "endDate"
    made = blanket_pos.new_blanket_po(cap=Decimal(10), end_date=TODAY, **fields)
    assert (made.consumed, made.remaining) == (Decimal(0), Decimal(10))


def test_partner_links_carry_org_and_order_and_expire() -> None:
    claims = partner_links.PartnerClaims(org_id="acme", order_id="o" * 32)
    token, expires_at = partner_links.issue(claims, now=1000, days=7, secret=SECRET)
    assert expires_at == 1000 + 7 * 86400
    assert partner_links.open_link(token, now=expires_at, secret=SECRET) == claims
    with pytest.raises(partner_links.LinkExpired):
        partner_links.open_link(token, now=expires_at + 1, secret=SECRET)
    with pytest.raises(partner_links.LinkForged):
        partner_links.open_link(token, now=1000, secret=b"t" * 40)
    with pytest.raises(ValueError):
        partner_links.issue(claims, now=1000, days=31, secret=SECRET)


def test_a_genuine_token_of_another_purpose_or_shape_is_not_a_partner_link() -> None:
    other = signed_tokens.sign("supplier-pdf", {"org": "acme", "orderId": "o" * 32}, 2000, SECRET)
    with pytest.raises(partner_links.LinkForged):
        partner_links.open_link(other, now=1000, secret=SECRET)
    shapeless = signed_tokens.sign("partner", {"org": "acme"}, 2000, SECRET)
    with pytest.raises(partner_links.LinkForged):
        partner_links.open_link(shapeless, now=1000, secret=SECRET)


def test_the_upload_page_escapes_every_value_and_carries_the_nonce() -> None:
    hostile = order(customer=Customer(name='<script>alert("x")</script>'), number="SO-<b>")
    html = partner_page.upload_page(hostile, nonce="abc123")
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)" in html
    assert "SO-&lt;b&gt;" in html
    assert html.count('nonce="abc123"') == 2  # the style and the script, nothing else runs
    assert f'id="{partner_page.STATUS_ID}"' in html
    assert "location.pathname" in html and "/uploads" in html
    policy = partner_page.content_security_policy("abc123", "http://127.0.0.1:5000")
    assert "script-src 'nonce-abc123'" in policy and "connect-src 'self' http://127.0.0.1:5000" in policy
