"""The local cloud's pumps: DynamoDB stream and SQS event source mappings as Lambda runs them,
and the outbox of what the SNS topics sent. The delivery rules are tested with fake handlers and
a fake clock; reading, sending and subscribing against moto (in process, or its server)."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamLambdaOnFailureDestinationModel

from local import cloud, cognito, gateway, outbox, polling, pumps, queue_pump, stream_pump, streams, template
from local.stream_pump import StreamMapping, StreamPump

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000"
DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:stream-failures"
NOW = 1_800_000_000.0


# --- fakes ----------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class Feed:
    """Stands in for the stream: what `put` was given is what the next read returns."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, list[dict[str, Any]]]] = []

    def put(self, *records: dict[str, Any], shard: str = "shardId-0001") -> None:
        self.pending.append((shard, list(records)))

    def __call__(self) -> list[tuple[str, list[dict[str, Any]]]]:
        found, self.pending = self.pending, []
        return found


def record(number: int, sk: str = "LINE#00001", created: float = NOW, po: str = "p1") -> dict[str, Any]:
    return {
        "eventID": f"event-{number}",
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": {"PK": {"S": f"ORG#acme#PO#{po}"}, "SK": {"S": sk}},
            "SequenceNumber": seq(number),
            "ApproximateCreationDateTime": int(created),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": STREAM_ARN,
    }


def seq(number: int) -> str:
    return f"{number:021d}"


def numbers(records: list[dict[str, Any]]) -> list[int]:
    return [int(item["dynamodb"]["SequenceNumber"]) for item in records]


Respond = Callable[[list[dict[str, Any]]], Any]


class Handler:
    """Keeps each batch (as record numbers); answers what `respond` makes of the records."""

    def __init__(self, respond: Respond | None = None) -> None:
        self.batches: list[list[int]] = []
        self.events: list[dict[str, Any]] = []
        self.respond = respond or (lambda records: {"batchItemFailures": []})

    def __call__(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        self.batches.append(numbers(event["Records"]))
        return self.respond(event["Records"])


def failing(*failed: int) -> Respond:
    """Reports the given records as failed whenever they are in the batch."""
    return lambda records: {
        "batchItemFailures": [
            {"itemIdentifier": item["dynamodb"]["SequenceNumber"]}
            for item in records
            if int(item["dynamodb"]["SequenceNumber"]) in failed
        ]
    }


def raising(poison: int) -> Respond:
    def respond(records: list[dict[str, Any]]) -> Any:
        if poison in numbers(records):
            raise RuntimeError(f"poison {poison}")
        return {"batchItemFailures": []}

    return respond


def mapping(**overrides: Any) -> StreamMapping:
    settings: dict[str, Any] = {
        "function": "StatusStreamFunction",
        "event": "TableStream",
        "stream_arn": STREAM_ARN,
        "batch_size": 100,
        "report_item_failures": True,
        "on_failure": DLQ_ARN,
    }
    return StreamMapping(**(settings | overrides))


class Rig:
    """A stream pump on a fake feed, handler and clock; what it sent to the destination."""

    def __init__(self, handler: Handler, **overrides: Any) -> None:
        self.feed = Feed()
        self.handler = handler
        self.clock = Clock()
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.pump = StreamPump(
            mapping(**overrides),
            self.feed,
            handler,
            lambda destination, body: self.sent.append((destination, body)),
            clock=self.clock,
            monotonic=self.clock,
            retry_seconds=0,
        )

    def run(self, *records: dict[str, Any]) -> None:
        self.feed.put(*records)
        self.pump.poll_once()


# --- the event source mapping, from the template ------------------------------------------------


def test_the_mapping_is_the_templates_dynamodb_event_with_real_arns() -> None:
    names = {
        "PurchaseOrdersTable.StreamArn": STREAM_ARN,
        "StatusStreamFailures.Arn": DLQ_ARN,
    }

    (found,) = stream_pump.mappings(names)

    props = template.functions()["StatusStreamFunction"].events["TableStream"]["Properties"]
    assert (found.function, found.event, found.stream_arn, found.on_failure) == (
        "StatusStreamFunction",
        "TableStream",
        STREAM_ARN,
        DLQ_ARN,
    )
    assert found.batch_size == props["BatchSize"]
    assert found.batching_window == props["MaximumBatchingWindowInSeconds"]
    assert found.bisect is bool(props["BisectBatchOnFunctionError"])
    assert found.max_retries == props["MaximumRetryAttempts"]
    assert found.max_record_age == props["MaximumRecordAgeInSeconds"]
    assert found.report_item_failures is True
    assert list(found.patterns) == [item["Pattern"] for item in props["FilterCriteria"]["Filters"]]
    assert found.parallelization == props["ParallelizationFactor"] > 1
    assert found.table == "orders"


def test_lambdas_defaults_apply_where_the_event_says_nothing() -> None:
    found = StreamMapping.from_event("F", "E", {"Stream": STREAM_ARN})

    assert (found.batch_size, found.batching_window, found.max_retries, found.max_record_age) == (
        100,
        0,
        -1,
        -1,
    )
    assert (found.bisect, found.report_item_failures, found.on_failure, found.patterns) == (
        False,
        False,
        None,
        (),
    )


# --- batching and filtering ------------------------------------------------------------------------


def test_records_go_in_batches_of_at_most_batch_size_in_order() -> None:
    rig = Rig(Handler(), batch_size=2)

    rig.run(*[record(n) for n in range(1, 6)])

    assert rig.handler.batches == [[1, 2], [3, 4], [5]]
    event = rig.handler.events[0]
    assert set(event) == {"Records"}
    assert event["Records"][0]["eventSourceARN"] == STREAM_ARN
    assert isinstance(event["Records"][0]["dynamodb"]["ApproximateCreationDateTime"], int)


def test_a_batch_waits_for_the_window_unless_it_is_full() -> None:
    rig = Rig(Handler(), batch_size=3, batching_window=1.0)

    rig.run(record(1))
    rig.clock.now += 0.5
    rig.run(record(2))
    assert rig.handler.batches == []  # the window runs from the first record

    rig.clock.now += 0.5
    rig.run()
    assert rig.handler.batches == [[1, 2]]

    rig.run(record(3), record(4), record(5), record(6))  # a full batch goes at once
    assert rig.handler.batches == [[1, 2], [3, 4, 5]]
    rig.clock.now += 1.0
    rig.run()
    assert rig.handler.batches == [[1, 2], [3, 4, 5], [6]]


def _pos_in_other_lanes(lanes: int, count: int = 2) -> list[str]:
    """PO ids whose partition keys fall in different lanes of a shard."""
    found: dict[int, str] = {}
    for n in range(100):
        lane = stream_pump.lane_of(record(0, po=f"p{n}"), lanes)
        found.setdefault(lane, f"p{n}")
        if len(found) == count:
            return list(found.values())
    raise AssertionError("no two lanes")


def test_a_shard_is_split_into_lanes_by_partition_key_each_in_order() -> None:
    big, small = _pos_in_other_lanes(10)
    rig = Rig(Handler(), parallelization=10, batch_size=2)

    rig.run(record(1, po=big), record(2, po=small), record(3, po=big), record(4, po=big), record(5, po=small))

    assert sorted(rig.handler.batches) == [[1, 3], [2, 5], [4]]
    assert rig.handler.batches.index([1, 3]) < rig.handler.batches.index([4])
    assert stream_pump.lane_of(record(1, po=big), 1) == 0  # one lane without a factor


def test_lanes_run_concurrently_so_a_slow_batch_holds_up_only_its_own_po() -> None:
    big, small = _pos_in_other_lanes(10)
    release, seen_small = threading.Event(), threading.Event()
    order: list[str] = []

    def handler(event: dict[str, Any]) -> Any:
        po = event["Records"][0]["dynamodb"]["Keys"]["PK"]["S"].rsplit("#", 1)[-1]
        if po == big and not order:
            order.append(f"{big} started")
            release.wait(timeout=10)  # the big PO's batch runs until the small one's is done
        order.append(po)
        if po == small:
            seen_small.set()
            release.set()
        return {"batchItemFailures": []}

    feed = Feed()
    pump = StreamPump(mapping(parallelization=10), feed, handler, retry_seconds=0, concurrent=True)
    try:
        feed.put(record(1, po=big), record(2, po=big))
        pump.poll_once()
        feed.put(record(3, po=small), record(4, po=big))
        while not seen_small.wait(timeout=0.01):
            pump.poll_once()
        release.set()
    finally:
        pump.stop()

    assert order[:3] == [f"{big} started", small, big]  # the small PO went while the big one ran


def test_the_templates_filter_passes_lines_and_drops_headers() -> None:
    patterns = tuple(
        item["Pattern"]
        for item in template.functions()["StatusStreamFunction"].events["TableStream"]["Properties"][
            "FilterCriteria"
        ]["Filters"]
    )
    rig = Rig(Handler(), patterns=patterns)

    rig.run(
        record(1, sk="PO"), record(2, sk="LINE#00001"), record(3, sk="HISTORY#x"), record(4, sk="LINE#00002")
    )

    assert rig.handler.batches == [[2, 4]]


def test_starting_at_latest_skips_what_the_stream_already_holds() -> None:
    rig = Rig(Handler(), starting_position="LATEST")

    rig.run(record(1), record(2))
    rig.run(record(3))

    assert rig.handler.batches == [[3]]


def test_each_batch_is_logged_with_function_records_failures_and_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rig = Rig(Handler(failing(2)), max_retries=0)

    rig.run(record(1), record(2), record(3))

    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("stream: StatusStreamFunction <- orders: 3 records, 1 failure, ")
    assert lines[0].endswith("ms")
    assert lines[1] == (
        f"stream: StatusStreamFunction <- orders: gave up 2 records (RetryAttemptsExhausted) -> {DLQ_ARN}"
    )


# --- partial failures, retries, bisecting ------------------------------------------------------


def test_a_partial_failure_is_retried_from_the_first_failed_record() -> None:
    attempts: list[int] = []

    def flaky(records: list[dict[str, Any]]) -> Any:
        attempts.append(1)
        return failing(3, 5)(records) if len(attempts) == 1 else {"batchItemFailures": []}

    rig = Rig(Handler(flaky), max_retries=5)

    rig.run(*[record(n) for n in range(1, 7)])

    assert rig.handler.batches == [[1, 2, 3, 4, 5, 6], [3, 4, 5, 6]]
    assert rig.sent == []


def test_retries_are_bounded_then_the_rest_goes_to_the_on_failure_queue_and_the_stream_moves_on() -> None:
    rig = Rig(Handler(failing(2)), max_retries=2)

    rig.run(record(1), record(2), record(3))
    rig.run(record(4))

    assert rig.handler.batches == [[1, 2, 3], [2, 3], [2, 3], [4]]
    ((destination, body),) = rig.sent
    assert destination == DLQ_ARN
    parsed = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(body)  # Lambda's shape
    assert parsed.request_context.condition == "RetryAttemptsExhausted"
    assert parsed.request_context.approximate_invoke_count == 3
    assert parsed.request_context.function_arn.endswith(
        ":function:purchase-orders-local-StatusStreamFunction"
    )
    assert "functionError" not in body["responseContext"]  # it answered; it did not raise
    info = body["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (seq(2), seq(3), 2)
    assert (info["shardId"], info["streamArn"]) == ("shardId-0001", STREAM_ARN)
    assert info["approximateArrivalOfFirstRecord"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW))
    assert body["version"] == "1.0" and body["timestamp"].endswith("Z")


def test_each_new_first_failure_gets_retries_of_its_own() -> None:
    calls: list[int] = []

    def moving(records: list[dict[str, Any]]) -> Any:
        calls.append(1)
        first = numbers(records)[0]
        return failing(first + 1)(records) if len(calls) <= 3 else {"batchItemFailures": []}

    rig = Rig(Handler(moving), max_retries=1)

    rig.run(record(1), record(2), record(3), record(4))

    assert rig.handler.batches == [[1, 2, 3, 4], [2, 3, 4], [3, 4], [4]]
    assert rig.sent == []


def test_a_raised_error_bisects_the_batch_down_to_the_poison_record() -> None:
    rig = Rig(Handler(raising(3)), bisect=True, max_retries=1)

    rig.run(record(1), record(2), record(3), record(4))

    assert rig.handler.batches == [[1, 2, 3, 4], [1, 2], [3, 4], [3], [3], [4]]
    ((_, body),) = rig.sent
    info = body["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (seq(3), seq(3), 1)
    assert body["responseContext"]["functionError"] == "Unhandled"
    assert body["requestContext"]["approximateInvokeCount"] == 4  # the whole, its half, itself twice


def test_without_bisect_a_raised_error_retries_the_whole_batch() -> None:
    rig = Rig(Handler(raising(2)), max_retries=1)

    rig.run(record(1), record(2))

    assert rig.handler.batches == [[1, 2], [1, 2]]
    assert rig.sent[0][1]["DDBStreamBatchInfo"]["batchSize"] == 2


def test_a_failure_naming_a_record_not_in_the_batch_fails_the_whole_batch() -> None:
    answers = iter([{"batchItemFailures": [{"itemIdentifier": "not-a-sequence-number"}]}, {}])
    rig = Rig(Handler(lambda records: next(answers)), max_retries=3)

    rig.run(record(1), record(2))

    assert rig.handler.batches == [[1, 2], [1, 2]]


def test_without_report_batch_item_failures_the_response_is_ignored() -> None:
    rig = Rig(Handler(failing(1)), report_item_failures=False)

    rig.run(record(1), record(2))

    assert rig.handler.batches == [[1, 2]]


def test_given_up_records_are_dropped_without_a_destination(capsys: pytest.CaptureFixture[str]) -> None:
    rig = Rig(Handler(failing(1)), max_retries=0, on_failure=None)

    rig.run(record(1))

    assert rig.sent == []
    assert "gave up 1 record (RetryAttemptsExhausted) -> dropped" in capsys.readouterr().err


# --- record age ---------------------------------------------------------------------------------------


def test_records_older_than_the_maximum_age_go_to_the_destination_unseen() -> None:
    rig = Rig(Handler(), max_record_age=60)

    rig.run(record(1, created=NOW - 120), record(2, created=NOW - 61), record(3, created=NOW - 5))

    assert rig.handler.batches == [[3]]
    ((_, body),) = rig.sent
    assert body["requestContext"]["condition"] == "RecordAgeExceeded"
    assert body["requestContext"]["approximateInvokeCount"] == 0
    assert body["DDBStreamBatchInfo"]["batchSize"] == 2
    DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(body)


def test_a_record_that_ages_out_while_retried_is_given_up_as_too_old() -> None:
    rig = Rig(Handler(failing(1)), max_record_age=60, max_retries=-1)

    def ageing(records: list[dict[str, Any]]) -> Any:
        rig.clock.now += 40
        return failing(1)(records)

    rig.handler.respond = ageing

    rig.run(record(1), record(2))

    assert rig.handler.batches == [[1, 2], [1, 2]]
    ((_, body),) = rig.sent
    assert (body["requestContext"]["condition"], body["requestContext"]["approximateInvokeCount"]) == (
        "RecordAgeExceeded",
        2,
    )


# --- against moto: the stream read, the failure sent ------------------------------------------------


class BotoClients:
    def client(self, service: str) -> Any:
        factory: Any = boto3.client
        return factory(service)


def test_records_written_to_the_table_reach_the_handler_and_failures_the_queue(aws: None) -> None:
    dynamodb = boto3.client("dynamodb")
    sqs = boto3.client("sqs")
    stream_arn = dynamodb.describe_table(TableName=os.environ["TABLE_NAME"])["Table"]["LatestStreamArn"]
    queue_url = sqs.create_queue(QueueName="stream-failures")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    reader = streams.StreamReader(streams.streams_client("us-east-1"), stream_arn)
    handler = Handler(lambda records: failing(*numbers(records)[1:2])(records))
    pump = StreamPump(
        mapping(stream_arn=stream_arn, on_failure=queue_arn, max_retries=0),
        reader.read_shards,
        handler,
        stream_pump.sender(BotoClients()),
        retry_seconds=0,
    )
    for line in ("00001", "00002", "00003"):
        dynamodb.put_item(
            TableName=os.environ["TABLE_NAME"],
            Item={"PK": {"S": "ORG#acme#PO#p1"}, "SK": {"S": f"LINE#{line}"}},
        )

    assert pump.poll_once() is True

    (first, *_) = handler.events
    assert [item["dynamodb"]["Keys"]["SK"]["S"] for item in first["Records"]] == [
        "LINE#00001",
        "LINE#00002",
        "LINE#00003",
    ]
    assert {item["eventSourceARN"] for item in first["Records"]} == {stream_arn}
    (message,) = sqs.receive_message(QueueUrl=queue_url).get("Messages", [])
    body = json.loads(message["Body"])
    DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(body)
    assert body["DDBStreamBatchInfo"]["batchSize"] == 2
    assert body["DDBStreamBatchInfo"]["streamArn"] == stream_arn
    assert body["DDBStreamBatchInfo"]["shardId"] == next(iter(reader.iterators))
    assert pump.poll_once() is False  # nothing new


def test_a_failure_can_go_to_an_sns_destination_and_nowhere_else(aws: None) -> None:
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="stream-failures")["TopicArn"]
    send = stream_pump.sender(BotoClients())

    send(topic, {"requestContext": {"condition": "RecordAgeExceeded"}})
    send("arn:aws:lambda:us-east-1:123456789012:function:elsewhere", {})  # logged, not sent


# --- the pump in the local cloud: the template's mapping against moto's server -------------------


class Recorder(gateway.Invoker):
    def __init__(self, respond: Callable[[dict[str, Any]], Any]) -> None:
        super().__init__({})
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.respond = respond

    def invoke(self, logical_id: str, event: dict[str, Any], request_id: str | None = None) -> Any:
        self.events.append((logical_id, event))
        return self.respond(event)


def wait_for(probe: Callable[[], Any], seconds: float = 10) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := probe()):
        if time.monotonic() > deadline:
            raise AssertionError("not in time")
        time.sleep(0.05)
    return found


def test_the_local_clouds_stream_pump_delivers_lines_and_sends_what_fails_to_the_templates_queue(
    moto_server: cloud.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(stream_pump, "RETRY_SECONDS", 0)
    resources = cloud.create_resources(moto_server)
    table = resources.names["PurchaseOrdersTable"]
    recorder = Recorder(
        lambda event: {
            "batchItemFailures": [
                {"itemIdentifier": item["dynamodb"]["SequenceNumber"]}
                for item in event["Records"]
                if "dynamodb" in item and item["dynamodb"]["Keys"]["SK"]["S"] == "LINE#00099"
            ]
        }
    )
    context = pumps.PumpContext(moto_server, resources, recorder, outbox.Outbox(tmp_path / "outbox"))
    started = pumps.start_pumps(context)
    try:
        dynamodb = moto_server.client("dynamodb")
        for sk in ("PO", "LINE#00001", "LINE#00099"):
            dynamodb.put_item(TableName=table, Item={"PK": {"S": "ORG#acme#PO#p1"}, "SK": {"S": sk}})

        # the uploads queue's pump delivers the bucket's s3:TestEvent too: take the stream's event
        wait_for(lambda: [found for found in recorder.events if found[0] == "StatusStreamFunction"])
        function, event = next(found for found in recorder.events if found[0] == "StatusStreamFunction")
        assert [item["dynamodb"]["Keys"]["SK"]["S"] for item in event["Records"]] == [
            "LINE#00001",
            "LINE#00099",
        ]
        assert (
            event["Records"][0]["eventSourceARN"]
            == resources.created["PurchaseOrdersTable"].attributes["StreamArn"]
        )

        sqs = moto_server.client("sqs")
        queue = resources.names["StatusStreamFailures"]
        (message,) = wait_for(lambda: sqs.receive_message(QueueUrl=queue).get("Messages"))
        body = json.loads(message["Body"])
        assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
        retries = template.functions()["StatusStreamFunction"].events["TableStream"]["Properties"][
            "MaximumRetryAttempts"
        ]
        assert body["requestContext"]["approximateInvokeCount"] == retries + 1
        assert body["DDBStreamBatchInfo"]["batchSize"] == 1
    finally:
        pumps.stop_pumps(started)


# --- SQS event source mappings --------------------------------------------------------------------


@pytest.fixture
def queue(aws: None) -> tuple[Any, str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn


def queue_rig(
    queue: tuple[Any, str, str], respond: Callable[[dict[str, Any]], Any], **props: Any
) -> tuple[queue_pump.QueuePump, list[dict[str, Any]]]:
    sqs, url, arn = queue
    events: list[dict[str, Any]] = []

    def invoke(event: dict[str, Any]) -> Any:
        events.append(event)
        return respond(event)

    found = queue_pump.QueueMapping.from_event(
        "Worker", "Jobs", {"Queue": arn, "FunctionResponseTypes": ["ReportBatchItemFailures"], **props}
    )
    return queue_pump.QueuePump(found, sqs, invoke, poll_seconds=0), events


def left_in(queue: tuple[Any, str, str]) -> list[str]:
    sqs, url, _ = queue
    return sorted(
        message["Body"]
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    )


def test_messages_arrive_in_lambdas_sqs_shape_and_are_deleted_when_done(queue: tuple[Any, str, str]) -> None:
    sqs, url, arn = queue
    sqs.send_message(
        QueueUrl=url,
        MessageBody='{"job": 1}',
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "report"}},
    )
    sqs.send_message(QueueUrl=url, MessageBody='{"job": 2}')
    pump, events = queue_rig(queue, lambda event: {"batchItemFailures": []})

    assert pump.poll_once() is True

    (event,) = events
    first, second = sorted(event["Records"], key=lambda item: item["body"])
    assert first["body"] == '{"job": 1}'
    assert (first["eventSource"], first["eventSourceARN"], first["awsRegion"]) == (
        "aws:sqs",
        arn,
        "us-east-1",
    )
    assert first["messageAttributes"] == {
        "kind": {
            "stringValue": "report",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert {"messageId", "receiptHandle", "md5OfBody", "attributes"} <= set(first)
    assert first["attributes"]["ApproximateReceiveCount"] == "1"
    assert "md5OfMessageAttributes" in first and "md5OfMessageAttributes" not in second
    assert left_in(queue) == []


def test_a_partial_failure_leaves_only_the_failed_messages_and_an_error_leaves_all(
    queue: tuple[Any, str, str],
) -> None:
    sqs, url, _ = queue
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)

    def fail_b(event: dict[str, Any]) -> Any:
        return {
            "batchItemFailures": [
                {"itemIdentifier": item["messageId"]} for item in event["Records"] if item["body"] == "b"
            ]
        }

    pump, _ = queue_rig(queue, fail_b)
    pump.poll_once()
    assert left_in(queue) == ["b"]

    def boom(event: dict[str, Any]) -> Any:
        raise RuntimeError("down")

    pump, events = queue_rig(queue, boom)
    pump.poll_once()
    assert len(events) == 1
    assert left_in(queue) == ["b"]


def test_a_failure_naming_another_message_keeps_the_whole_batch(queue: tuple[Any, str, str]) -> None:
    sqs, url, _ = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    pump, _ = queue_rig(queue, lambda event: {"batchItemFailures": [{"itemIdentifier": "elsewhere"}]})

    pump.poll_once()

    assert left_in(queue) == ["x"]


def test_filtered_out_messages_are_deleted_unseen_and_batches_are_bounded(
    queue: tuple[Any, str, str],
) -> None:
    sqs, url, _ = queue
    for n in range(5):
        sqs.send_message(
            QueueUrl=url, MessageBody=json.dumps({"kind": "keep" if n % 2 == 0 else "drop", "n": n})
        )
    sqs.send_message(QueueUrl=url, MessageBody="not json")
    filters = {"Filters": [{"Pattern": '{"body": {"kind": ["keep"]}}'}]}
    pump, events = queue_rig(queue, lambda event: None, BatchSize=2, FilterCriteria=filters)

    while pump.poll_once():
        pass

    delivered = sorted(json.loads(item["body"])["n"] for event in events for item in event["Records"])
    assert delivered == [0, 2, 4]
    assert all(len(event["Records"]) <= 2 for event in events)
    assert left_in(queue) == []


def test_the_batching_window_waits_for_more_messages(queue: tuple[Any, str, str]) -> None:
    sqs, url, _ = queue
    sqs.send_message(QueueUrl=url, MessageBody="first")
    pump, events = queue_rig(queue, lambda event: None, BatchSize=5, MaximumBatchingWindowInSeconds=1)
    pump.interval = 0.05  # between empty receives while the window is open
    sender = threading.Timer(0.2, lambda: sqs.send_message(QueueUrl=url, MessageBody="second"))
    sender.start()

    pump.poll_once()
    sender.join()

    assert sorted(item["body"] for item in events[0]["Records"]) == ["first", "second"]


def test_sqs_mappings_come_from_the_templates_sqs_events(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = template.FunctionSpec(
        logical_id="Worker",
        code_uri=Path("."),
        module_file=Path("app.py"),
        handler_name="handler",
        events={
            "Jobs": {
                "Type": "SQS",
                "Properties": {"Queue": {"Fn::GetAtt": ["JobQueue", "Arn"]}, "BatchSize": 7},
            },
            "Off": {
                "Type": "SQS",
                "Properties": {"Queue": "arn:aws:sqs:us-east-1:123456789012:off", "Enabled": False},
            },
            "Api": {"Type": "Api", "Properties": {"Path": "/x", "Method": "get"}},
        },
    )
    monkeypatch.setattr(template, "functions", lambda names=None: {"Worker": spec})

    (found,) = queue_pump.mappings({"JobQueue.Arn": "arn:aws:sqs:us-east-1:123456789012:jobs"})

    assert (found.function, found.queue_arn, found.queue_name, found.batch_size) == (
        "Worker",
        "arn:aws:sqs:us-east-1:123456789012:jobs",
        "jobs",
        7,
    )


# --- the outbox -----------------------------------------------------------------------------------------


def envelope(**overrides: Any) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": "7c4e0c2e-1111-4222-8333-944455556666",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:purchase-orders-local-ApprovalRequestsTopic",
        "Subject": "Approve PO-000001",
        "Message": "Please review: https://local.example/approvals/abc?t=1. Or reject (http://x.example/r).",
        "Timestamp": "2026-01-02T03:04:05.678Z",
        "MessageAttributes": {"approver": {"Type": "String", "Value": "ann@acme.example"}},
    } | overrides


def test_an_sns_message_becomes_an_email_to_its_approver_with_its_links() -> None:
    email = outbox.email_from_sns(envelope())

    assert email == {
        "id": "7c4e0c2e-1111-4222-8333-944455556666",
        "at": "2026-01-02T03:04:05.678Z",
        "topic": "purchase-orders-local-ApprovalRequestsTopic",
        "to": "ann@acme.example",
        "subject": "Approve PO-000001",
        "body": envelope()["Message"],
        "links": ["https://local.example/approvals/abc?t=1", "http://x.example/r"],
        "attributes": {"approver": "ann@acme.example"},
    }
    without = outbox.email_from_sns(envelope(MessageAttributes={}, Subject=None))
    assert (without["to"], without["subject"]) == ("purchase-orders-local-ApprovalRequestsTopic", None)


def test_the_outbox_keeps_one_file_per_email_newest_first(tmp_path: Path) -> None:
    box = outbox.Outbox(tmp_path / "outbox")
    assert box.items() == [] and box.get("anything") is None
    older = outbox.email_from_sns(envelope(MessageId="older-1", Timestamp="2026-01-02T03:04:05.000Z"))
    newer = outbox.email_from_sns(envelope(MessageId="newer-2", Timestamp="2026-01-02T03:04:06.000Z"))

    box.add(older)
    path = box.add(newer)

    assert json.loads(path.read_text()) == newer
    assert [item["id"] for item in box.items()] == ["newer-2", "older-1"]
    assert box.get("older-1") == older
    assert box.get("../../etc/passwd") is None
    with pytest.raises(ValueError):
        box.add({**older, "id": "../escape"})
    assert box.clear() == 2
    assert box.items() == []


def test_the_topic_messages_page_links_urls_and_escapes_everything_else() -> None:
    email = outbox.email_from_sns(
        envelope(Message="<script>alert(1)</script> go https://a.example/x?a=1&b=2")
    )

    html = outbox.page([email], topics=True)

    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert '<a href="https://a.example/x?a=1&amp;b=2">' in html
    assert "ann@acme.example" in html and "Approve PO-000001" in html
    assert "No messages yet." in outbox.page([], topics=True)
    status_event = outbox.email_from_sns(
        envelope(
            Subject=None, MessageAttributes={"eventType": {"Type": "String", "Value": "po.status-changed"}}
        )
    )
    assert "(no subject)" not in outbox.page([status_event], topics=True)
    assert '<h2><a href="/_local/events/' in outbox.page([status_event], topics=True)


def test_the_outbox_pump_subscribes_to_every_topic_and_files_what_they_send(
    aws: None, tmp_path: Path
) -> None:
    sns = boto3.client("sns")
    topics = [sns.create_topic(Name=name)["TopicArn"] for name in ("events", "approvals")]
    box = outbox.Outbox(tmp_path / "outbox")
    url = outbox.subscribe(BotoClients(), topics)
    pump = outbox.OutboxPump(box, boto3.client("sqs"), url)

    sns.publish(TopicArn=topics[0], Message='{"type": "po.status-changed"}')
    sns.publish(
        TopicArn=topics[1],
        Subject="Approve PO-1",
        Message="Open http://127.0.0.1:3000/approvals/x",
        MessageAttributes={"approver": {"DataType": "String", "StringValue": "ann@acme.example"}},
    )
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody="not an SNS message")
    while pump.poll_once():
        pass

    emails = sorted(box.items(), key=lambda email: email["topic"])
    assert [(email["topic"], email["to"]) for email in emails] == [
        ("approvals", "ann@acme.example"),
        ("events", "events"),
    ]
    assert emails[0]["links"] == ["http://127.0.0.1:3000/approvals/x"]
    assert boto3.client("sqs").receive_message(QueueUrl=url).get("Messages") is None  # all taken


# --- the outbox on the local API ---------------------------------------------------------------------


def no_tokens(authorization: str | None) -> dict[str, str]:
    raise cognito.InvalidToken("the outbox pages need no token")


def local_request(method: str, target: str, **headers: str) -> gateway.Request:
    return gateway.Request(method=method, target=target, headers=list(headers.items()))


@pytest.fixture
def api_with_outbox(tmp_path: Path) -> tuple[gateway.Gateway, outbox.Outbox]:
    box = outbox.Outbox(tmp_path / "outbox")
    box.add(
        outbox.email_from_ses(
            {
                "id": "0100-ses-1",
                "at": "2026-01-02T03:04:05.678Z",
                "from": "purchasing@purchase-orders.example",
                "to": "ann@acme.example",
                "subject": "Approve PO-000001",
                "text": envelope()["Message"],
                "html": "<html><head></head><body><a href='https://local.example/approvals/abc?t=1'>Open</a></body></html>",
                "tags": {"org": "acme", "po": "p1", "mail": "m1"},
            }
        )
    )
    assert box.topics is not None
    box.topics.add(outbox.email_from_sns(envelope(MessageId="topic-1")))
    api = gateway.Gateway(gateway.Invoker({}), gateway.Router.from_template(), no_tokens, outbox=box)
    return api, box


def test_the_outbox_is_served_without_a_token_as_a_page_or_json(
    api_with_outbox: tuple[gateway.Gateway, outbox.Outbox],
) -> None:
    api, box = api_with_outbox
    (email,) = box.items()

    page = api.handle(local_request("GET", "/_local/outbox"))
    listed = api.handle(local_request("GET", "/_local/outbox", Accept="application/json"))
    one = api.handle(local_request("GET", f"/_local/outbox/{email['id']}", Accept="application/json"))
    one_page = api.handle(local_request("GET", f"/_local/outbox/{email['id']}/"))
    missing = api.handle(local_request("GET", "/_local/outbox/nope"))

    assert (page.status, page.header("Content-Type")) == (200, "text/html; charset=utf-8")
    assert b'href="https://local.example/approvals/abc?t=1"' in page.body
    assert (listed.status, json.loads(listed.body)) == (200, {"items": [email]})
    assert (one.status, json.loads(one.body)) == (200, email)
    assert one_page.status == 200 and b"Approve PO-000001" in one_page.body
    assert b"<iframe sandbox=" in page.body and b"&lt;base target=" in page.body  # the HTML part, framed
    assert email["attributes"] == {"orgId": "acme", "poId": "p1", "mailId": "m1"}
    assert missing.status == 404
    topics = api.handle(local_request("GET", "/_local/events", Accept="application/json"))
    assert [item["id"] for item in json.loads(topics.body)["items"]] == ["topic-1"]
    assert api.handle(local_request("GET", "/_local/events/topic-1")).status == 200


def test_the_outbox_pages_are_never_framed_cached_or_referred_yet_show_the_email_frame(
    api_with_outbox: tuple[gateway.Gateway, outbox.Outbox],
) -> None:
    api, box = api_with_outbox
    (email,) = box.items()

    for path in (
        "/_local/outbox",
        f"/_local/outbox/{email['id']}",
        "/_local/events",
        "/_local/events/topic-1",
    ):
        reply = api.handle(local_request("GET", path))
        policy = {
            part.split()[0]: part.split()[1:]
            for part in (reply.header("Content-Security-Policy") or "").split("; ")
        }

        assert reply.status == 200, path
        assert policy["default-src"] == ["'none'"], path
        assert policy["frame-ancestors"] == ["'none'"], path
        assert policy["frame-src"] == ["'self'"], path  # the sandboxed srcdoc frame of the HTML part
        assert "script-src" not in policy, path  # so no scripts, in the page or in the framed email
        assert policy["style-src"] == ["'unsafe-inline'"], path  # the email's style attributes render
        assert reply.header("Referrer-Policy") == "no-referrer", path
        assert reply.header("Cache-Control") == "no-store", path
        assert reply.header("X-Frame-Options") == "DENY", path


def test_delete_empties_the_outbox_and_other_methods_and_paths_are_refused(
    api_with_outbox: tuple[gateway.Gateway, outbox.Outbox],
) -> None:
    api, box = api_with_outbox

    posted = api.handle(local_request("POST", "/_local/outbox"))
    deleted = api.handle(local_request("DELETE", "/_local/outbox"))
    elsewhere = api.handle(local_request("GET", "/_local/elsewhere"))
    one = api.handle(local_request("DELETE", "/_local/outbox/some-id"))

    assert (posted.status, posted.header("Allow")) == (405, "GET, HEAD, DELETE")
    assert (deleted.status, json.loads(deleted.body)) == (200, {"deleted": 1})
    assert box.items() == []
    assert elsewhere.status == 404
    assert (one.status, one.header("Allow")) == (405, "GET, HEAD")


def test_without_an_outbox_there_is_no_outbox_page() -> None:
    api = gateway.Gateway(gateway.Invoker({}), gateway.Router.from_template(), no_tokens)

    assert api.handle(local_request("GET", "/_local/outbox")).status == 404


# --- pollers ----------------------------------------------------------------------------------------


def test_a_poller_keeps_going_after_an_error_and_stops_promptly(capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[int] = []

    class Flaky(polling.Poller):
        def poll_once(self) -> bool:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("moto hiccup")
            return False

    poller = Flaky("flaky", 0.01)
    group = polling.Group([poller])
    group.start()
    wait_for(lambda: len(calls) >= 3)
    started = time.monotonic()
    group.stop()

    assert time.monotonic() - started < 2
    assert "error: flaky: RuntimeError('moto hiccup') (failure 1 in a row)" in capsys.readouterr().err


def test_stopping_ends_a_batchs_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    rig = Rig(Handler(failing(1)), max_retries=-1)
    rig.pump.retry_seconds = 0.05
    rig.feed.put(record(1))
    rig.pump.start()
    wait_for(lambda: len(rig.handler.batches) >= 2)
    rig.pump.stop()
    count = len(rig.handler.batches)
    time.sleep(0.2)

    assert len(rig.handler.batches) == count
    assert rig.sent == []


def test_the_outbox_directory_is_in_the_state_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCAL_CLOUD_DIR", str(tmp_path))

    assert outbox.Outbox().directory == tmp_path / "outbox"


def test_outbox_json_over_http(api_with_outbox: tuple[gateway.Gateway, outbox.Outbox]) -> None:
    api, _ = api_with_outbox
    server = gateway.serve(api, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        request = urllib.request.Request(
            f"http://{host!s}:{port}/_local/outbox", headers={"Accept": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.loads(response.read())
    finally:
        server.shutdown()
        server.server_close()

    assert [item["to"] for item in body["items"]] == ["ann@acme.example"]


def test_the_local_clouds_queue_pump_delivers_a_queues_messages_to_its_function(
    moto_server: cloud.Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs = moto_server.client("sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    monkeypatch.setattr(
        queue_pump, "mappings", lambda names: [queue_pump.QueueMapping("Worker", "Jobs", arn, batch_size=5)]
    )
    recorder = Recorder(lambda event: None)
    group = queue_pump.factory(pumps.PumpContext(moto_server, cloud.Resources(), recorder))
    assert group is not None
    # it long-polls, as Lambda's poller does (issue 12, point 8): a message is taken as it arrives
    assert [(p.long_poll, p.interval) for p in group.pollers] == [(queue_pump.LONG_POLL_SECONDS, 0)]  # type: ignore[attr-defined]
    group.start()
    try:
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        wait_for(lambda: recorder.events)
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        wait_for(
            lambda: (
                set(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"].values())
                == {"0"}
            )
        )  # deleted, not just in flight
    finally:
        group.stop()

    ((function, event),) = recorder.events
    assert (function, [item["body"] for item in event["Records"]]) == ("Worker", ["hello"])


def test_an_idle_pump_waits_for_a_write_to_the_table_instead_of_polling(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local cloud's stream pump reads moto's stream only when a record was written (or once in
    IDLE_SECONDS): polling an idle stream every 50 ms took a quarter of a core."""
    monkeypatch.setattr(stream_pump, "IDLE_SECONDS", 600)
    dynamodb = boto3.client("dynamodb")
    stream_arn = dynamodb.describe_table(TableName=os.environ["TABLE_NAME"])["Table"]["LatestStreamArn"]
    reader = streams.StreamReader(streams.streams_client("us-east-1"), stream_arn)
    reads: list[int] = []

    def read() -> list[tuple[str, list[dict[str, Any]]]]:
        found = reader.read_shards()
        reads.append(sum(len(records) for _, records in found))
        return found

    handler = Handler()
    pump = StreamPump(mapping(stream_arn=stream_arn), read, handler, wake=streams.on_write())
    pump.start()
    try:
        wait_for(lambda: reads)  # the first read, of an empty stream
        time.sleep(1)  # 20 polls' worth: an idle pump reads nothing more
        assert reads == [0]

        line = {"PK": {"S": "ORG#acme#PO#p1"}, "SK": {"S": "LINE#00001"}}
        dynamodb.put_item(TableName=os.environ["TABLE_NAME"], Item=line)

        wait_for(lambda: handler.batches)
        assert reads[:2] == [0, 1]
    finally:
        pump.stop()
