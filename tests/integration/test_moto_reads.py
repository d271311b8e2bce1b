"""local.moto_fixes answers DynamoDB reads with plain JSON: every attribute type comes back as written
(binary ones through moto's own serializer), through Query, GetItem, BatchGetItem and Scan, and
through the stream's GetRecords, whose answer is the one moto's serializer gives."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from moto.core import responses

from local import streams

TABLE = os.environ["TABLE_NAME"]
PLAIN: dict[str, Any] = {
    "PK": {"S": "ORG#acme#PO#p1"},
    "SK": {"S": "LINE#00001"},
    "n": {"N": "12.50"},
    "flag": {"BOOL": False},
    "nothing": {"NULL": True},
    "list": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"deep": {"SS": ["x", "y"]}}}]},
    "numbers": {"NS": ["1", "2.5"]},
    "text": {"S": 'ünïcode "quoted" \n line'},
}


def _reads(client: Any, key: dict[str, Any]) -> list[dict[str, Any]]:
    query = client.query(
        TableName=TABLE, KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": key["PK"]}
    )["Items"]
    got = client.get_item(TableName=TABLE, Key=key)["Item"]
    batch = client.batch_get_item(RequestItems={TABLE: {"Keys": [key]}})["Responses"][TABLE]
    scan = client.scan(TableName=TABLE)["Items"]
    return [*query, got, *batch, *scan]


def _sets_sorted(item: dict[str, Any]) -> dict[str, Any]:
    return {
        k: {t: sorted(v) if t in ("SS", "NS", "BS") else v for t, v in value.items()}
        for k, value in item.items()
    }


def test_every_attribute_type_reads_back_as_written(aws: None) -> None:
    client = boto3.client("dynamodb")
    client.put_item(TableName=TABLE, Item=PLAIN)

    for item in _reads(client, {"PK": PLAIN["PK"], "SK": PLAIN["SK"]}):
        assert _sets_sorted(item) == _sets_sorted(PLAIN)


def test_binary_attributes_read_back_as_bytes(aws: None) -> None:
    client = boto3.client("dynamodb")
    binary = {**PLAIN, "blob": {"B": b"\x00\xffbytes"}, "blobs": {"BS": [b"a", b"\x01"]}}
    client.put_item(TableName=TABLE, Item=binary)

    for item in _reads(client, {"PK": PLAIN["PK"], "SK": PLAIN["SK"]}):
        assert item["blob"] == {"B": b"\x00\xffbytes"}
        assert sorted(item["blobs"]["BS"]) == [b"\x01", b"a"]


def test_stream_records_read_back_as_moto_serializes_them(aws: None, monkeypatch: Any) -> None:
    client = boto3.client("dynamodb")
    client.put_item(TableName=TABLE, Item=PLAIN)
    client.put_item(TableName=TABLE, Item={**PLAIN, "n": {"N": "13"}})
    stream_arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    bodies: list[tuple[Any, Any]] = []
    plain = responses.ActionResult.execute_result
    serializer = plain.__wrapped__  # type: ignore[attr-defined]

    def both(result: Any, context: Any) -> Any:
        answer = plain(result, context)
        if str(context.operation_model.name) == "GetRecords":
            bodies.append((answer[2], serializer(result, context)[2]))
        return answer

    monkeypatch.setattr(responses.ActionResult, "execute_result", both)
    reader = streams.StreamReader(streams.streams_client("us-east-1"), stream_arn)
    records = reader.read()  # plain JSON
    client.put_item(TableName=TABLE, Item={**PLAIN, "blob": {"B": b"\x00\xff"}})
    records += reader.read()  # a binary attribute: the serializer

    assert [record["eventName"] for record in records] == ["INSERT", "MODIFY", "MODIFY"]
    assert records[1]["dynamodb"]["NewImage"]["n"] == {"N": "13"}
    assert records[2]["dynamodb"]["NewImage"]["blob"] == {"B": b"\x00\xff"}
    assert any(ours != moto for ours, moto in bodies), "no answer was plain JSON"
    assert all(json.loads(ours) == json.loads(moto) for ours, moto in bodies)


def test_a_query_while_another_thread_writes_the_partition_reads_without_error(aws: None) -> None:
    # moto walked the partition's dict while another request added to it: "dictionary changed size
    # during iteration" (a 500 locally, for two writers on one PO). The thread switch is made as
    # frequent as Python allows, so the walk is interrupted many times a query.
    import sys
    import threading

    client = boto3.client("dynamodb")
    pk = {"S": "ORG#acme#PO#busy"}
    for number in range(300):
        client.put_item(TableName=TABLE, Item={"PK": pk, "SK": {"S": f"LINE#{number:05d}"}})
    stop, failures = threading.Event(), []

    def write() -> None:
        number = 300
        while not stop.is_set():
            client.put_item(TableName=TABLE, Item={"PK": pk, "SK": {"S": f"LINE#{number:05d}"}})
            number += 1

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(30):
            try:
                page = client.query(
                    TableName=TABLE, KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": pk}
                )
                assert len(page["Items"]) >= 300
            except Exception as error:  # what moto raised is the finding
                failures.append(repr(error))
    finally:
        stop.set()
        writer.join()
        sys.setswitchinterval(interval)

    assert failures == []
