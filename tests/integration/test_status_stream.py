"""The status consumer, fed with records read from moto's own stream of the table."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, Stream, Topic, new_po_body


def create(api: Api, body: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = api("POST", "/pos", body or new_po_body())
    assert reply.status == 201, reply.body
    return reply.body


def listed_status(api: Api, po_id: str) -> str:
    (item,) = [item for item in api("GET", "/pos").body["items"] if item["id"] == po_id]
    return str(item["status"])


def test_submitted_lines_are_approved_at_once_without_a_policy(
    api: Api, stream: Stream, topic: Topic
) -> None:
    po = create(api)
    assert api("POST", f"/pos/{po['id']}/submit").status == 202
    assert api("GET", f"/pos/{po['id']}").body["status"] == "IN_REVIEW"

    stream.drain()

    read = api("GET", f"/pos/{po['id']}").body
    assert (read["status"], read["lines"][0]["status"], read["version"]) == ("APPROVED", "APPROVED", 3)
    assert listed_status(api, po["id"]) == "APPROVED"
    assert [item["id"] for item in api("GET", "/pos", query={"status": "APPROVED"}).body["items"]] == [
        po["id"]
    ]
    (message,) = topic.messages()
    assert message["attributes"] == {
        "orgId": "acme",
        "poId": po["id"],
        "eventType": "po.status-changed",
        "status": "APPROVED",
    }
    assert (message["body"]["from"], message["body"]["to"], message["body"]["number"]) == (
        "DRAFT",
        "APPROVED",
        "PO-000001",
    )
    kinds = [event["type"] for event in api("GET", f"/pos/{po['id']}/history").body["items"]]
    assert kinds == ["created", "submitted", "approved", "status-changed"]


def test_the_same_records_delivered_twice_change_nothing_and_notify_once(
    api: Api, stream: Stream, topic: Topic
) -> None:
    po = create(api)
    api("POST", f"/pos/{po['id']}/submit")
    records = stream.records()

    assert stream.deliver(records) == {"batchItemFailures": []}
    state = api("GET", f"/pos/{po['id']}").body
    history = api("GET", f"/pos/{po['id']}/history").body
    assert stream.deliver(records) == {"batchItemFailures": []}

    assert api("GET", f"/pos/{po['id']}").body == state
    assert api("GET", f"/pos/{po['id']}/history").body == history
    assert len(topic.messages()) == 1


def test_a_poison_record_fails_alone_and_the_rest_of_the_batch_is_applied(
    api: Api, stream: Stream, aws: None
) -> None:
    import boto3

    good, bad = create(api), create(api)
    api("POST", f"/pos/{good['id']}/submit")
    table = boto3.resource("dynamodb").Table("purchase-orders-test")
    table.update_item(
        Key={"PK": f"ORG#acme#PO#{bad['id']}", "SK": "LINE#00001"},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "LOST_IN_TRANSIT"},
    )
    records = stream.records()

    response = stream.deliver(records)

    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    bad_records = {
        r["dynamodb"]["SequenceNumber"] for r in records if bad["id"] in r["dynamodb"]["Keys"]["PK"]["S"]
    }
    assert failed == bad_records and failed
    assert listed_status(api, good["id"]) == "APPROVED"


def test_lines_whose_po_was_never_created_are_ignored(stream: Stream, aws: None) -> None:
    import boto3

    boto3.resource("dynamodb").Table("purchase-orders-test").put_item(
        Item={"PK": "ORG#acme#PO#" + "f" * 32, "SK": "LINE#00001", "type": "LINE"}
    )
    assert stream.deliver(stream.records()) == {"batchItemFailures": []}


def test_a_write_that_races_the_consumer_is_reread_not_overwritten(
    api: Api, stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    from purchasing.data import po_repository

    po = create(api, new_po_body(lines=2))
    api("POST", f"/pos/{po['id']}/lines/00002/cancel")
    records = stream.records()
    real, raced = po_repository.get_stored, list[Any]()

    def read_then_someone_edits(*args: Any) -> Any:
        stored = real(*args)
        if not raced:
            monkeypatch.setattr(po_repository, "get_stored", real)
            raced.append(api("PATCH", f"/pos/{po['id']}/lines/00001", {"description": "edited meanwhile"}))
        return stored

    monkeypatch.setattr(po_repository, "get_stored", read_then_someone_edits)
    assert stream.deliver(records) == {"batchItemFailures": []}

    read = api("GET", f"/pos/{po['id']}").body
    assert raced[0].status == 200
    assert read["lines"][0]["description"] == "edited meanwhile"
    assert read["totals"]["subtotal"] == "12.50"


def test_a_thousand_line_po_is_recomputed_from_one_batch(api: Api, stream: Stream) -> None:
    po = create(api, new_po_body(lines=1000))
    api("POST", f"/pos/{po['id']}/submit")

    stream.drain()

    read = api("GET", f"/pos/{po['id']}").body
    assert {line["status"] for line in read["lines"]} == {"APPROVED"}
    assert listed_status(api, po["id"]) == "APPROVED"
    assert read["totals"]["subtotal"] == "12500.00"


def test_the_whole_life_of_a_po_is_notified_and_recorded(api: Api, stream: Stream, topic: Topic) -> None:
    po = create(api, new_po_body(lines=2))
    for step in ("submit", "order"):
        api("POST", f"/pos/{po['id']}/{step}")
        stream.drain()
    api("POST", f"/pos/{po['id']}/lines/00001/receipts", {"quantity": "10"})
    stream.drain()
    assert listed_status(api, po["id"]) == "ORDERED"
    api("POST", f"/pos/{po['id']}/lines/00002/receipts", {"quantity": "10"})
    stream.drain()

    assert listed_status(api, po["id"]) == "RECEIVED"
    assert [(m["body"]["from"], m["body"]["to"]) for m in topic.messages()] == [
        ("DRAFT", "APPROVED"),
        ("APPROVED", "ORDERED"),
        ("ORDERED", "RECEIVED"),
    ]
    events = api("GET", f"/pos/{po['id']}/history").body["items"]
    assert [event["type"] for event in events] == [
        "created",
        "submitted",
        "approved",
        "status-changed",
        "ordered",
        "status-changed",
        "received",
        "received",
        "status-changed",
    ]
    assert events == sorted(events, key=lambda event: event["at"])
    assert events[0]["actor"] == "buyer@acme.example.com"
    assert events[3]["actor"] == "system"


def test_an_empty_batch_is_no_failure(stream: Stream) -> None:
    assert stream.deliver([]) == {"batchItemFailures": []}
