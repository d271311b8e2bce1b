"""Reading a DynamoDB table's stream, shard by shard, from where the last read stopped."""

from __future__ import annotations

import threading
from functools import wraps
from typing import Any

import boto3

_listeners: list[threading.Event] = []
_listening = threading.Lock()


def on_write() -> threading.Event:
    """An event set whenever a record is added to any table's stream of moto in this process (the
    local cloud's): a stream pump waits on it when it has nothing to do, instead of reading the
    stream again and again for nothing."""
    event = threading.Event()
    with _listening:
        if not _listeners:
            _signal_writes()
        _listeners.append(event)
    return event


def _signal_writes() -> None:
    from moto.dynamodb.models.table import StreamShard

    add = StreamShard.add

    @wraps(add)
    def add_and_signal(shard: Any, *args: Any, **kwargs: Any) -> None:
        add(shard, *args, **kwargs)
        for event in list(_listeners):
            event.set()

    StreamShard.add = add_and_signal  # type: ignore[method-assign,assignment]


def streams_client(region: str, endpoint_url: str | None = None) -> Any:
    """boto3 >= 1.44 sends streams calls to an account-based endpoint moto does not route:
    always name the endpoint (the real one under mock_aws, the local server otherwise)."""
    return boto3.client(
        "dynamodbstreams",
        region_name=region,
        endpoint_url=endpoint_url or f"https://streams.dynamodb.{region}.amazonaws.com",
    )


class StreamReader:
    def __init__(self, client: Any, stream_arn: str) -> None:
        self.client = client
        self.stream_arn = stream_arn
        self.iterators: dict[str, str | None] = {}

    def read(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Every record written since the last read (all of them, the first time)."""
        return [record for _, records in self.read_shards(limit) for record in records]

    def read_shards(self, limit: int = 1000) -> list[tuple[str, list[dict[str, Any]]]]:
        """As `read`, shard by shard: (shard id, its new records) for each shard with new records."""
        shards = self.client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        found: list[tuple[str, list[dict[str, Any]]]] = []
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in self.iterators:
                self.iterators[shard_id] = self.client.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            records: list[dict[str, Any]] = []
            iterator = self.iterators[shard_id]
            while iterator:
                page = self.client.get_records(ShardIterator=iterator, Limit=limit)
                records.extend(page["Records"])
                self.iterators[shard_id] = iterator = page.get("NextShardIterator")
                if not page["Records"]:
                    break
            for record in records:  # as Lambda delivers them: epoch seconds, the stream's ARN
                record.setdefault("eventSourceARN", self.stream_arn)
                created = record["dynamodb"].get("ApproximateCreationDateTime")
                if hasattr(created, "timestamp"):
                    record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
            if records:
                found.append((shard_id, records))
        return found
