"""Approvals end to end in process: moto runs the real state machine, the stream consumer routes
and relays, approvers decide through their links' pages."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from purchasing.data import settings_repository
from purchasing.domain.approval_links import LinkClaims, sign
from purchasing.domain.approval_route import STORED, ApprovalPolicy
from purchasing.services import status_service
from tests.conftest import LINK_SECRET, Api, Reply, Stream, Topic, claims, new_po_body

BUYER = "buyer@acme.example.com"
ANN, FIN, CFO, BOSS = (f"{name}@acme.example.com" for name in ("ann", "fin", "cfo", "boss"))


def level(name: str, *approvers: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "approvers": list(approvers), **extra}


class Approvals:
    """The approval side of one org: its policy, the approvers' inbox, their links."""

    def __init__(self, api: Api, stream: Stream) -> None:
        self.api, self.stream = api, stream
        self.mail = Topic(os.environ["APPROVALS_TOPIC_ARN"])
        self.inbox: list[dict[str, Any]] = []

    def set_policy(self, *levels: dict[str, Any], **threshold: str) -> dict[str, Any]:
        buyer, self.api.caller = self.api.caller, claims(role="admin", email="admin@acme.example.com")
        reply = self.api(
            "PUT", "/settings/approval-policy", {"levels": list(levels), "resetThreshold": threshold}
        )
        self.api.caller = buyer
        assert reply.status == 200, reply.body
        return dict(reply.body)

    def store_policy(self, *levels: dict[str, Any]) -> None:
        """A policy as stored before timeoutHours had a minimum: short timeouts run in a test."""
        policy = ApprovalPolicy.model_validate({"levels": list(levels), "version": 1}, context=STORED)
        settings_repository.put_policy("acme", policy)

    def settle(self, until: Callable[[], bool], seconds: float = 15) -> None:
        """Deliver the stream to the consumer until `until()` holds (the state machine runs on)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            records = self.stream.records()
            if records:
                assert self.stream.deliver(records) == {"batchItemFailures": []}
                continue
            # the approvals topic carries email messages (JSON): what the approver reads is their text
            self.inbox += [{**email, "body": email["body"]["text"]} for email in self.mail.messages()]
            if until():
                return
            time.sleep(0.05)
        raise AssertionError("the approval flow did not get there in time")

    def emails_to(self, approver: str) -> list[dict[str, Any]]:
        return [email for email in self.inbox if email["attributes"]["approver"] == approver]

    def link(self, approver: str) -> str:
        (token,) = re.findall(r"/approvals/([\w.-]+)", self.emails_to(approver)[-1]["body"])
        return str(token)

    def page(self, token: str) -> Reply:
        return self.api("GET", f"/approvals/{token}", caller=None)

    def decide(self, token: str, decision: str, comment: str = "") -> Reply:
        form = urlencode({"decision": decision, "comment": comment})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.api("POST", f"/approvals/{token}", raw_body=form, headers=headers, caller=None)

    def approve(self, approver: str) -> None:
        self.settle(lambda: bool(self.emails_to(approver)))
        reply = self.decide(self.link(approver), "approve", "fine")
        assert reply.status == 200, reply.body

    def po(self, po_id: str) -> dict[str, Any]:
        return dict(self.api("GET", f"/pos/{po_id}").body)


@pytest.fixture
def approvals(api: Api, stream: Stream) -> Approvals:
    return Approvals(api, stream)


def submitted_po(api: Api, lines: int = 1) -> str:
    po = api("POST", "/pos", new_po_body(lines=lines)).body
    assert api("POST", f"/pos/{po['id']}/submit").status == 202
    return str(po["id"])


def test_three_levels_approved_in_turn_make_the_po_approved(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN), level("Finance", FIN), level("CFO", CFO))
    po_id = submitted_po(api, lines=2)

    approvals.settle(lambda: bool(approvals.emails_to(ANN)))
    (email,) = approvals.emails_to(ANN)
    assert email["subject"] == "Approval needed: PO-000001 from Acme Metals, 25.00 USD"
    assert "at level 1 (Manager)" in email["body"] and "2 lines" in email["body"]
    assert email["attributes"] == {
        "orgId": "acme",
        "poId": po_id,
        "poNumber": "PO-000001",
        "kind": "approval-request",
        "level": "1",
        "approver": ANN,
    }
    assert not approvals.emails_to(FIN)  # levels go in turn

    for approver in (ANN, FIN, CFO):
        approvals.approve(approver)
    approvals.settle(lambda: approvals.po(po_id)["status"] == "APPROVED")

    po = approvals.po(po_id)
    assert [(r["levelName"], r["status"], r["decidedBy"]) for r in po["approvals"]] == [
        ("Manager", "APPROVED", ANN),
        ("Finance", "APPROVED", FIN),
        ("CFO", "APPROVED", CFO),
    ]
    assert po["approvalRounds"][0]["status"] == "APPROVED"
    assert po["approvedSubtotal"] == "25.00"
    kinds = [event["type"] for event in api("GET", f"/pos/{po_id}/history").body["items"]]
    assert kinds.count("level-approved") == 3
    assert "approval-requested" in kinds and "round-approved" in kinds


def test_a_rejection_at_level_two_sends_the_lines_back_to_draft_with_the_reason(
    api: Api, approvals: Approvals
) -> None:
    approvals.set_policy(level("Manager", ANN), level("Finance", FIN), level("CFO", CFO))
    po_id = submitted_po(api)
    approvals.approve(ANN)
    approvals.settle(lambda: bool(approvals.emails_to(FIN)))

    assert approvals.decide(approvals.link(FIN), "reject", "Too expensive, ask for a discount").status == 200
    approvals.settle(lambda: approvals.po(po_id)["status"] == "DRAFT")

    assert not approvals.emails_to(CFO)
    history = api("GET", f"/pos/{po_id}/history").body["items"]
    (rejected,) = [event for event in history if event["type"] == "round-rejected"]
    assert (
        'Finance rejected by fin@acme.example.com: "Too expensive, ask for a discount"' in rejected["summary"]
    )
    assert approvals.po(po_id)["approvalRounds"][0]["status"] == "REJECTED"


def test_a_level_that_times_out_escalates_then_expires(
    api: Api, approvals: Approvals, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[tuple[str, float]] = []
    monkeypatch.setattr(
        status_service.metrics, "add_metric", lambda name, unit, value: counted.append((name, value))
    )
    approvals.store_policy(level("Manager", ANN, timeoutHours="0.0003", escalateTo=[BOSS]))  # 2 s each
    po_id = submitted_po(api)
    approvals.settle(lambda: bool(approvals.emails_to(ANN)))
    first_link = approvals.link(ANN)

    approvals.settle(lambda: bool(approvals.emails_to(BOSS)))
    assert "escalated to you" in approvals.emails_to(BOSS)[0]["body"]
    assert approvals.page(first_link).status == 410  # the timed-out request is dead

    approvals.settle(lambda: approvals.po(po_id)["status"] == "DRAFT", seconds=20)
    assert approvals.po(po_id)["approvalRounds"][0]["status"] == "EXPIRED"
    assert approvals.page(approvals.link(BOSS)).status == 410
    summaries = [event["summary"] for event in api("GET", f"/pos/{po_id}/history").body["items"]]
    assert any("expired without a decision" in summary for summary in summaries)
    # the execution ends SUCCEEDED: the expiry is counted once, for the ApprovalRoundsExpired alarm
    assert counted == [("ApprovalRoundsExpired", 1)]


def test_an_escalated_request_can_be_approved(api: Api, approvals: Approvals) -> None:
    # 7 s each: the escalated request must outlive its email and the click on a busy machine (at
    # 1 s it expired first when the suite ran on two loaded cores)
    approvals.store_policy(level("Manager", ANN, timeoutHours="0.002", escalateTo=[BOSS]))
    po_id = submitted_po(api)
    approvals.approve(BOSS)
    approvals.settle(lambda: approvals.po(po_id)["status"] == "APPROVED")


def test_a_resubmission_within_the_threshold_needs_no_new_round(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN), amount="5.00", percent="50")
    po_id = submitted_po(api)
    approvals.approve(ANN)
    approvals.settle(lambda: approvals.po(po_id)["status"] == "APPROVED")

    api("POST", f"/pos/{po_id}/revise")
    api("PATCH", f"/pos/{po_id}/lines/00001", {"quantity": "12"})  # 12.50 -> 15.00: +2.50, +20%
    api("POST", f"/pos/{po_id}/submit")
    approvals.settle(lambda: approvals.po(po_id)["status"] == "APPROVED")
    assert len(approvals.po(po_id)["approvalRounds"]) == 1
    summaries = [event["summary"] for event in api("GET", f"/pos/{po_id}/history").body["items"]]
    assert any(
        "approved automatically: within the reset threshold over the approved 12.50" in s for s in summaries
    )

    api("POST", f"/pos/{po_id}/revise")
    api("PATCH", f"/pos/{po_id}/lines/00001", {"quantity": "14", "unitCost": "1.26"})  # 17.64: +5.14
    api("POST", f"/pos/{po_id}/submit")
    approvals.settle(lambda: len(approvals.emails_to(ANN)) == 2)  # past it: a new round from level 1
    rounds = approvals.po(po_id)["approvalRounds"]
    assert [(r["round"], r["status"]) for r in rounds] == [(1, "APPROVED"), (2, "RUNNING")]
    assert approvals.po(po_id)["approvals"][-1]["id"] == "APPROVAL#002#01"


def test_a_link_says_what_is_wrong_with_it(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN, FIN))
    po_id = submitted_po(api)
    approvals.settle(lambda: bool(approvals.emails_to(ANN)))
    token = approvals.link(ANN)
    history_before = api("GET", f"/pos/{po_id}/history").body

    page = approvals.page(token)
    assert page.status == 200 and "PO-000001" in page.body and "<form method=post" in page.body
    assert approvals.page(token).status == 200  # GET changes nothing, however often
    assert api("GET", f"/pos/{po_id}/history").body == history_before
    assert approvals.po(po_id)["approvals"][0]["status"] == "PENDING"

    payload, signature = token.split(".")
    assert approvals.page(f"{payload}.{signature[::-1]}").status == 403  # forged
    request_id = approvals.po(po_id)["approvals"][0]["id"]

    def signed(approver: str, expires_at: float) -> str:
        link = LinkClaims("acme", po_id, request_id, approver, int(expires_at))
        return sign(link, LINK_SECRET.encode())

    assert approvals.page(signed(ANN, time.time() - 1)).status == 410  # expired
    assert (
        approvals.page(signed("mallory@acme.example.com", time.time() + 60)).status == 403
    )  # not an approver
    assert approvals.page(signed(BUYER, time.time() + 60)).status == 403  # the requester

    assert approvals.decide(token, "approve").status == 200
    replay = approvals.decide(token, "approve")
    assert replay.status == 410 and "Already decided" in replay.body
    assert approvals.decide(approvals.link(FIN), "reject").status == 410  # the level is decided


def test_the_requester_can_never_approve_their_own_po(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", BUYER, ANN))
    submitted_po(api)
    approvals.settle(lambda: bool(approvals.emails_to(BUYER)))
    reply = approvals.decide(approvals.link(BUYER), "approve")
    assert reply.status == 403 and "you requested this PO" in reply.body


def test_revising_during_a_round_supersedes_it_and_kills_its_links(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN))
    po_id = submitted_po(api)
    approvals.settle(lambda: bool(approvals.emails_to(ANN)))
    token = approvals.link(ANN)

    assert api("POST", f"/pos/{po_id}/revise").status == 200
    approvals.settle(lambda: approvals.po(po_id)["approvalRounds"][0]["status"] == "SUPERSEDED")

    assert approvals.page(token).status == 410
    assert approvals.decide(token, "approve").status == 410
    assert approvals.po(po_id)["status"] == "DRAFT"


def test_a_form_without_a_decision_is_refused(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN))
    submitted_po(api)
    approvals.settle(lambda: bool(approvals.emails_to(ANN)))
    assert approvals.decide(approvals.link(ANN), "maybe").status == 422


def test_output_on_the_page_is_escaped(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN))
    body = new_po_body(lines=0) | {
        "lines": [{"description": "<script>alert(1)</script>", "quantity": "1", "unitCost": "1"}]
    }
    po = api("POST", "/pos", body).body
    api("POST", f"/pos/{po['id']}/submit")
    approvals.settle(lambda: bool(approvals.emails_to(ANN)))
    page = approvals.page(approvals.link(ANN)).body
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- the policy and the route ------------------------------------------------------------------


def test_the_policy_is_for_admins_and_versioned(api: Api, approvals: Approvals) -> None:
    assert api("GET", "/settings/approval-policy").status == 403
    api.caller = claims(role="admin")
    assert api("GET", "/settings/approval-policy").body["levels"] == []
    invalid = api("PUT", "/settings/approval-policy", {"levels": [{"name": "A", "approvers": ["nope"]}]})
    assert invalid.status == 422
    first = api("PUT", "/settings/approval-policy", {"levels": [level("Manager", ANN)]}).body
    second = api("PUT", "/settings/approval-policy", {"levels": [level("Finance", FIN)]}).body
    assert (first["version"], second["version"], second["updatedBy"]) == (1, 2, "buyer@acme.example.com")


def test_a_running_round_keeps_the_policy_it_started_with(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN))
    po_id = submitted_po(api)
    approvals.settle(lambda: bool(approvals.emails_to(ANN)))
    approvals.set_policy(level("Finance", FIN))

    approvals.approve(ANN)
    approvals.settle(lambda: approvals.po(po_id)["status"] == "APPROVED")
    assert approvals.po(po_id)["approvalRounds"][0]["policyVersion"] == 1
    assert not approvals.emails_to(FIN)


def test_the_route_says_which_levels_apply_and_why(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN), level("Finance", FIN, minAmount="1000"))
    po = api("POST", "/pos", new_po_body()).body
    route = api("GET", f"/pos/{po['id']}/approval-route").body
    assert [(item["name"], item["applies"], item["reason"]) for item in route["levels"]] == [
        ("Manager", True, "applies to every PO"),
        ("Finance", False, "subtotal 12.50 is below 1000.00"),
    ]
    assert route["summary"] == "1 level of approval" and route["resubmission"] is None


def test_redelivered_records_email_no_one_twice_and_relay_once(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN), level("Finance", FIN))
    po_id = submitted_po(api)
    deadline = time.monotonic() + 10
    seen: list[dict[str, Any]] = []
    while not any(r["dynamodb"]["Keys"]["SK"]["S"].startswith("APPROVAL#") for r in seen):
        assert time.monotonic() < deadline, "no approval request on the stream"
        batch = approvals.stream.records()
        if batch:
            approvals.stream.deliver(batch)
            seen += batch
        time.sleep(0.05)
    approvals.stream.deliver(seen)  # the whole history again, as after a retry from the start
    approvals.inbox += [{**email, "body": email["body"]["text"]} for email in approvals.mail.messages()]
    assert len(approvals.emails_to(ANN)) == 1

    approvals.decide(approvals.link(ANN), "approve")
    decision = [
        r for r in approvals.stream.records() if r["dynamodb"]["Keys"]["SK"]["S"] == "APPROVAL#001#01"
    ]
    approvals.stream.deliver(decision)
    approvals.stream.deliver(decision)  # relayed once: a second SendTaskSuccess would be refused
    approvals.settle(lambda: bool(approvals.emails_to(FIN)))
    assert len(approvals.emails_to(FIN)) == 1
    assert approvals.po(po_id)["status"] == "IN_REVIEW"


def test_canceling_during_a_round_supersedes_it(api: Api, approvals: Approvals) -> None:
    approvals.set_policy(level("Manager", ANN))
    po_id = submitted_po(api, lines=2)
    approvals.settle(lambda: bool(approvals.emails_to(ANN)))

    assert api("POST", f"/pos/{po_id}/lines/00002/cancel").status == 200
    approvals.settle(lambda: len(approvals.po(po_id)["approvalRounds"]) == 2)

    rounds = approvals.po(po_id)["approvalRounds"]
    assert [(r["round"], r["status"], r["subtotal"]) for r in rounds] == [
        (1, "SUPERSEDED", "25.00"),
        (2, "RUNNING", "12.50"),  # a new round for what is left, at its new total
    ]
    assert (
        approvals.decide(
            approvals.emails_to(ANN)[0]["body"].split("/approvals/")[1].split()[0], "approve"
        ).status
        == 410
    )


def test_an_admin_previews_the_route_of_a_sample_amount(api: Api, approvals: Approvals) -> None:
    # Given a two-level policy, Finance from 5000.00, and a rate for EUR
    approvals.set_policy(level("Manager", ANN), level("Finance", FIN, minAmount="5000"))
    api.caller = claims(role="admin")
    api("PUT", "/settings/exchange-rates", {"baseCurrency": "USD", "rates": {"EUR": "1.10"}})

    # When the admin previews amounts below and above the gate, and one in EUR
    small = api("GET", "/settings/approval-route", query={"amount": "1200.00"})
    large = api("GET", "/settings/approval-route", query={"amount": "5000"})
    euros = api("GET", "/settings/approval-route", query={"amount": "4600", "currency": "EUR"})

    # Then the server says which levels apply and why, as a PO's route would
    assert small.status == 200, small.body
    assert [(lv["name"], lv["applies"]) for lv in small.body["levels"]] == [
        ("Manager", True),
        ("Finance", False),
    ]
    assert small.body["levels"][1]["reason"] == "subtotal 1200.00 is below 5000.00"
    assert (small.body["summary"], large.body["summary"]) == ("1 level of approval", "2 levels of approval")
    assert euros.body["conversion"] == "4600 EUR at 1.10 = 5060.00 USD"
    assert [lv["applies"] for lv in euros.body["levels"]] == [True, True]


def test_the_route_preview_is_for_admins_and_checks_its_query(api: Api, approvals: Approvals) -> None:
    assert api("GET", "/settings/approval-route", query={"amount": "10"}).status == 403
    api.caller = claims(role="admin")
    for query in ({}, {"amount": "1e3"}, {"amount": "-5"}, {"amount": "10", "currency": "XXX"}):
        reply = api("GET", "/settings/approval-route", query=query)
        assert reply.status == 422, (query, reply.body)
        assert reply.body["errors"][0]["field"] in ("amount", "currency"), reply.body
