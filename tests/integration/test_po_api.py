"""The PO API through its real handler, with API Gateway events, on moto."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.conftest import Api, claims, new_po_body


def create(api: Api, body: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    reply = api("POST", "/pos", body or new_po_body(), **kwargs)
    assert reply.status == 201, reply.body
    return reply.body


# --- create ------------------------------------------------------------------------------------


def test_create_returns_the_po_with_totals_computed_server_side(api: Api) -> None:
    body = new_po_body(lines=0) | {
        "lines": [
            {"description": "Bolt", "quantity": "3", "unitCost": "1.255", "eta": "2026-03-01"},
            {"description": "Nut", "quantity": "2.5", "unitCost": "0.10", "qualityClauses": ["CoC required"]},
        ],
        "customAttributes": {"project": "P-7", "urgent": True},
    }
    reply = api("POST", "/pos", body)

    assert reply.status == 201
    assert reply.headers["ETag"] == '"1"'
    po = reply.body
    assert po["number"] == "PO-000001"
    assert (po["status"], po["version"], po["currency"]) == ("DRAFT", 1, "USD")
    assert po["totals"] == {"subtotal": "4.02"}
    assert [line["amount"] for line in po["lines"]] == ["3.77", "0.25"]
    assert po["lines"][1]["quantity"] == "2.5"
    assert po["lines"][1]["qualityClauses"] == ["CoC required"]
    assert po["customAttributes"] == {"project": "P-7", "urgent": True}
    assert po["createdBy"] == "buyer@acme.example.com"
    assert api("GET", f"/pos/{po['id']}").body == po


def test_numbers_are_allocated_per_org_in_sequence(api: Api) -> None:
    assert [create(api)["number"] for _ in range(3)] == ["PO-000001", "PO-000002", "PO-000003"]
    api.caller = claims(org="globex")
    assert create(api)["number"] == "PO-000001"


def test_a_client_number_is_unique_in_its_org_whatever_its_case(api: Api) -> None:
    create(api, new_po_body(number="ACME-42"))

    reply = api("POST", "/pos", new_po_body(number="acme-42"))

    assert reply.status == 409
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.body["errors"] == [{"field": "number", "message": reply.body["detail"]}]
    api.caller = claims(org="globex")
    assert create(api, new_po_body(number="ACME-42"))["number"] == "ACME-42"


def test_an_allocated_number_skips_one_a_client_already_took(api: Api) -> None:
    create(api, new_po_body(number="PO-000001"))
    assert create(api)["number"] == "PO-000002"


def test_a_large_po_is_written_in_chunks_and_read_back_whole(api: Api) -> None:
    po = create(api, new_po_body(lines=250))
    read = api("GET", f"/pos/{po['id']}").body
    assert len(read["lines"]) == 250
    assert read["lines"][-1]["id"] == "00250"
    assert read["totals"]["subtotal"] == "3125.00"


def test_a_failed_create_leaves_no_lines_behind(api: Api, aws: None) -> None:
    import boto3

    create(api, new_po_body(number="TAKEN"))
    assert api("POST", "/pos", new_po_body(lines=150, number="TAKEN")).status == 409

    table = boto3.resource("dynamodb").Table("purchase-orders-test")
    lines = [item for item in table.scan()["Items"] if str(item["SK"]).startswith("LINE#")]
    assert len(lines) == 1  # the first PO's only line


# --- idempotency -------------------------------------------------------------------------------


def test_a_retried_create_with_the_same_key_returns_the_same_po(api: Api) -> None:
    first = api("POST", "/pos", new_po_body(), headers={"Idempotency-Key": "k-1"})
    again = api("POST", "/pos", new_po_body(), headers={"Idempotency-Key": "k-1"})

    assert (first.status, again.status) == (201, 201)
    assert again.body == first.body
    assert len(api("GET", "/pos").body["items"]) == 1


def test_the_same_key_with_another_body_is_refused(api: Api) -> None:
    api("POST", "/pos", new_po_body(), headers={"Idempotency-Key": "k-1"})
    reply = api("POST", "/pos", new_po_body(currency="EUR"), headers={"Idempotency-Key": "k-1"})
    assert reply.status == 422
    assert reply.body["type"] == "/problems/idempotency-key-reused"


def test_keys_are_scoped_to_the_org(api: Api) -> None:
    first = create(api, headers={"Idempotency-Key": "k-1"})
    api.caller = claims(org="globex")
    other = create(api, headers={"Idempotency-Key": "k-1"})
    assert other["id"] != first["id"]


# --- read and list -----------------------------------------------------------------------------


def test_another_orgs_po_is_not_found(api: Api) -> None:
    po = create(api)
    api.caller = claims(org="globex")
    reply = api("GET", f"/pos/{po['id']}")
    assert reply.status == 404
    assert reply.body["title"] == "Not found"
    assert api("PATCH", f"/pos/{po['id']}", {"currency": "EUR"}).status == 404


@pytest.mark.parametrize("path", ["/pos/" + "0" * 32, "/pos/not-an-id", "/pos/" + "0" * 32 + "/lines/1"])
def test_unknown_or_impossible_ids_are_not_found(api: Api, path: str) -> None:
    method = "GET" if path.count("/") == 2 else "PATCH"
    reply = api(method, path, {"paid": True} if method == "PATCH" else None)
    assert reply.status == 404
    assert reply.headers["Content-Type"] == "application/problem+json"


def test_listing_pages_newest_first_with_an_opaque_cursor(api: Api) -> None:
    ids = [create(api)["id"] for _ in range(7)]

    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        page = api("GET", "/pos", query=query).body
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["nextCursor"]
        if not cursor:
            break

    assert seen == list(reversed(ids))
    assert pages == 3
    assert "lines" not in page["items"][0]
    assert page["items"][0]["lineCount"] == 1


def test_listing_filters_by_status_and_supplier(api: Api) -> None:
    create(api)
    other = create(api, new_po_body(supplier={"name": "Globex Parts", "email": "s@globex.example.com"}))

    by_supplier = api("GET", "/pos", query={"supplier": "globex parts"}).body["items"]
    assert [item["id"] for item in by_supplier] == [other["id"]]
    assert len(api("GET", "/pos", query={"status": "DRAFT"}).body["items"]) == 2
    assert api("GET", "/pos", query={"status": "ORDERED"}).body["items"] == []
    both = api("GET", "/pos", query={"status": "DRAFT", "supplier": "Globex Parts"}).body["items"]
    assert [item["id"] for item in both] == [other["id"]]


def test_listing_only_shows_the_callers_org(api: Api) -> None:
    create(api)
    api.caller = claims(org="globex")
    assert api("GET", "/pos").body == {"items": [], "nextCursor": None}


def test_a_cursor_cannot_be_forged_or_carried_to_another_org_or_listing(api: Api) -> None:
    for _ in range(3):
        create(api)
    cursor = api("GET", "/pos", query={"limit": "1"}).body["nextCursor"]
    key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    key["GSI3PK"]["S"] = "ORG#globex#POS"
    forged = base64.urlsafe_b64encode(json.dumps(key).encode()).decode()

    for bad, caller in [("garbage!", claims()), (forged, claims()), (cursor, claims(org="globex"))]:
        api.caller = caller
        reply = api("GET", "/pos", query={"cursor": bad})
        assert reply.status == 400, bad
        assert reply.body["errors"][0]["field"] == "cursor"
    api.caller = claims()
    assert api("GET", "/pos", query={"cursor": cursor, "status": "DRAFT"}).status == 400


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_limit_is_between_1_and_100(api: Api, limit: str) -> None:
    reply = api("GET", "/pos", query={"limit": limit})
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "limit"


# --- edit --------------------------------------------------------------------------------------


def test_header_edits_bump_the_version_and_answer_the_new_etag(api: Api) -> None:
    po = create(api)
    reply = api("PATCH", f"/pos/{po['id']}", {"currency": "EUR"}, headers={"If-Match": '"1"'})
    assert reply.status == 200
    assert (reply.body["currency"], reply.body["version"], reply.headers["ETag"]) == ("EUR", 2, '"2"')
    same = api("PATCH", f"/pos/{po['id']}", {"currency": "EUR"})
    assert same.body["version"] == 2  # nothing changed, nothing written


def test_a_stale_if_match_is_a_412(api: Api) -> None:
    po = create(api)
    api("PATCH", f"/pos/{po['id']}", {"currency": "EUR"})
    reply = api("PATCH", f"/pos/{po['id']}", {"currency": "GBP"}, headers={"If-Match": "1"})
    assert reply.status == 412
    assert api("GET", f"/pos/{po['id']}").body["currency"] == "EUR"


@pytest.mark.parametrize("if_match", ["abc", '"1', "1.0", "-1"])
def test_a_malformed_if_match_is_a_400(api: Api, if_match: str) -> None:
    po = create(api)
    assert api("PATCH", f"/pos/{po['id']}", {"currency": "EUR"}, headers={"If-Match": if_match}).status == 400


def test_renumbering_a_draft_frees_the_old_number(api: Api) -> None:
    po = create(api, new_po_body(number="OLD-1"))
    assert api("PATCH", f"/pos/{po['id']}", {"number": "NEW-1"}).body["number"] == "NEW-1"
    assert create(api, new_po_body(number="OLD-1"))["number"] == "OLD-1"
    clash = api("PATCH", f"/pos/{po['id']}", {"number": "old-1"})
    assert clash.status == 409
    assert clash.body["type"] == "/problems/duplicate-po-number"


def test_lines_are_added_and_edited_with_totals_kept_in_step(api: Api) -> None:
    po = create(api)
    added = api(
        "POST", f"/pos/{po['id']}/lines", {"description": "Washer", "quantity": "4", "unitCost": "0.50"}
    )
    assert added.status == 201
    assert (added.body["id"], added.body["lineNo"], added.headers["ETag"]) == ("00002", 2, '"2"')

    edited = api("PATCH", f"/pos/{po['id']}/lines/00002", {"quantity": "6", "eta": "2026-05-01"})
    assert edited.status == 200
    assert (edited.body["quantity"], edited.body["eta"], edited.headers["ETag"]) == ("6", "2026-05-01", '"3"')
    cleared = api("PATCH", f"/pos/{po['id']}/lines/00002", {"eta": None})
    assert cleared.body["eta"] is None

    read = api("GET", f"/pos/{po['id']}").body
    assert read["totals"]["subtotal"] == "15.50"  # 10 x 1.25 + 6 x 0.50
    assert api("GET", "/pos").body["items"][0]["totals"]["subtotal"] == "15.50"


def test_an_unknown_line_is_not_found(api: Api) -> None:
    po = create(api)
    assert api("PATCH", f"/pos/{po['id']}/lines/00009", {"paid": True}).status == 404


# --- editability outside DRAFT -----------------------------------------------------------------


def put_in_status(po_id: str, status: str) -> None:
    """The PO's status follows its lines: put every line in that status."""
    from purchasing.data.tables import OwnerPartitionItem, PoLineItem, po_pk

    for item in OwnerPartitionItem.query(po_pk("acme", po_id)):
        if isinstance(item, PoLineItem):
            item.update(actions=[PoLineItem.status.set(status)])


@pytest.mark.parametrize("status", ["IN_REVIEW", "APPROVED", "ORDERED", "RECEIVED", "CANCELED"])
def test_outside_draft_only_eta_paid_and_custom_attributes_can_change(api: Api, status: str) -> None:
    po = create(api)
    put_in_status(po["id"], status)
    line = f"/pos/{po['id']}/lines/00001"

    refused = api("PATCH", line, {"paid": True, "quantity": "99"})
    assert refused.status == 409
    assert refused.body["errors"] == [{"field": "quantity", "message": refused.body["detail"]}]
    assert status in refused.body["detail"]

    allowed = api("PATCH", line, {"paid": True, "eta": "2026-04-01", "customAttributes": {"bin": "A3"}})
    assert allowed.status == 200
    assert (allowed.body["paid"], allowed.body["customAttributes"]) == (True, {"bin": "A3"})
    assert api("PATCH", line, {"quantity": "10"}).status == 200  # unchanged value: not a change
    assert (
        api("POST", f"/pos/{po['id']}/lines", {"description": "x", "quantity": "1", "unitCost": "1"}).status
        == 409
    )
    assert api("PATCH", f"/pos/{po['id']}", {"currency": "EUR"}).status == 409
    assert api("PATCH", f"/pos/{po['id']}", {"customAttributes": {"cc": "42"}}).status == 200
    assert api("GET", f"/pos/{po['id']}").body["lines"][0]["quantity"] == "10"


# --- auth and errors ---------------------------------------------------------------------------


def test_no_claims_is_401(api: Api) -> None:
    reply = api("GET", "/pos", caller={})
    assert reply.status == 401
    assert reply.headers["Content-Type"] == "application/problem+json"


def test_roles_are_enforced(api: Api) -> None:
    po = create(api)
    api.caller = claims(role="approver")
    assert api("GET", f"/pos/{po['id']}").status == 200
    assert api("POST", "/pos", new_po_body()).status == 403
    assert api("PATCH", f"/pos/{po['id']}", {"currency": "EUR"}).status == 403
    api.caller = claims(role="admin")
    assert api("POST", "/pos", new_po_body()).status == 201
    api.caller = claims(role="")
    assert api("GET", "/pos").status == 403


def test_malformed_json_is_a_400_problem(api: Api) -> None:
    reply = api("POST", "/pos", raw_body="{not json")
    assert reply.status == 400
    assert reply.body["type"] == "/problems/malformed-json"


def test_invalid_fields_are_a_422_naming_each_field(api: Api) -> None:
    body = new_po_body(currency="usd") | {"lines": [{"description": "x", "quantity": 1.5, "unitCost": "1"}]}
    reply = api("POST", "/pos", body)
    assert reply.status == 422
    fields = {error["field"] for error in reply.body["errors"]}
    assert {"currency", "lines[0].quantity"} <= fields


def test_an_unsupported_content_type_is_a_415(api: Api) -> None:
    reply = api("POST", "/pos", raw_body="a=b", headers={"Content-Type": "text/plain"})
    assert reply.status == 415


def test_an_unexpected_failure_is_a_problem_that_leaks_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from purchasing.data import po_repository

    def broken(*_: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(po_repository, "get", broken)
    reply = api("GET", "/pos/" + "0" * 32)
    assert reply.status == 500
    assert "secret" not in json.dumps(reply.body)
