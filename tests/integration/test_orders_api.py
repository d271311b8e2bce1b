"""Customer orders, their customer POs, blanket POs, invoices and partner links through the real
handlers, with API Gateway events, on moto."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local import template
from local.lambda_events import LambdaContext, api_event
from purchasing.data import documents_repository, orders_repository
from purchasing.domain import orders, partner_links, signed_tokens
from purchasing.domain.caller import Principal
from purchasing.domain.documents import DocumentKey, OwnerKind
from purchasing.domain.errors import BlanketPoCapExceeded
from purchasing.domain.inputs.orders import SetPoRequest
from purchasing.domain.model import Document, utc_now
from purchasing.domain.orders import PoMode
from purchasing.services import order_service, users_service
from tests.conftest import LINK_SECRET, Api, Reply, claims

ORG = "acme"
PDF = {"fileName": "po.pdf", "contentType": "application/pdf", "size": 1234}
STATUS_PATH = {
    "QUOTE": [],
    "PROCESSING": ["PROCESSING"],
    "COMPLETED": ["PROCESSING", "COMPLETED"],
    "INVOICED": ["PROCESSING", "COMPLETED", "INVOICED"],
    "CANCELED": ["CANCELED"],
}


@pytest.fixture(autouse=True)
def customer_pos_enabled(aws: None) -> None:
    """The orgs of these tests have customer POs switched on in the registry (as `make org` does)."""
    for org in (ORG, "globex"):
        users_service.register_org(org, f"{org} inc.", customer_pos=True)


def new_order(api: Api, status: str = "PROCESSING", amount: str = "100.00", **body: Any) -> dict[str, Any]:
    reply = api(
        "POST", "/orders", {"customer": {"name": "Initech"}, "amount": amount, "currency": "USD"} | body
    )
    assert reply.status == 201, reply.body
    order = reply.body
    for step in STATUS_PATH[status]:
        moved = api("PATCH", f"/orders/{order['id']}", {"status": step})
        assert moved.status == 200, moved.body
        order = moved.body
    return order


def new_blanket(api: Api, **body: Any) -> dict[str, Any]:
    base = {"poNumber": "BLK-1", "customer": {"name": "Initech"}, "currency": "USD"}
    reply = api("POST", "/blanket-pos", base | body)
    assert reply.status == 201, reply.body
    return reply.body


def put_po(api: Api, order: dict[str, Any], **body: Any) -> Reply:
    return api("PUT", f"/orders/{order['id']}/po", body)


def draw(api: Api, order: dict[str, Any], blanket: dict[str, Any]) -> Reply:
    return put_po(api, order, mode="BLANKET", blanketPoId=blanket["id"])


def blanket_of(api: Api, blanket: dict[str, Any]) -> dict[str, Any]:
    reply = api("GET", f"/blanket-pos/{blanket['id']}")
    assert reply.status == 200
    return reply.body


def upload(api: Api, path: str) -> str:
    reply = api("POST", path, PDF)
    assert reply.status == 201, reply.body
    return str(reply.body["documentId"])


def accept(kind: OwnerKind, owner_id: str, document_id: str, org: str = ORG) -> DocumentKey:
    """What the ingest does once the content checked out."""
    key = DocumentKey(org, kind, owner_id, document_id)
    item = documents_repository.get_item(key)
    assert item is not None
    assert documents_repository.mark_accepted(item, version_id=None, received_size=1234, now=utc_now())
    return key


def document_of(key: DocumentKey) -> Document:
    item = documents_repository.get_item(key)
    assert item is not None
    return documents_repository.to_domain(item)


def accepted_upload(api: Api, order: dict[str, Any]) -> str:
    document_id = upload(api, f"/orders/{order['id']}/documents")
    accept(OwnerKind.ORDER, order["id"], document_id)
    return document_id


# --- orders --------------------------------------------------------------------------------------


def test_an_order_starts_as_a_quote_with_an_allocated_number(api: Api) -> None:
    reply = api("POST", "/orders", {"customer": {"name": "Initech"}, "amount": "12.5", "currency": "USD"})

    assert reply.status == 201
    assert (reply.headers["ETag"], reply.headers["Location"]) == ('"1"', f"/orders/{reply.body['id']}")
    assert (reply.body["number"], reply.body["status"], reply.body["amount"]) == (
        "SO-000001",
        "QUOTE",
        "12.50",
    )
    assert new_order(api, "QUOTE")["number"] == "SO-000002"
    assert api("GET", f"/orders/{reply.body['id']}").body == reply.body


def test_a_client_chosen_order_number_is_unique_in_its_org(api: Api) -> None:
    new_order(api, number="SO-CUSTOM")

    again = api(
        "POST",
        "/orders",
        {"customer": {"name": "X"}, "amount": "1", "currency": "USD", "number": "so-custom"},
    )

    assert (again.status, again.body["errors"][0]["field"]) == (409, "number")
    api.caller = claims(org="globex")
    assert new_order(api, number="SO-CUSTOM")["number"] == "SO-CUSTOM"


def test_another_orgs_order_and_blanket_are_not_found(api: Api) -> None:
    order, blanket = new_order(api), new_blanket(api)
    api.caller = claims(org="globex")

    assert api("GET", f"/orders/{order['id']}").status == 404
    assert api("GET", f"/blanket-pos/{blanket['id']}").status == 404
    assert draw(api, new_order(api), blanket).status == 422  # no such blanket PO in this org


def test_orders_list_newest_first_by_status_with_a_cursor(api: Api) -> None:
    first, second, third = (new_order(api, "QUOTE") for _ in range(3))
    api("PATCH", f"/orders/{second['id']}", {"status": "PROCESSING"})

    page = api("GET", "/orders", query={"limit": "2"}).body
    rest = api("GET", "/orders", query={"limit": "2", "cursor": page["nextCursor"]}).body
    processing = api("GET", "/orders", query={"status": "PROCESSING"}).body

    assert [o["id"] for o in page["items"] + rest["items"]] == [third["id"], second["id"], first["id"]]
    assert rest["nextCursor"] is None
    assert [o["id"] for o in processing["items"]] == [second["id"]]
    wrong = api("GET", "/orders", query={"status": "QUOTE", "cursor": page["nextCursor"]})
    assert (wrong.status, wrong.body["type"]) == (400, "/problems/invalid-cursor")


def test_fields_change_only_in_quote_and_status_moves_only_along_the_rules(api: Api) -> None:
    order = new_order(api, "QUOTE")
    edited = api("PATCH", f"/orders/{order['id']}", {"amount": "80", "description": "Two pumps"})
    assert (edited.status, edited.body["amount"], edited.body["version"]) == (200, "80.00", 2)

    api("PATCH", f"/orders/{order['id']}", {"status": "PROCESSING"})
    late = api("PATCH", f"/orders/{order['id']}", {"amount": "90"})
    back = api("PATCH", f"/orders/{order['id']}", {"status": "QUOTE"})

    assert (late.status, late.body["errors"][0]["field"]) == (409, "amount")
    assert (back.status, back.body["errors"][0]["field"]) == (409, "status")
    invoiced = new_order(api, "INVOICED")
    assert invoiced["invoicedAt"] is not None
    assert api("PATCH", f"/orders/{invoiced['id']}", {"status": "CANCELED"}).status == 409


def test_if_match_guards_order_changes(api: Api) -> None:
    order = new_order(api, "QUOTE")

    stale = api("PATCH", f"/orders/{order['id']}", {"status": "PROCESSING"}, headers={"If-Match": '"7"'})
    fresh = api("PATCH", f"/orders/{order['id']}", {"status": "PROCESSING"}, headers={"If-Match": '"1"'})
    bad = api(
        "PUT",
        f"/orders/{order['id']}/po",
        {"mode": "NUMBER_ONLY", "poNumber": "C"},
        headers={"If-Match": "x"},
    )

    assert (stale.status, fresh.status, fresh.headers["ETag"], bad.status) == (412, 200, '"2"', 400)


def test_an_approver_reads_orders_but_cannot_change_them(api: Api) -> None:
    order = new_order(api)
    api.caller = claims(role="approver")

    assert api("GET", f"/orders/{order['id']}").status == 200
    assert api("PATCH", f"/orders/{order['id']}", {"status": "COMPLETED"}).status == 403
    assert put_po(api, order, mode="NUMBER_ONLY", poNumber="C-1").status == 403
    assert (
        api("POST", "/blanket-pos", {"poNumber": "B", "customer": {"name": "I"}, "currency": "USD"}).status
        == 403
    )


# --- the customer PO in every status and mode ----------------------------------------------------


@pytest.mark.parametrize("status", list(STATUS_PATH))
def test_only_a_processing_or_completed_order_takes_a_po(api: Api, status: str) -> None:
    order, blanket = new_order(api, status), new_blanket(api)
    document_id = "0" * 32  # a canceled order takes no uploads (issue 10): its attempt names none
    if status != "CANCELED":
        document_id = upload(api, f"/orders/{order['id']}/documents")
        accept(OwnerKind.ORDER, order["id"], document_id)
    attempts = [
        {"mode": "NUMBER_ONLY", "poNumber": "C-1"},
        {"mode": "FULL_UPLOAD", "poNumber": "C-2", "documentId": document_id},
        {"mode": "BLANKET", "blanketPoId": blanket["id"]},
    ]

    replies = [put_po(api, order, **body) for body in attempts]

    if status in ("PROCESSING", "COMPLETED"):
        assert [reply.status for reply in replies] == [200, 200, 200]
        assert replies[-1].body["customerPo"]["mode"] == "BLANKET"
    else:
        assert [reply.status for reply in replies] == [409, 409, 409]
        assert all(
            reply.body["errors"] == [{"field": "status", "message": reply.body["detail"]}]
            for reply in replies
        )
        assert api("GET", f"/orders/{order['id']}").body["customerPo"] is None
        assert blanket_of(api, blanket)["consumed"] == "0.00"


def test_number_only(api: Api) -> None:
    order = new_order(api)

    reply = put_po(api, order, mode="NUMBER_ONLY", poNumber="INI-7781")

    po = reply.body["customerPo"]
    assert (reply.status, po["mode"], po["poNumber"], po["documentId"], po["source"]) == (
        200,
        "NUMBER_ONLY",
        "INI-7781",
        None,
        "BUYER",
    )
    assert put_po(api, order, mode="NUMBER_ONLY").body["errors"][0]["field"] == "poNumber"
    assert put_po(api, order, mode="NUMBER_ONLY", poNumber="bad number!").status == 422


def test_full_upload_takes_an_accepted_document_of_this_order_only(api: Api) -> None:
    order, other = new_order(api), new_order(api)
    pending = upload(api, f"/orders/{order['id']}/documents")
    elsewhere = accepted_upload(api, other)

    not_yet = put_po(api, order, mode="FULL_UPLOAD", poNumber="C-1", documentId=pending)
    unknown = put_po(api, order, mode="FULL_UPLOAD", poNumber="C-1", documentId=elsewhere)
    accept(OwnerKind.ORDER, order["id"], pending)
    done = put_po(api, order, mode="FULL_UPLOAD", poNumber="C-1", documentId=pending)

    assert (not_yet.status, not_yet.body["errors"][0]["field"]) == (409, "documentId")
    assert (unknown.status, unknown.body["errors"][0]["field"]) == (422, "documentId")
    assert done.status == 200
    assert (done.body["customerPo"]["mode"], done.body["customerPo"]["documentId"]) == (
        "FULL_UPLOAD",
        pending,
    )
    assert [(d["id"], d["status"]) for d in done.body["documents"]] == [(pending, "ACCEPTED")]


def test_a_rejected_document_is_refused(api: Api) -> None:
    order = new_order(api)
    document_id = upload(api, f"/orders/{order['id']}/documents")
    item = documents_repository.get_item(DocumentKey(ORG, OwnerKind.ORDER, order["id"], document_id))
    assert item is not None and documents_repository.mark_rejected(item, reason="not a PDF", now=utc_now())

    reply = put_po(api, order, mode="FULL_UPLOAD", poNumber="C-1", documentId=document_id)

    assert (reply.status, reply.body["errors"][0]["field"]) == (422, "documentId")
    assert "not a PDF" in reply.body["detail"]


def test_a_blanket_po_is_reused_across_orders(api: Api) -> None:
    blanket = new_blanket(api, cap="1000")
    first, second = new_order(api, amount="100"), new_order(api, "COMPLETED", amount="250")

    replies = [
        draw(api, first, blanket),
        put_po(api, second, mode="BLANKET", blanketPoId=blanket["id"], poNumber="blk-1"),
    ]

    assert [reply.status for reply in replies] == [200, 200]
    assert {reply.body["customerPo"]["poNumber"] for reply in replies} == {"BLK-1"}
    read = blanket_of(api, blanket)
    assert (read["consumed"], read["remaining"]) == ("350.00", "650.00")
    assert sorted((use["orderNumber"], use["amount"]) for use in read["orders"]) == [
        (first["number"], "100.00"),
        (second["number"], "250.00"),
    ]
    listed = api("GET", "/blanket-pos").body["items"]
    assert [(b["id"], b["consumed"]) for b in listed] == [(blanket["id"], "350.00")]


def test_blanket_number_and_currency_must_match(api: Api) -> None:
    blanket = new_blanket(api)
    order, euros = new_order(api), new_order(api, currency="EUR")

    wrong_number = put_po(api, order, mode="BLANKET", blanketPoId=blanket["id"], poNumber="OTHER")
    wrong_currency = draw(api, euros, blanket)
    with_document = put_po(api, order, mode="BLANKET", blanketPoId=blanket["id"], documentId="d" * 32)

    assert (wrong_number.status, wrong_number.body["errors"][0]["field"]) == (422, "poNumber")
    assert (wrong_currency.status, wrong_currency.body["errors"][0]["field"]) == (422, "blanketPoId")
    assert (with_document.status, with_document.body["errors"][0]["field"]) == (422, "documentId")
    assert blanket_of(api, blanket)["consumed"] == "0.00"


def test_the_cap_is_enforced(api: Api) -> None:
    blanket = new_blanket(api, cap="150")
    first, second, small = new_order(api), new_order(api), new_order(api, amount="50")

    assert draw(api, first, blanket).status == 200
    over = draw(api, second, blanket)
    assert (over.status, over.body["errors"][0]["field"]) == (409, "blanketPoId")
    assert "50.00 of its cap 150.00" in over.body["detail"]
    assert draw(api, small, blanket).status == 200  # exactly up to the cap
    read = blanket_of(api, blanket)
    assert (read["consumed"], read["remaining"], len(read["orders"])) == ("150.00", "0.00", 2)
    assert api("GET", f"/orders/{second['id']}").body["customerPo"] is None


def test_repeating_the_same_blanket_draws_once(api: Api) -> None:
    blanket, order = new_blanket(api, cap="150"), new_order(api)
    first = draw(api, order, blanket)

    again = draw(api, order, blanket)

    assert (again.status, again.body["version"]) == (200, first.body["version"])
    assert blanket_of(api, blanket)["consumed"] == "100.00"


def test_a_stale_read_cannot_exceed_the_cap(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first writer reads the blanket PO, then the other order takes the cap; the first
    writer's own check passed on what it read, and DynamoDB's condition still refuses it."""
    blanket = new_blanket(api, cap="150")
    slow, fast = new_order(api), new_order(api)
    real, other = orders_repository.get_blanket_summary, list[Reply]()

    def read_then_let_the_other_order_in(*args: Any) -> Any:
        read = real(*args)
        if not other:
            monkeypatch.setattr(orders_repository, "get_blanket_summary", real)
            other.append(draw(api, fast, blanket))
        return read

    monkeypatch.setattr(orders_repository, "get_blanket_summary", read_then_let_the_other_order_in)
    writes = count_calls(monkeypatch, orders_repository, "save_order")

    reply = draw(api, slow, blanket)

    assert (other[0].status, reply.status) == (200, 409)
    assert writes() == 2  # the fast order's, and the slow order's stale one, which DynamoDB refused
    read = blanket_of(api, blanket)
    assert (read["consumed"], [use["orderId"] for use in read["orders"]]) == ("100.00", [fast["id"]])


def test_two_orders_racing_for_the_last_of_a_cap_never_both_get_it(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    blanket = new_blanket(api, cap="150")
    racers = [new_order(api), new_order(api)]
    both_read = threading.Barrier(2, timeout=10)
    waited: set[int] = set()
    real = orders_repository.get_blanket_summary

    def read_together(*args: Any) -> Any:
        read = real(*args)
        if threading.get_ident() not in waited:  # only the first read of each racer waits
            waited.add(threading.get_ident())
            both_read.wait()
        return read

    monkeypatch.setattr(orders_repository, "get_blanket_summary", read_together)
    principal = Principal(org_id=ORG, user_id="u", email="buyer@acme.example", roles=frozenset({"buyer"}))
    request = SetPoRequest(mode=PoMode.BLANKET, blanket_po_id=blanket["id"])

    def attach(order: dict[str, Any]) -> str:
        try:
            order_service.set_po(principal, order["id"], request, None)
            return "attached"
        except BlanketPoCapExceeded:
            return "refused"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(attach, racers))

    assert outcomes == ["attached", "refused"]
    read = blanket_of(api, blanket)
    assert (read["consumed"], len(read["orders"])) == ("100.00", 1)


def test_the_end_date_is_enforced_in_utc(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    today = order_service.today()
    past = api(
        "POST",
        "/blanket-pos",
        {
            "poNumber": "B",
            "customer": {"name": "I"},
            "currency": "USD",
            "endDate": str(today - timedelta(days=1)),
        },
    )
    assert (past.status, past.body["errors"][0]["field"]) == (422, "endDate")
    blanket = new_blanket(api, endDate=str(today))
    first, second = new_order(api), new_order(api)

    assert draw(api, first, blanket).status == 200  # its last day
    monkeypatch.setattr(order_service, "today", lambda: today + timedelta(days=1))
    late = draw(api, second, blanket)

    assert (late.status, late.body["errors"][0]["field"]) == (409, "blanketPoId")
    assert "ended" in late.body["detail"]


def test_dynamodb_refuses_a_draw_past_the_end_date_or_cap_whatever_was_read(api: Api) -> None:
    """The table's conditions, without the domain's checks in front of them."""
    end = order_service.today() + timedelta(days=30)
    blanket = orders_repository.get_blanket_summary(ORG, new_blanket(api, cap="150", endDate=str(end))["id"])
    assert blanket is not None
    order = new_order(api)
    stored = orders_repository.get_order(ORG, order["id"])
    assert stored is not None
    change = orders.set_po(
        stored.order, mode=PoMode.BLANKET, po_number=None, document_id=None, blanket_po_id=blanket.id,
        document=None, blanket=blanket, today=end, attached_by="b", now=utc_now(),
    )  # fmt: skip

    with pytest.raises(orders_repository.BlanketRefused):
        orders_repository.save_order(ORG, stored, change, today=end + timedelta(days=1))
    taken = orders.Draw(blanket.model_copy(update={"cap": blanket.cap}), amount=change.after.amount)
    orders_repository.save_order(ORG, stored, change, today=end)  # within both: written
    again = orders_repository.get_order(ORG, new_order(api)["id"])
    assert again is not None
    over = orders.OrderChange(again.order, again.order.model_copy(update={"version": 2}), draw=taken)
    with pytest.raises(orders_repository.BlanketRefused):  # 100 + 100 > 150
        orders_repository.save_order(ORG, again, over, today=end)


def test_canceling_an_order_releases_what_it_drew(api: Api) -> None:
    blanket = new_blanket(api, cap="150")
    order, next_one = new_order(api), new_order(api)
    draw(api, order, blanket)

    canceled = api("PATCH", f"/orders/{order['id']}", {"status": "CANCELED"})

    assert canceled.status == 200
    read = blanket_of(api, blanket)
    assert (read["consumed"], read["orders"]) == ("0.00", [])
    assert draw(api, next_one, blanket).status == 200  # the cap is free again


def test_replacing_a_blanket_po_releases_it(api: Api) -> None:
    first, second = new_blanket(api, cap="150"), new_blanket(api, poNumber="BLK-2", cap="150")
    order = new_order(api)
    draw(api, order, first)

    switched = draw(api, order, second)
    assert (blanket_of(api, first)["consumed"], blanket_of(api, second)["consumed"]) == ("0.00", "100.00")
    by_number = put_po(api, order, mode="NUMBER_ONLY", poNumber="C-9")

    assert (switched.status, by_number.status) == (200, 200)
    assert (blanket_of(api, second)["consumed"], blanket_of(api, second)["orders"]) == ("0.00", [])


def test_blanket_po_validation(api: Api) -> None:
    base = {"poNumber": "B", "customer": {"name": "I"}, "currency": "USD"}
    assert api("POST", "/blanket-pos", base | {"cap": "0"}).body["errors"][0]["field"] == "cap"
    assert api("POST", "/blanket-pos", base | {"cap": "-5"}).status == 422
    assert api("POST", "/blanket-pos", base | {"currency": "usd"}).status == 422
    assert api("GET", "/blanket-pos/" + "0" * 32).status == 404


# --- documents, invoices -----------------------------------------------------------------------


def test_order_documents_download_only_once_accepted(api: Api) -> None:
    order = new_order(api, "QUOTE")
    document_id = upload(api, f"/orders/{order['id']}/documents")
    path = f"/orders/{order['id']}/documents/{document_id}"

    pending = api("GET", path)
    accept(OwnerKind.ORDER, order["id"], document_id)
    ready = api("GET", path)

    assert pending.status == 409
    assert ready.status == 200 and f"uploads/{ORG}/order/{order['id']}/{document_id}" in ready.body["url"]
    assert api("GET", f"/orders/{order['id']}/documents/{'0' * 32}").status == 404
    too_big = api("POST", f"/orders/{order['id']}/documents", PDF | {"size": 11 * 1024 * 1024})
    wrong_type = api("POST", f"/orders/{order['id']}/documents", PDF | {"contentType": "text/html"})
    assert (too_big.status, wrong_type.status) == (413, 422)


@pytest.mark.parametrize("status", ["QUOTE", "CANCELED"])
def test_no_invoice_for_a_quote_or_a_canceled_order(api: Api, status: str) -> None:
    reply = api("GET", f"/orders/{new_order(api, status)['id']}/invoice")
    assert (reply.status, reply.body["errors"][0]["field"]) == (409, "status")


def test_invoice_without_a_po_and_with_a_number(api: Api) -> None:
    order = new_order(api, description="Pump overhaul")
    bare = api("GET", f"/orders/{order['id']}/invoice").body
    put_po(api, order, mode="NUMBER_ONLY", poNumber="INI-1")
    api("PATCH", f"/orders/{order['id']}", {"status": "COMPLETED"})
    api("PATCH", f"/orders/{order['id']}", {"status": "INVOICED"})
    final = api("GET", f"/orders/{order['id']}/invoice").body

    assert (bare["draft"], bare["purchaseOrder"], bare["lines"]) == (
        True,
        None,
        [{"description": "Pump overhaul", "amount": "100.00"}],
    )
    assert (final["draft"], final["status"], final["issuedAt"] is not None) == (False, "INVOICED", True)
    assert final["purchaseOrder"] == {
        "poNumber": "INI-1",
        "mode": "NUMBER_ONLY",
        "blanketPoId": None,
        "documentId": None,
        "documentUrl": None,
        "documentUrlExpiresAt": None,
    }


def test_invoice_of_a_full_upload_links_the_document(api: Api) -> None:
    order = new_order(api)
    document_id = accepted_upload(api, order)
    put_po(api, order, mode="FULL_UPLOAD", poNumber="INI-2", documentId=document_id)

    po = api("GET", f"/orders/{order['id']}/invoice").body["purchaseOrder"]

    assert (po["poNumber"], po["mode"], po["documentId"]) == ("INI-2", "FULL_UPLOAD", document_id)
    assert f"uploads/{ORG}/order/{order['id']}/{document_id}" in po["documentUrl"]
    assert "Signature" in po["documentUrl"] and po["documentUrlExpiresAt"]


def test_invoice_of_a_blanket_links_the_blankets_document_once_it_has_one(api: Api) -> None:
    blanket, order = new_blanket(api), new_order(api)
    draw(api, order, blanket)
    without = api("GET", f"/orders/{order['id']}/invoice").body["purchaseOrder"]
    document_id = upload(api, f"/blanket-pos/{blanket['id']}/documents")
    key = accept(OwnerKind.BLANKET, blanket["id"], document_id)
    order_service.on_document_accepted(key, document_of(key))

    po = api("GET", f"/orders/{order['id']}/invoice").body["purchaseOrder"]

    assert (without["mode"], without["blanketPoId"], without["documentUrl"]) == (
        "BLANKET",
        blanket["id"],
        None,
    )
    assert (po["poNumber"], po["documentId"]) == ("BLK-1", document_id)
    assert f"uploads/{ORG}/blanket/{blanket['id']}/{document_id}" in po["documentUrl"]
    assert blanket_of(api, blanket)["documentId"] == document_id


# --- partners --------------------------------------------------------------------------------------


def partner_link(api: Api, order: dict[str, Any], **body: Any) -> Reply:
    return api("POST", f"/orders/{order['id']}/partner-links", body or None)


def test_a_partner_link_opens_the_upload_page(api: Api) -> None:
    order = new_order(api, customer={"name": "<img src=x onerror=alert(1)>"})
    link = partner_link(api, order)

    page = api("GET", f"/partner/{link.body['token']}", caller=None)

    assert link.status == 201
    assert link.body["url"] == f"https://api.example.com/test/partner/{link.body['token']}"
    assert (page.status, page.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert order["number"] in page.body and "<img src=x" not in page.body and "&lt;img src=x" in page.body
    assert "script-src 'nonce-" in page.headers["Content-Security-Policy"]
    assert "https://*.amazonaws.com" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_a_partner_link_lasts_seven_days_unless_asked(api: Api) -> None:
    order = new_order(api)
    for body, days in (({}, 7), ({"expiresInDays": 30}, 30), ({"expiresInDays": 1}, 1)):
        link = partner_link(api, order, **body).body
        payload = json.loads(signed_tokens.decode(link["token"].split(".")[0]))
        assert signed_tokens.verify("partner", link["token"], LINK_SECRET.encode(), now=0) == {
            "org": ORG,
            "orderId": order["id"],
        }
        assert abs(payload["exp"] - time.time() - days * 86400) < 60
        assert link["expiresAt"] == datetime.fromtimestamp(payload["exp"], UTC).isoformat().replace(
            "+00:00", "Z"
        )
    assert partner_link(api, order, expiresInDays=31).status == 422
    assert partner_link(api, new_order(api, "QUOTE")).status == 409


def partner_link_via(order: dict[str, Any], headers: dict[str, str], **context: str) -> str:
    """A partner link made through the orders function's handler, with these headers and
    requestContext fields (what API Gateway, a custom domain or a client would put there)."""
    module = template.load_module(template.functions()["OrdersApiFunction"])
    event = api_event("POST", f"/orders/{order['id']}/partner-links", caller=claims(), headers=headers)
    event["requestContext"] |= context
    return str(json.loads(module.lambda_handler(event, LambdaContext())["body"])["url"])


HOSTILE = {"Host": "evil.example", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example"}


def test_a_partner_link_is_on_the_configured_base_whatever_the_host(api: Api) -> None:
    """Issue 10, point 6 (this test asserted the link followed the request's domain before)."""
    order = new_order(api)

    hostile = partner_link_via(order, HOSTILE, domainName="evil.example", path="/evil/orders")
    gateway = partner_link_via(order, {}, domainName="abc123.execute-api.us-east-1.amazonaws.com")

    assert hostile.startswith("https://api.example.com/test/partner/")  # API_BASE_URL (conftest)
    assert gateway.startswith("https://api.example.com/test/partner/")


def test_without_a_public_base_a_link_is_on_the_apis_own_url(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from purchasing import config

    order = new_order(api)
    monkeypatch.setenv("API_BASE_URL", "")
    config.get.cache_clear()
    try:
        link = partner_link_via(order, HOSTILE, domainName="evil.example", apiId="abc123", stage="prod")
    finally:
        monkeypatch.undo()
        config.get.cache_clear()

    assert link.startswith("https://abc123.execute-api.us-east-1.amazonaws.com/prod/partner/")


@pytest.mark.parametrize(
    "make_token,status",
    [
        (lambda order: "eyJ4Ijoi.bm90LXNpZ25lZA", 403),  # forged
        (
            lambda order: signed_tokens.sign(
                "supplier-pdf", {"org": ORG, "orderId": order["id"]}, 2**31, LINK_SECRET.encode()
            ),
            403,
        ),
        (
            lambda order: partner_links.issue(
                partner_links.PartnerClaims(ORG, order["id"]),
                now=int(time.time()) - 8 * 86400,
                days=7,
                secret=LINK_SECRET.encode(),
            )[0],
            410,
        ),
    ],
    ids=["forged", "wrong-purpose", "expired"],
)
def test_a_bad_partner_link_is_refused_on_the_page_and_for_uploads(
    api: Api, make_token: Callable[[dict[str, Any]], str], status: int
) -> None:
    order = new_order(api)
    token = make_token(order)

    page = api("GET", f"/partner/{token}", caller=None)
    uploads = api("POST", f"/partner/{token}/uploads", PDF | {"poNumber": "PO-1"}, caller=None)

    assert (page.status, page.headers["Content-Type"]) == (status, "text/html; charset=utf-8")
    assert (uploads.status, uploads.headers["Content-Type"]) == (status, "application/problem+json")
    assert orders_repository.get_order(ORG, order["id"]).order.documents == []  # type: ignore[union-attr]


def test_a_partner_upload_needs_an_order_that_still_takes_a_po(api: Api) -> None:
    order = new_order(api)
    token = partner_link(api, order).body["token"]
    api("PATCH", f"/orders/{order['id']}", {"status": "CANCELED"})

    page = api("GET", f"/partner/{token}", caller=None)
    uploads = api("POST", f"/partner/{token}/uploads", PDF | {"poNumber": "PO-1"}, caller=None)

    assert (page.status, "no longer" in page.body or "PROCESSING" in page.body) == (409, True)
    assert (uploads.status, uploads.body["errors"][0]["field"]) == (409, "status")


def test_partner_upload_input_is_checked(api: Api) -> None:
    token = partner_link(api, new_order(api)).body["token"]
    path = f"/partner/{token}/uploads"

    assert api("POST", path, PDF, caller=None).body["errors"][0]["field"] == "poNumber"
    assert api("POST", path, PDF | {"poNumber": "PO 1 <x>"}, caller=None).status == 422
    assert api("POST", path, PDF | {"poNumber": "P", "contentType": "text/html"}, caller=None).status == 422
    assert api("POST", path, PDF | {"poNumber": "P", "size": 10**9}, caller=None).status == 413
    assert api("POST", path, raw_body="{not json", caller=None).status == 400


def test_a_partner_upload_becomes_the_orders_po_once_accepted_exactly_once(api: Api) -> None:
    order = new_order(api)
    token = partner_link(api, order).body["token"]
    reply = api("POST", f"/partner/{token}/uploads", PDF | {"poNumber": "INI-PO-9"}, caller=None)
    assert reply.status == 201 and reply.body["fields"]["key"].startswith(
        f"uploads/{ORG}/order/{order['id']}/"
    )
    assert (reply.body["document"]["source"], reply.body["document"]["poNumber"]) == ("PARTNER", "INI-PO-9")
    key = accept(OwnerKind.ORDER, order["id"], reply.body["documentId"])
    document = document_of(key)

    order_service.on_document_accepted(key, document)
    attached = api("GET", f"/orders/{order['id']}").body
    order_service.on_document_accepted(key, document)  # redelivered
    assert api("GET", f"/orders/{order['id']}").body == attached
    put_po(api, order, mode="NUMBER_ONLY", poNumber="CHANGED")
    order_service.on_document_accepted(key, document)  # redelivered after the buyer's change

    po = attached["customerPo"]
    assert (po["mode"], po["poNumber"], po["documentId"], po["source"]) == (
        "FULL_UPLOAD",
        "INI-PO-9",
        document.id,
        "PARTNER",
    )
    assert api("GET", f"/orders/{order['id']}").body["customerPo"]["poNumber"] == "CHANGED"


@pytest.mark.parametrize("mode", ["NUMBER_ONLY", "FULL_UPLOAD", "BLANKET"])
def test_a_partner_upload_never_replaces_a_customer_po_already_there(api: Api, mode: str) -> None:
    """Issue 10, point 9: the file is kept as an accepted document of the order, the document
    says why, and the buyer decides with PUT /orders/{id}/po."""
    blanket, order = new_blanket(api), new_order(api)
    given = {
        "NUMBER_ONLY": {"poNumber": "BUYER-1"},
        "FULL_UPLOAD": {"poNumber": "BUYER-1", "documentId": accepted_upload(api, order)},
        "BLANKET": {"blanketPoId": blanket["id"]},
    }[mode]
    assert put_po(api, order, mode=mode, **given).status == 200
    before = api("GET", f"/orders/{order['id']}").body
    token = partner_link(api, order).body["token"]
    reply = api("POST", f"/partner/{token}/uploads", PDF | {"poNumber": "INI-PO-9"}, caller=None)
    key = accept(OwnerKind.ORDER, order["id"], reply.body["documentId"])

    order_service.on_document_accepted(key, document_of(key))
    order_service.on_document_accepted(key, document_of(key))  # redelivered

    after = api("GET", f"/orders/{order['id']}").body
    kept = next(d for d in after["documents"] if d["id"] == key.document_id)
    assert (after["customerPo"], after["version"]) == (before["customerPo"], before["version"])
    assert (kept["status"], kept["source"], kept["poNumber"]) == ("ACCEPTED", "PARTNER", "INI-PO-9")
    assert kept["reason"] == (
        f"kept as a document: the order already has customer PO {before['customerPo']['poNumber']} "
        f"({mode}); the buyer decides with PUT /orders/{order['id']}/po"
    )
    if mode == "BLANKET":
        assert blanket_of(api, blanket)["consumed"] == "100.00"  # still drawn on
    decided = put_po(api, order, mode="FULL_UPLOAD", poNumber="INI-PO-9", documentId=key.document_id)
    assert (decided.status, decided.body["customerPo"]["documentId"]) == (200, key.document_id)


def test_a_canceled_order_takes_no_uploads(api: Api) -> None:
    order = new_order(api)
    api("PATCH", f"/orders/{order['id']}", {"status": "CANCELED"})

    reply = api("POST", f"/orders/{order['id']}/documents", PDF)

    assert (reply.status, reply.body["errors"][0]["field"]) == (409, "status")
    assert "CANCELED" in reply.body["detail"]
    assert api("GET", f"/orders/{order['id']}").body["documents"] == []


def test_the_hook_ignores_buyer_uploads_pending_documents_and_closed_orders(api: Api) -> None:
    order = new_order(api)
    buyer_doc = accepted_upload(api, order)
    token = partner_link(api, order).body["token"]
    pending = api("POST", f"/partner/{token}/uploads", PDF | {"poNumber": "P-1"}, caller=None).body
    buyer_key = DocumentKey(ORG, OwnerKind.ORDER, order["id"], buyer_doc)
    pending_key = DocumentKey(ORG, OwnerKind.ORDER, order["id"], pending["documentId"])
    claimed = document_of(pending_key)

    order_service.on_document_accepted(buyer_key, document_of(buyer_key))
    order_service.on_document_accepted(pending_key, claimed.model_copy(update={"status": "ACCEPTED"}))
    assert api("GET", f"/orders/{order['id']}").body["customerPo"] is None

    api("PATCH", f"/orders/{order['id']}", {"status": "CANCELED"})
    accept(OwnerKind.ORDER, order["id"], pending["documentId"])
    order_service.on_document_accepted(pending_key, claimed)
    assert api("GET", f"/orders/{order['id']}").body["customerPo"] is None


def test_an_older_blanket_document_redelivered_does_not_replace_a_newer_one(api: Api) -> None:
    blanket = new_blanket(api)
    older, newer = (upload(api, f"/blanket-pos/{blanket['id']}/documents") for _ in range(2))
    old_key, new_key = (accept(OwnerKind.BLANKET, blanket["id"], doc) for doc in (older, newer))

    order_service.on_document_accepted(new_key, document_of(new_key))
    order_service.on_document_accepted(old_key, document_of(old_key))

    read = blanket_of(api, blanket)
    assert read["documentId"] == newer
    assert sorted(d["id"] for d in read["documents"]) == sorted([older, newer])


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> Callable[[], int]:
    real, calls = getattr(owner, name), [0]

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return lambda: calls[0]
