"""The status engine on the local cloud: the table's stream pumped to the consumer, its status
changes on the PO events topic, and those on the local topic messages page. Statuses the consumer
materializes arrive asynchronously, so each is awaited with a deadline."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.e2e.conftest import Client, LocalCloud, eventually, po_body

pytestmark = pytest.mark.e2e


def listed_ids(client: Client, status: str) -> set[str]:
    reply = client("GET", f"/pos?status={status}&limit=100")
    assert reply.status == 200, reply.text
    return {item["id"] for item in reply.json["items"]}


def status_is(client: Client, po_id: str, status: str) -> None:
    """The PO reads as `status`, and the listing by status (the header the consumer writes) has it
    under that status and no other of the flow."""

    def settled() -> bool:
        read = client("GET", f"/pos/{po_id}").json["status"] == status
        return read and po_id in listed_ids(client, status)

    eventually(settled, f"PO {po_id} {status} in GET /pos/{{id}} and GET /pos?status={status}")
    for other in {"DRAFT", "APPROVED", "ORDERED", "RECEIVED"} - {status}:
        assert po_id not in listed_ids(client, other), f"still listed as {other}"


def test_a_po_from_draft_to_received_with_the_listing_following(buyer: Client) -> None:
    created = buyer("POST", "/pos", po_body(lines=2))
    assert created.status == 201, created.text
    po_id = created.json["id"]
    path = f"/pos/{po_id}"
    status_is(buyer, po_id, "DRAFT")

    # Submitted without an approval policy: the consumer approves the lines at once
    assert buyer("POST", f"{path}/submit").status == 202
    status_is(buyer, po_id, "APPROVED")

    ordered = buyer("POST", f"{path}/order")
    assert (ordered.status, ordered.json["status"]) == (200, "ORDERED"), ordered.text
    status_is(buyer, po_id, "ORDERED")

    # Part of one line received: still ORDERED
    partial = buyer("POST", f"{path}/lines/00001/receipts", {"quantity": "4"})
    assert (partial.status, partial.json["receivedQuantity"]) == (201, "4"), partial.text
    time.sleep(1.5)  # past a stream hop: nothing moves
    status_is(buyer, po_id, "ORDERED")

    # The rest of both lines: RECEIVED
    assert buyer("POST", f"{path}/lines/00001/receipts", {"quantity": "6"}).status == 201
    assert buyer("POST", f"{path}/lines/00002/receipts", {"quantity": "10"}).status == 201
    status_is(buyer, po_id, "RECEIVED")

    history = buyer("GET", f"{path}/history")
    assert history.status == 200, history.text
    events = history.json["items"]
    kinds = [event["type"] for event in events]
    assert {"created", "submitted", "approved", "ordered", "received"} <= set(kinds)
    assert kinds.count("received") == 3
    changes = [
        (event["data"]["from"], event["data"]["to"]) for event in events if event["type"] == "status-changed"
    ]
    assert changes == [("DRAFT", "APPROVED"), ("APPROVED", "ORDERED"), ("ORDERED", "RECEIVED")]
    assert all(event["actor"] == "system" for event in events if event["type"] == "status-changed")


def topic_messages(local_cloud: LocalCloud) -> list[dict[str, Any]]:
    reply = Client(local_cloud.url, None)("GET", "/_local/events", headers={"Accept": "application/json"})
    assert (reply.status, reply.content_type) == (200, "application/json"), reply.text
    return list(reply.json["items"])


def test_status_changes_land_on_the_topic_messages_page_not_in_the_outbox(
    local_cloud: LocalCloud, buyer: Client
) -> None:
    po_id = buyer("POST", "/pos", po_body(lines=1)).json["id"]
    assert buyer("POST", f"/pos/{po_id}/submit").status == 202

    def announced() -> list[dict[str, Any]]:
        return [email for email in topic_messages(local_cloud) if email["attributes"].get("poId") == po_id]

    found = eventually(announced, f"the status change of {po_id} on the topic messages page")
    # at least once: a recompute retried after a write conflict (a loaded machine) sends it again
    assert len({json.loads(email["body"])["eventId"] for email in found}) == 1, found
    email = found[0]
    assert email["topic"].endswith("PoEventsTopic")
    assert email["to"] == email["topic"]  # no approver attribute: the topic is the recipient
    assert email["attributes"]["eventType"] == "po.status-changed"
    assert email["attributes"]["status"] == "APPROVED"
    assert '"to": "APPROVED"' in email["body"]
    assert email["links"] == []

    anonymous = Client(local_cloud.url, None)
    one = anonymous("GET", f"/_local/events/{email['id']}", headers={"Accept": "application/json"})
    assert (one.status, one.json) == (200, email)
    page = anonymous("GET", "/_local/events")
    assert page.status == 200 and page.content_type == "text/html"
    assert email["id"] in page.text and "(no subject)" not in page.text
    assert anonymous("GET", "/_local/events/no-such-message").status == 404
    emails = anonymous("GET", "/_local/outbox", headers={"Accept": "application/json"}).json["items"]
    assert email["id"] not in {item["id"] for item in emails}  # a status event is no email

    emptied = anonymous("DELETE", "/_local/events")
    assert emptied.status == 200 and emptied.json["deleted"] >= 1
    assert email["id"] not in {item["id"] for item in topic_messages(local_cloud)}
