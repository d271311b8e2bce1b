"""Issue 9's repros through the real handlers on moto: received goods are facts, cancels close
short what arrived, amounts have bounds and never make a 5xx."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from typing import Any

import boto3
import pytest

from tests.conftest import Api, Stream, claims, new_po_body
from tests.integration.test_approvals import ANN, BOSS, BUYER, FIN, Approvals, approvals, level
from tests.integration.test_workflow_api import put_part

__all__ = ["approvals"]  # the fixture, shared


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


# --- material changes and currencies (points 1 and 2) --------------------------------------------


def approved_through_a_round(api: Api, approvals: Approvals, **po: Any) -> str:
    body = new_po_body(lines=0) | {"lines": [{"description": "Laptops", "quantity": "1", "unitCost": "1000"}]}
    created = api("POST", "/pos", body | po).body
    assert api("POST", f"/pos/{created['id']}/submit").status == 202
    approvals.approve(ANN)
    approvals.settle(lambda: approvals.po(created["id"])["status"] == "APPROVED")
    return str(created["id"])


def test_the_payee_swap_starts_a_new_round_and_the_route_says_why(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN), amount="100000", percent="100")
    path = f"/pos/{approved_through_a_round(api, approvals)}"
    api("POST", f"{path}/revise")
    swap = {"supplier": {"name": "Shell Co", "email": "pay@shell.example.com"}}
    assert api("PATCH", path, swap).status == 200
    assert api("PATCH", f"{path}/lines/00001", {"description": "Laptops, refurbished"}).status == 200

    preview = api("GET", f"{path}/approval-route").body["resubmission"]
    assert (preview["newRound"], preview["withinResetThreshold"]) == (True, False)
    assert preview["materialChanges"] == [
        "supplier name changed (Acme Metals -> Shell Co)",
        "supplier email changed (sales@acme-metals.example.com -> pay@shell.example.com)",
        "line 00001 description changed",
    ]
    api("POST", f"{path}/submit")
    approvals.settle(lambda: len(approvals.emails_to(ANN)) == 2)  # asked again, from level 1
    po = approvals.po(path.rsplit("/", 1)[1])
    assert (po["status"], [r["status"] for r in po["approvalRounds"]]) == (
        "IN_REVIEW",
        ["APPROVED", "RUNNING"],
    )
    (requested,) = [
        e for e in api("GET", f"{path}/history").body["items"] if e["summary"].startswith("Approval round 2")
    ]
    assert "supplier name changed (Acme Metals -> Shell Co)" in requested["summary"]
    assert api("POST", f"{path}/order").status == 409  # not approved: it cannot be ordered


def test_the_currency_swap_starts_a_new_round(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN), amount="100000", percent="100")
    path = f"/pos/{approved_through_a_round(api, approvals)}"
    api("POST", f"{path}/revise")
    api("PATCH", path, {"currency": "KWD"})
    assert api("GET", f"{path}/approval-route").body["resubmission"]["materialChanges"] == [
        "currency changed (USD -> KWD)"
    ]
    api("POST", f"{path}/submit")
    approvals.settle(lambda: len(approvals.emails_to(ANN)) == 2)
    assert approvals.po(path.rsplit("/", 1)[1])["status"] == "IN_REVIEW"


def test_levels_compare_amounts_in_the_base_currency(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN), level("Director", FIN, minAmount="5000"))
    admin = claims(role="admin", email="admin@acme.example.com")
    rates = {"baseCurrency": "USD", "rates": {"KWD": "3.25", "JPY": "0.0067"}}
    put = api("PUT", "/settings/exchange-rates", rates, caller=admin)
    assert (put.status, put.body["version"], put.body["updatedBy"]) == (200, 1, "admin@acme.example.com")

    def route(currency: str, amount: str) -> dict[str, Any]:
        lines = [{"description": "x", "quantity": "1", "unitCost": amount}]
        po = api("POST", "/pos", new_po_body(lines=0) | {"currency": currency, "lines": lines}).body
        return dict(api("GET", f"/pos/{po['id']}/approval-route").body)

    kwd, jpy, chf = route("KWD", "4999"), route("JPY", "6000"), route("CHF", "1")
    assert [level["applies"] for level in kwd["levels"]] == [True, True]
    assert (kwd["baseSubtotal"], kwd["exchangeRate"], kwd["baseCurrency"]) == ("16246.75", "3.25", "USD")
    assert [level["applies"] for level in jpy["levels"]] == [True, False]
    assert jpy["conversion"] == "6000 JPY at 0.0067 = 40.20 USD"
    assert [level["applies"] for level in chf["levels"]] == [True, True]  # no rate: fail closed
    assert chf["conversion"] == "no exchange rate from CHF to USD: every amount-gated level applies"
    assert chf["baseSubtotal"] is None


def test_exchange_rates_are_for_admins_validated_and_versioned(api: Api) -> None:
    assert api("GET", "/settings/exchange-rates").status == 403
    assert api("PUT", "/settings/exchange-rates", {"baseCurrency": "USD"}).status == 403
    api.caller = claims(role="admin")
    assert api("GET", "/settings/exchange-rates").body == {
        "baseCurrency": "USD", "rates": {}, "version": 0, "updatedAt": None, "updatedBy": None,
    }  # fmt: skip
    for bad in ({"KWD": "0"}, {"KWD": "abc"}, {"usd": "1"}):
        reply = api("PUT", "/settings/exchange-rates", {"baseCurrency": "USD", "rates": bad})
        assert reply.status == 422, bad
    first = api("PUT", "/settings/exchange-rates", {"baseCurrency": "USD", "rates": {"EUR": "1.08"}}).body
    second = api("PUT", "/settings/exchange-rates", {"baseCurrency": "USD", "rates": {"EUR": "1.1"}}).body
    assert (first["version"], second["version"]) == (1, 2)
    assert api("GET", "/settings/exchange-rates").body["rates"] == {"EUR": "1.1"}


# --- no stuck reviews (point 8) ------------------------------------------------------------------


def test_a_level_only_the_requester_could_approve_is_refused_at_submit(
    api: Api, approvals: Approvals
) -> None:
    approvals.set_policy(level("Manager", ANN), level("Purchasing", BUYER))
    po = api("POST", "/pos", new_po_body()).body
    reply = api("POST", f"/pos/{po['id']}/submit")
    assert reply.status == 409
    assert reply.body["detail"] == (
        "level 'Purchasing' has no one who may approve this PO: its approvers (buyer@acme.example.com)"
        " requested it, and it has no escalateTo: add an approver or an escalateTo to the policy"
    )
    assert approvals.po(po["id"])["status"] == "DRAFT"
    other = api("POST", f"/pos/{po['id']}/submit", caller=claims(email="ann@acme.example.com"))
    assert other.status == 409  # the creator is a requester too, whoever submits


def test_a_level_only_the_requester_approves_asks_its_escalation_at_once(
    api: Api, approvals: Approvals
) -> None:
    approvals.set_policy(level("Purchasing", BUYER, timeoutHours="24", escalateTo=[BOSS]))
    po = api("POST", "/pos", new_po_body()).body
    route = api("GET", f"/pos/{po['id']}/approval-route").body
    assert route["levels"][0]["approvers"] == [BOSS]
    assert api("POST", f"/pos/{po['id']}/submit").status == 202
    approvals.settle(lambda: bool(approvals.emails_to(BOSS)))
    (email,) = approvals.emails_to(BOSS)
    assert email["subject"] == "Approval needed: PO-000001 from Acme Metals, 12.50 USD"
    assert "at level 1 (Purchasing)" in email["body"]
    assert not approvals.emails_to(BUYER)
    approvals.approve(BOSS)
    approvals.settle(lambda: approvals.po(po["id"])["status"] == "APPROVED")


def test_the_same_person_on_two_levels_approves_each_level_separately(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN), level("Finance", ANN))
    po = api("POST", "/pos", new_po_body()).body
    api("POST", f"/pos/{po['id']}/submit")
    approvals.approve(ANN)
    approvals.settle(lambda: len(approvals.emails_to(ANN)) == 2)
    assert approvals.po(po["id"])["status"] == "IN_REVIEW"  # one decision approves one level
    first_link = re.findall(r"/approvals/([\w.-]+)", approvals.emails_to(ANN)[0]["body"])[0]
    assert approvals.decide(first_link, "approve").status == 410  # the first link is spent
    approvals.approve(ANN)
    approvals.settle(lambda: approvals.po(po["id"])["status"] == "APPROVED")
    decided = [(r["levelName"], r["decidedBy"]) for r in approvals.po(po["id"])["approvals"]]
    assert decided == [("Manager", ANN), ("Finance", ANN)]


def test_a_timeout_under_a_quarter_hour_is_refused(api: Api) -> None:
    api.caller = claims(role="admin")
    body = {"levels": [level("Manager", ANN, timeoutHours="0.0001", escalateTo=[BOSS])]}
    reply = api("PUT", "/settings/approval-policy", body)
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "levels[0].timeoutHours"
    assert "at least 0.25" in reply.body["errors"][0]["message"]


def test_two_writers_of_the_same_rates_version_do_not_both_win(aws: None) -> None:
    from purchasing.data import settings_repository
    from purchasing.domain.approval_route import ExchangeRates
    from purchasing.domain.errors import ConcurrentUpdate

    rates = ExchangeRates.model_validate({"baseCurrency": "USD", "rates": {"EUR": "1.08"}, "version": 1})
    settings_repository.put_rates("acme", rates)
    with pytest.raises(ConcurrentUpdate, match="the exchange rates changed meanwhile"):
        settings_repository.put_rates("acme", rates)  # a second writer read version 0 too
    assert settings_repository.get_rates("acme") == rates
