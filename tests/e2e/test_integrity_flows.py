"""Issue 9 over the local cloud, the way a buyer trying to get around the rules would go: the
payee swap after an approval, and a cancel after a partial receipt."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from tests.e2e.conftest import Client, LocalCloud, eventually, po_body
from tests.e2e.test_approver_path import email_to

pytestmark = pytest.mark.e2e
MANAGER = "manager@acme-corp.com"
FORM = urllib.parse.urlencode({"decision": "approve", "comment": "ok"}).encode()
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def emails_to(outbox: Client, approver: str, po_id: str) -> list[dict[str, Any]]:
    reply = outbox("GET", "/_local/outbox", headers={"Accept": "application/json"})
    return [m for m in reply.json["items"] if m["to"] == approver and m["attributes"].get("poId") == po_id]


def test_a_payee_swap_after_approval_needs_a_new_round(
    local_cloud: LocalCloud, buyer: Client, org: str
) -> None:
    admin = Client(local_cloud.url, local_cloud.token(org, "admin@acme.example", "admin"))
    browser = Client(local_cloud.url, None)
    policy = {"levels": [{"name": "Manager", "approvers": [MANAGER]}],
              "resetThreshold": {"amount": "5000", "percent": "100"}}  # fmt: skip
    assert admin("PUT", "/settings/approval-policy", policy).status == 200
    lines = [{"description": "Laptops", "quantity": "1", "unitCost": "1000.00"}]
    po = buyer("POST", "/pos", po_body(lines=0) | {"lines": lines}).json
    path = f"/pos/{po['id']}"
    assert buyer("POST", f"{path}/submit").status == 202
    first = eventually(lambda: email_to(browser, MANAGER, po["id"]), "the manager's email")
    assert (
        browser("POST", urllib.parse.urlsplit(first["links"][0]).path, raw=FORM, headers=FORM_HEADERS).status
        == 200
    )
    eventually(lambda: buyer("GET", path).json["status"] == "APPROVED", "the PO approved")

    assert buyer("POST", f"{path}/revise").status == 200
    swap = {"supplier": {"name": "Shell Co", "email": "pay@shell-co.example"}}
    assert buyer("PATCH", path, swap).status == 200
    assert buyer("PATCH", f"{path}/lines/00001", {"description": "Laptops (refurbished)"}).status == 200
    route = buyer("GET", f"{path}/approval-route").json
    assert route["resubmission"]["newRound"] is True
    assert "supplier name changed (Acme Metals -> Shell Co)" in route["resubmission"]["materialChanges"]
    assert buyer("POST", f"{path}/submit").status == 202

    eventually(lambda: len(emails_to(browser, MANAGER, po["id"])) == 2, "the manager asked again")
    assert buyer("GET", path).json["status"] == "IN_REVIEW"
    assert buyer("POST", f"{path}/order").status == 409  # it cannot be ordered from Shell Co unseen
    kinds = [event["type"] for event in buyer("GET", f"{path}/history").json["items"]]
    assert "approved" not in kinds[kinds.index("revised") :]  # nothing approved it automatically


def test_canceling_after_a_partial_receipt_closes_the_line_short(buyer: Client, org: str) -> None:
    part = f"BOLT-{id(buyer)}"
    assert buyer("PUT", f"/parts/{part}", {"name": "Bolt", "purchaseType": "CREATES_INVENTORY"}).status in (
        200,
        201,
    )
    lines = [
        {"partId": part, "description": "Bolts", "quantity": "10", "unitCost": "2.00"},
        {"description": "Anodizing", "quantity": "1", "unitCost": "80.00"},
    ]
    po = buyer("POST", "/pos", po_body(lines=0) | {"lines": lines}).json
    path = f"/pos/{po['id']}"
    assert buyer("POST", f"{path}/submit").status == 202
    eventually(lambda: buyer("GET", path).json["status"] == "APPROVED", "the PO approved (no policy)")
    assert buyer("POST", f"{path}/order").status == 200
    assert buyer("POST", f"{path}/lines/00001/receipts", {"quantity": "9"}).status == 201

    canceled = buyer("POST", f"{path}/cancel").json
    assert [(x["status"], x["receivedQuantity"], x["canceledQuantity"]) for x in canceled["lines"]] == [
        ("RECEIVED", "9", "1"),
        ("CANCELED", "0", "0"),
    ]
    eventually(lambda: buyer("GET", path).json["status"] == "RECEIVED", "the PO received")
    assert buyer("GET", path).json["totals"]["subtotal"] == "18.00"

    def stock() -> tuple[str, str, list[str]]:
        found = buyer("GET", f"/parts/{part}/inventory").json
        return found["inStockQuantity"], found["onOrderQuantity"], [lot["status"] for lot in found["lots"]]

    eventually(lambda: stock() == ("9", "0", ["IN_STOCK"]), "9 in stock, the remainder off order")
    (event,) = [e for e in buyer("GET", f"{path}/history").json["items"] if e["type"] == "canceled"]
    assert event["actor"] == f"buyer+{org}@acme.example"  # the e2e accounts are tagged with their org
    assert "line 00001 closed short at 9 of 10 (1 canceled)" in event["summary"]
