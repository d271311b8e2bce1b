"""What the embedded moto keeps stays bounded: no copy of a table outlives its transaction, and a
stream forgets records after 24 hours, as DynamoDB Streams does (`local.moto_bounds`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.core.model_instances import model_data

from local import cloud, streams, template


def tracked(service: str) -> int:
    return sum(len(getattr(model, "instances_tracked", [])) for model in model_data[service].values())


def item(pk: str, sk: str, **extra: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}, **{key: {"S": value} for key, value in extra.items()}}


def test_a_transaction_on_a_big_table_leaves_no_copy_of_it_behind(moto_server: cloud.Moto) -> None:
    table = cloud.create_resources(moto_server).names["PurchaseOrdersTable"]
    dynamodb = moto_server.client("dynamodb")
    for n in range(200):
        dynamodb.put_item(TableName=table, Item=item("PO#big", f"LINE#{n:04}", description="x" * 200))
    before = tracked("dynamodb")

    for n in range(10):  # moto deep-copies the partition it writes (200 items) for each, to roll back
        dynamodb.transact_write_items(
            TransactItems=[{"Put": {"TableName": table, "Item": item("PO#big", "HEADER", n=str(n))}}]
        )

    assert tracked("dynamodb") - before < 50  # listed for ever, each copy was 200+ instances


def test_a_transaction_backs_up_only_the_items_it_names(
    moto_server: cloud.Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    table = cloud.create_resources(moto_server).names["PurchaseOrdersTable"]
    dynamodb = moto_server.client("dynamodb")
    for n in range(200):
        dynamodb.put_item(TableName=table, Item=item("PO#big", f"LINE#{n:04}", status="OPEN"))
    copied: list[str] = []
    real_deepcopy = Item.__deepcopy__

    def counting(self: Item, memo: dict[int, Any]) -> Item:
        copied.append(self.range_key.value if self.range_key else "")
        return real_deepcopy(self, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counting)
    update = {
        "TableName": table,
        "Key": {"PK": {"S": "PO#big"}, "SK": {"S": "LINE#0001"}},
        "UpdateExpression": "SET #s = :s",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {":s": {"S": "CANCELED"}},
    }
    failing = {
        "TableName": table,
        "Key": {"PK": {"S": "PO#big"}, "SK": {"S": "LINE#0002"}},
        "ConditionExpression": "#s = :closed",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {":closed": {"S": "CLOSED"}},
    }
    new_line = {"TableName": table, "Item": item("PO#big", "LINE#9999", status="OPEN")}

    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[{"Update": update}, {"Put": new_line}, {"ConditionCheck": failing}]
        )

    lines = dynamodb.query(
        TableName=table, KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": "PO#big"}}
    )["Items"]
    assert len(lines) == 200 and {line["status"]["S"] for line in lines} == {"OPEN"}

    copied.clear()  # a Query answers with copies too
    dynamodb.transact_write_items(TransactItems=[{"Update": update}, {"Put": new_line}])

    assert set(copied) == {"LINE#0001"}  # the one named item there was, not the other 199 of its partition
    got = dynamodb.get_item(TableName=table, Key=update["Key"])["Item"]
    assert got["status"] == {"S": "CANCELED"}
    assert dynamodb.get_item(TableName=table, Key={"PK": {"S": "PO#big"}, "SK": {"S": "LINE#9999"}})["Item"]


def test_stream_records_older_than_24_hours_are_trimmed(moto_server: cloud.Moto) -> None:
    from moto.dynamodb.models import dynamodb_backends

    resources = cloud.create_resources(moto_server)
    table, stream_arn = (
        resources.names["PurchaseOrdersTable"],
        resources.names["PurchaseOrdersTable.StreamArn"],
    )
    dynamodb = moto_server.client("dynamodb")
    client = streams.streams_client(template.REGION, moto_server.endpoint)
    for n in range(3):
        dynamodb.put_item(TableName=table, Item=item("PO#old", f"LINE#{n}"))
    shard_id = client.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    old_iterator = client.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    shard = dynamodb_backends[template.ACCOUNT][template.REGION].tables[table].stream_shard
    assert shard is not None
    for record in shard.items:  # written a day and an hour ago
        record.record["dynamodb"]["ApproximateCreationDateTime"] -= timedelta(hours=25)

    dynamodb.put_item(TableName=table, Item=item("PO#new", "HEADER"))

    horizon = client.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )
    records = client.get_records(ShardIterator=horizon["ShardIterator"])["Records"]
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in records] == ["PO#new"]
    assert int(records[0]["dynamodb"]["SequenceNumber"]) == shard.starting_sequence_number  # numbers go on
    with pytest.raises(ClientError) as trimmed:
        client.get_records(ShardIterator=old_iterator)
    assert trimmed.value.response["Error"]["Code"] == "TrimmedDataAccessException"
