"""The workflow endpoints, parts and inventory, through their handlers with the stream consumer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, Stream, claims, new_po_body


@pytest.fixture
def approved_po(api: Api, stream: Stream) -> dict[str, Any]:
    po = api("POST", "/pos", new_po_body(lines=2)).body
    api("POST", f"/pos/{po['id']}/submit")
    stream.drain()
    return dict(api("GET", f"/pos/{po['id']}").body)


def put_part(api: Api, part_id: str, purchase_type: str) -> None:
    reply = api("PUT", f"/parts/{part_id}", {"name": f"Part {part_id}", "purchaseType": purchase_type})
    assert reply.status in (200, 201), reply.body


def test_submit_answers_202_with_the_lines_in_review_and_cannot_repeat(api: Api) -> None:
    po = api("POST", "/pos", new_po_body()).body
    reply = api("POST", f"/pos/{po['id']}/submit", headers={"If-Match": '"1"'})
    assert (reply.status, reply.body["status"], reply.headers["ETag"]) == (202, "IN_REVIEW", '"2"')
    again = api("POST", f"/pos/{po['id']}/submit")
    assert again.status == 409
    assert "no DRAFT line" in again.body["detail"]
    assert api("PATCH", f"/pos/{po['id']}/lines/00001", {"quantity": "3"}).status == 409


def test_each_refusal_has_a_problem_type_that_says_what_happened(api: Api) -> None:
    po = api("POST", "/pos", new_po_body()).body
    path = f"/pos/{po['id']}"
    stale = api("PATCH", f"{path}/lines/00001", {"quantity": "3"}, headers={"If-Match": '"9"'})
    unapproved = api("POST", f"{path}/order")
    api("POST", f"{path}/submit")
    submitted_again = api("POST", f"{path}/submit")
    edited_in_review = api("PATCH", f"{path}/lines/00001", {"quantity": "3"})
    missing = api("GET", "/pos/00000000-0000-4000-8000-000000000000")

    assert (stale.status, stale.body["type"]) == (412, "/problems/version-mismatch")
    assert (unapproved.status, unapproved.body["type"]) == (409, "/problems/invalid-transition")
    assert (submitted_again.status, submitted_again.body["type"]) == (409, "/problems/invalid-transition")
    assert unapproved.body["title"] == "Not allowed in this status"
    assert (edited_in_review.status, edited_in_review.body["type"]) == (409, "/problems/not-editable")
    assert (missing.status, missing.body["type"]) == (404, "/problems/not-found")


def test_an_unapproved_po_cannot_be_ordered(api: Api) -> None:
    po = api("POST", "/pos", new_po_body()).body
    reply = api("POST", f"/pos/{po['id']}/order")
    assert reply.status == 409
    assert reply.body["detail"] == "only an APPROVED PO can be ordered; it is DRAFT"


def test_receipts_add_up_and_over_receiving_is_refused(api: Api, approved_po: dict[str, Any]) -> None:
    path = f"/pos/{approved_po['id']}"
    assert api("POST", f"{path}/lines/00001/receipts", {"quantity": "1"}).status == 409  # not ordered yet
    assert api("POST", f"{path}/order").body["status"] == "ORDERED"

    first = api("POST", f"{path}/lines/00001/receipts", {"quantity": "4"})
    assert (first.status, first.body["receivedQuantity"], first.body["status"]) == (201, "4", "ORDERED")
    over = api("POST", f"{path}/lines/00001/receipts", {"quantity": "7"})
    assert (over.status, over.body["detail"]) == (409, "line 00001 has only 6 left to receive")
    assert over.body["type"] == "/problems/over-receipt"  # says what happened, not "not editable"
    assert api("POST", f"{path}/lines/00001/receipts", {"quantity": "0"}).status == 422
    rest = api("POST", f"{path}/lines/00001/receipts", {"quantity": "6"})
    assert (rest.body["receivedQuantity"], rest.body["status"]) == ("10", "RECEIVED")
    assert api("GET", path).body["status"] == "ORDERED"  # partly received stays ordered


def test_cancel_a_line_then_the_po(api: Api, approved_po: dict[str, Any]) -> None:
    path = f"/pos/{approved_po['id']}"
    line = api("POST", f"{path}/lines/00002/cancel")
    assert (line.status, line.body["status"]) == (200, "CANCELED")
    assert api("GET", path).body["totals"]["subtotal"] == "12.50"
    assert api("POST", f"{path}/cancel").body["status"] == "CANCELED"
    assert api("POST", f"{path}/cancel").status == 409
    assert api("POST", f"{path}/lines/00001/cancel").status == 409


def test_revise_brings_the_po_back_to_draft_for_changes(api: Api, approved_po: dict[str, Any]) -> None:
    path = f"/pos/{approved_po['id']}"
    api("POST", f"{path}/order")
    revised = api("POST", f"{path}/revise")
    assert (revised.status, revised.body["status"]) == (200, "DRAFT")
    assert api("PATCH", f"{path}/lines/00001", {"quantity": "12"}).status == 200
    assert api("POST", f"/pos/{'0' * 32}/revise").status == 404


def test_only_buyers_and_admins_move_a_po(api: Api) -> None:
    po = api("POST", "/pos", new_po_body()).body
    api.caller = claims(role="approver")
    assert api("POST", f"/pos/{po['id']}/submit").status == 403
    assert api("GET", f"/pos/{po['id']}/history").status == 200
    api.caller = claims(org="globex")
    assert api("GET", f"/pos/{po['id']}/history").status == 404


def test_history_tells_who_changed_what(api: Api) -> None:
    po = api("POST", "/pos", new_po_body()).body
    api("PATCH", f"/pos/{po['id']}/lines/00001", {"quantity": "12"})
    api("PATCH", f"/pos/{po['id']}", {"currency": "EUR"})
    events = api("GET", f"/pos/{po['id']}/history").body["items"]
    assert [event["type"] for event in events] == ["created", "line-updated", "updated"]
    assert events[1]["data"] == {
        "lineId": "00001",
        "changes": {"quantity": ["10", "12"], "amount": ["12.50", "15.00"]},
    }
    assert events[2]["summary"] == "PO updated: currency USD -> EUR"
    assert {event["actor"] for event in events} == {"buyer@acme.example.com"}


# --- parts and inventory -----------------------------------------------------------------------


def test_a_part_is_created_then_replaced(api: Api) -> None:
    created = api("PUT", "/parts/BOLT-M8", {"name": "Bolt", "purchaseType": "CREATES_INVENTORY"})
    replaced = api("PUT", "/parts/BOLT-M8", {"name": "Bolt M8", "purchaseType": "PHYSICAL_NO_INVENTORY"})
    assert (created.status, replaced.status) == (201, 200)
    assert api("GET", "/parts/BOLT-M8").body["purchaseType"] == "PHYSICAL_NO_INVENTORY"
    assert api("GET", "/parts/NOPE/inventory").status == 404
    api.caller = claims(org="globex")
    assert api("GET", "/parts/BOLT-M8").status == 404


def test_a_line_takes_its_parts_purchase_type_and_an_unknown_part_is_refused(api: Api) -> None:
    put_part(api, "LICENSE", "DIGITAL_NO_INVENTORY")
    lines = [{"partId": "LICENSE", "description": "CAD seat", "quantity": "1", "unitCost": "900"}]
    po = api("POST", "/pos", new_po_body(lines=0) | {"lines": lines}).body
    assert po["lines"][0]["purchaseType"] == "DIGITAL_NO_INVENTORY"
    no_part = api(
        "POST", f"/pos/{po['id']}/lines", {"description": "Courier", "quantity": "1", "unitCost": "20"}
    )
    assert no_part.body["purchaseType"] == "PHYSICAL_NO_INVENTORY"

    unknown = api("POST", "/pos", new_po_body(lines=0) | {"lines": [{**lines[0], "partId": "GHOST"}]})
    assert unknown.status == 422
    assert unknown.body["errors"][0]["field"] == "lines[0].partId"
    assert api("PATCH", f"/pos/{po['id']}/lines/00002", {"partId": "GHOST"}).status == 422


def test_receiving_a_stocked_part_moves_its_lot_from_order_into_stock(api: Api, stream: Stream) -> None:
    put_part(api, "BOLT-M8", "CREATES_INVENTORY")
    put_part(api, "ANODIZE", "PHYSICAL_NO_INVENTORY")
    lines = [
        {"partId": "BOLT-M8", "description": "Bolts", "quantity": "10", "unitCost": "0.35"},
        {"partId": "ANODIZE", "description": "Anodizing", "quantity": "1", "unitCost": "80"},
    ]
    po = api("POST", "/pos", new_po_body(lines=0) | {"lines": lines}).body
    path = f"/pos/{po['id']}"
    api("POST", f"{path}/submit")
    stream.drain()
    assert api("GET", "/parts/BOLT-M8/inventory").body["lots"] == []

    api("POST", f"{path}/order")
    stream.drain()
    stock = api("GET", "/parts/BOLT-M8/inventory").body
    assert (stock["onOrderQuantity"], stock["inStockQuantity"], stock["lots"][0]["status"]) == (
        "10",
        "0",
        "ON_ORDER",
    )

    api("POST", f"{path}/lines/00001/receipts", {"quantity": "4"})
    records = stream.records()
    stream.deliver(records)
    stream.deliver(records)  # delivered twice: the lot holds absolute quantities
    lot = api("GET", "/parts/BOLT-M8/inventory").body["lots"][0]
    assert (lot["status"], lot["onOrderQuantity"], lot["inStockQuantity"]) == ("PARTIALLY_RECEIVED", "6", "4")
    assert lot["poNumber"] == po["number"]

    api("POST", f"{path}/lines/00001/receipts", {"quantity": "6"})
    stream.drain()
    stock = api("GET", "/parts/BOLT-M8/inventory").body
    assert (stock["onOrderQuantity"], stock["inStockQuantity"], stock["lots"][0]["status"]) == (
        "0",
        "10",
        "IN_STOCK",
    )
    assert api("GET", "/parts/ANODIZE/inventory").body["lots"] == []


def test_a_revised_order_takes_its_lot_off_order(api: Api, stream: Stream) -> None:
    put_part(api, "BOLT-M8", "CREATES_INVENTORY")
    lines = [{"partId": "BOLT-M8", "description": "Bolts", "quantity": "10", "unitCost": "0.35"}]
    po = api("POST", "/pos", new_po_body(lines=0) | {"lines": lines}).body
    for step in ("submit", "order", "revise"):
        api("POST", f"/pos/{po['id']}/{step}")
        stream.drain()
    assert api("GET", "/parts/BOLT-M8/inventory").body["onOrderQuantity"] == "0"


def test_a_body_over_one_megabyte_is_a_413(api: Api) -> None:
    reply = api("POST", "/pos", raw_body='{"x": "' + "a" * 1_000_001 + '"}')
    assert reply.status == 413
    assert reply.headers["Content-Type"] == "application/problem+json"
