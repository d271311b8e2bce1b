"""Issue 9's repros through the real handlers on moto: received goods are facts, cancels close
short what arrived, amounts have bounds and never make a 5xx."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import boto3

from tests.conftest import Api, Stream, new_po_body
from tests.integration.test_workflow_api import put_part


def ordered_po(api: Api, stream: Stream, *lines: dict[str, Any]) -> str:
    po = api("POST", "/pos", new_po_body(lines=0) | {"lines": list(lines)}).body
    for step in ("submit", "order"):
        assert api("POST", f"/pos/{po['id']}/{step}").status in (200, 202)
        stream.drain()
    return str(po["id"])


BOLTS = {"partId": "BOLT-M8", "description": "Bolts", "quantity": "10", "unitCost": "100"}


def test_no_edit_sets_a_quantity_below_what_was_received_or_changes_its_part(
    api: Api, stream: Stream
) -> None:
    put_part(api, "BOLT-M8", "CREATES_INVENTORY")
    put_part(api, "NUT-M8", "CREATES_INVENTORY")
    path = f"/pos/{ordered_po(api, stream, BOLTS)}"
    api("POST", f"{path}/lines/00001/receipts", {"quantity": "6"})
    assert api("POST", f"{path}/revise").body["status"] == "DRAFT"  # DRAFT: every field is editable...

    lower = api("PATCH", f"{path}/lines/00001", {"quantity": "2"})
    assert (lower.status, lower.body["errors"][0]["field"]) == (409, "quantity")
    assert lower.body["detail"] == "line 00001 has received 6: its quantity cannot go below that"
    for part in ("NUT-M8", None):
        other = api("PATCH", f"{path}/lines/00001", {"partId": part})
        assert (other.status, other.body["errors"][0]["field"]) == (409, "partId")
        assert "has received 6" in other.body["detail"]

    assert api("PATCH", f"{path}/lines/00001", {"quantity": "6"}).status == 200  # ...but not the facts
    api("POST", f"{path}/submit")
    stream.drain()
    api("POST", f"{path}/order")
    stream.drain()
    po = api("GET", path).body
    assert (po["status"], po["lines"][0]["status"], po["lines"][0]["receivedQuantity"]) == (
        "RECEIVED",
        "RECEIVED",
        "6",
    )


def test_canceling_a_partly_received_line_closes_it_short_and_keeps_the_stock(
    api: Api, stream: Stream
) -> None:
    put_part(api, "BOLT-M8", "CREATES_INVENTORY")
    path = f"/pos/{ordered_po(api, stream, BOLTS)}"
    api("POST", f"{path}/lines/00001/receipts", {"quantity": "9"})
    stream.drain()

    line = api("POST", f"{path}/lines/00001/cancel")
    assert line.status == 200
    assert (line.body["status"], line.body["receivedQuantity"], line.body["canceledQuantity"]) == (
        "RECEIVED",
        "9",
        "1",
    )
    assert line.body["amount"] == "900.00"
    stream.drain()
    po = api("GET", path).body
    assert (po["status"], po["totals"]["subtotal"]) == ("RECEIVED", "900.00")
    stock = api("GET", "/parts/BOLT-M8/inventory").body
    assert (stock["inStockQuantity"], stock["onOrderQuantity"], stock["lots"][0]["status"]) == (
        "9",
        "0",
        "IN_STOCK",
    )
    (event,) = [e for e in api("GET", f"{path}/history").body["items"] if e["type"] == "line-canceled"]
    assert event["actor"] == "buyer@acme.example.com"
    assert "line 00001 closed short at 9 of 10 (1 canceled)" in event["summary"]
    assert event["data"]["closedShort"] == {"00001": {"received": "9", "canceled": "1"}}
    assert api("POST", f"{path}/lines/00001/receipts", {"quantity": "1"}).status == 409


def test_canceling_a_po_cancels_untouched_lines_and_closes_partly_received_ones_short(
    api: Api, stream: Stream
) -> None:
    put_part(api, "BOLT-M8", "CREATES_INVENTORY")
    nuts = {"description": "Nuts", "quantity": "5", "unitCost": "2"}
    washers = {"description": "Washers", "quantity": "4", "unitCost": "1"}
    path = f"/pos/{ordered_po(api, stream, BOLTS, nuts, washers)}"
    api("POST", f"{path}/lines/00001/receipts", {"quantity": "9"})
    api("POST", f"{path}/lines/00002/receipts", {"quantity": "5"})

    po = api("POST", f"{path}/cancel").body
    assert [(x["status"], x["receivedQuantity"], x["canceledQuantity"]) for x in po["lines"]] == [
        ("RECEIVED", "9", "1"),
        ("RECEIVED", "5", "0"),
        ("CANCELED", "0", "0"),
    ]
    stream.drain()
    po = api("GET", path).body
    assert (po["status"], po["totals"]["subtotal"]) == ("RECEIVED", "910.00")
    assert api("GET", "/parts/BOLT-M8/inventory").body["inStockQuantity"] == "9"
    (event,) = [e for e in api("GET", f"{path}/history").body["items"] if e["type"] == "canceled"]
    assert set(event["data"]["closedShort"]) == {"00001"}


def test_amounts_above_a_trillion_are_refused_naming_the_field(api: Api) -> None:
    huge = {"description": "x", "quantity": "999999999999.9999", "unitCost": "999999999999.9999"}
    create = api("POST", "/pos", new_po_body(lines=0) | {"lines": [huge]})
    assert (create.status, create.body["errors"][0]["field"]) == (422, "lines[0].amount")
    po = api("POST", "/pos", new_po_body()).body
    path = f"/pos/{po['id']}"
    add = api("POST", f"{path}/lines", huge)
    assert (add.status, add.body["errors"][0]["field"]) == (422, "amount")
    patch = api("PATCH", f"{path}/lines/00001", {"quantity": "2", "unitCost": "600000000000"})
    assert (patch.status, patch.body["errors"][0]["field"]) == (422, "amount")
    half = {"description": "y", "quantity": "1", "unitCost": "600000000000"}
    assert api("POST", f"{path}/lines", half).status == 201
    second = api("POST", f"{path}/lines", half)
    assert (second.status, second.body["errors"][0]["field"]) == (422, "totals.subtotal")
    assert api("GET", path).body["totals"]["subtotal"] == "600000000012.50"


def test_a_stored_po_with_huge_amounts_still_gets_a_route(api: Api) -> None:
    """A PO written before the bounds existed: reading its route must not fail."""
    admin = api.caller | {"cognito:groups": "admin"}
    policy = {"levels": [{"name": "Manager", "approvers": ["ann@acme.example.com"], "minAmount": "5"}],
              "resetThreshold": {"percent": "10"}}  # fmt: skip
    assert api("PUT", "/settings/approval-policy", policy, caller=admin).status == 200
    po = api("POST", "/pos", new_po_body()).body
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    key = {"PK": f"ORG#acme#PO#{po['id']}"}
    table.update_item(
        Key=key | {"SK": "LINE#00001"},
        UpdateExpression="SET quantity = :q, unitCost = :q",
        ExpressionAttributeValues={":q": Decimal("999999999999.9999")},
    )
    table.update_item(
        Key=key | {"SK": "PO"},
        UpdateExpression="SET approvedSubtotal = :a",
        ExpressionAttributeValues={":a": Decimal("0.01")},
    )
    route = api("GET", f"/pos/{po['id']}/approval-route")
    assert route.status == 200, route.body
    assert route.body["subtotal"] == "999999999999999800000000.00"
    assert route.body["levels"][0]["applies"] is True
    assert route.body["resubmission"]["withinResetThreshold"] is False
