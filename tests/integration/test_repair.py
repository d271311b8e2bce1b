"""`make recompute` and `make redrive` (local.repair): stale POs rebuilt by the consumer from their key,
dead letters back on their queues, stream failure records turned back into PO keys."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest

from local import repair, streams, template
from local.lambda_events import LambdaContext
from tests.conftest import Api, Stream, new_po_body

ORG = "acme"  # tests.conftest.claims()'s org


def _client(service: str) -> Any:
    if service == "dynamodbstreams":  # boto3's account-based streams endpoint is not moto's
        return streams.streams_client(template.REGION)
    factory: Any = boto3.client
    return factory(service)


class InProcess(repair.Target):
    """The repair target on mock_aws: the consumer invoked in this process, as the local cloud does."""

    def __init__(self, stream: Stream, names: dict[str, str]) -> None:
        super().__init__(names, _client, local=True)
        self.stream = stream
        self.invocations: list[dict[str, Any]] = []

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        assert logical_id == repair.CONSUMER
        self.invocations.append(event)
        return self.stream.module.lambda_handler(event, LambdaContext(function_name="status-stream"))


@pytest.fixture
def target(stream: Stream) -> InProcess:
    sqs = boto3.client("sqs")
    names = {repair.TABLE: os.environ["TABLE_NAME"]}
    for logical_id in template.resources("AWS::SQS::Queue"):
        names[logical_id] = sqs.create_queue(QueueName=logical_id)["QueueUrl"]
    machines = boto3.client("stepfunctions").list_state_machines()["stateMachines"]
    names[repair.STATE_MACHINE] = machines[0]["stateMachineArn"]
    return InProcess(stream, names)


def _status(api: Api, po_id: str) -> str:
    return str(api("GET", f"/pos/{po_id}").body["status"])


def _submitted_unseen(api: Api, stream: Stream) -> str:
    """A PO submitted whose stream records the consumer never got: nothing routes or approves it."""
    po_id = str(api("POST", "/pos", new_po_body(2)).body["id"])
    stream.drain()
    assert api("POST", f"/pos/{po_id}/submit").status == 202
    return po_id


def test_recompute_one_po_rebuilds_its_status_from_the_table(
    api: Api, stream: Stream, target: InProcess
) -> None:
    po_id = _submitted_unseen(api, stream)
    stream.reader.read()  # lost: the consumer never sees them
    assert _status(api, po_id) == "IN_REVIEW"  # and never routed: no round, no approval

    assert repair.recompute(target, ORG, po_id, say=lambda _: None) == 0

    assert _status(api, po_id) == "APPROVED"  # no policy: approved at once
    (event,) = target.invocations
    assert [r["dynamodb"]["Keys"] for r in event["Records"]] == [
        {"PK": {"S": f"ORG#{ORG}#PO#{po_id}"}, "SK": {"S": "PO"}}
    ]


def test_recompute_an_org_feeds_every_po_of_it(api: Api, stream: Stream, target: InProcess) -> None:
    ids = [_submitted_unseen(api, stream) for _ in range(3)]
    stream.reader.read()
    said: list[str] = []

    assert repair.recompute(target, ORG, None, say=said.append) == 0

    assert [_status(api, po_id) for po_id in ids] == ["APPROVED"] * 3
    assert said[0] == f"recompute: 3 PO(s) of org {ORG} through StatusStreamFunction"
    assert said[-1] == "recompute: 3 recomputed, 0 failed"


def test_recompute_of_an_org_without_pos_feeds_nothing(target: InProcess) -> None:
    assert repair.recompute(target, "nobody", None, say=lambda _: None) == 0
    assert target.invocations == []


def _failure_record(stream_arn: str, shard_id: str, first: str, last: str) -> str:
    """Lambda's invocation record for stream records it gave up on (as local.stream_pump sends it)."""
    return json.dumps(
        {
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 6},
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first,
                "endSequenceNumber": last,
                "approximateArrivalOfFirstRecord": "2026-01-01T00:00:00Z",
                "approximateArrivalOfLastRecord": "2026-01-01T00:00:01Z",
                "batchSize": 2,
                "streamArn": stream_arn,
            },
        }
    )


def test_redrive_turns_a_stream_failure_record_back_into_its_pos(
    api: Api, stream: Stream, target: InProcess
) -> None:
    po_id = _submitted_unseen(api, stream)
    (shard_id, records), *_ = stream.reader.read_shards()
    sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
    sqs = boto3.client("sqs")
    failures = target.physical("StatusStreamFailures")
    sqs.send_message(
        QueueUrl=failures,
        MessageBody=_failure_record(stream.reader.stream_arn, shard_id, sequence[0], sequence[-1]),
    )

    redriven, reported = repair.redrive_stream_failures(target, say=lambda _: None)

    assert (redriven, reported) == (1, 0)
    assert _status(api, po_id) == "APPROVED"
    assert repair._waiting(target, failures) == 0


def test_redrive_reports_and_keeps_a_failure_record_the_stream_no_longer_holds(
    stream: Stream, target: InProcess
) -> None:
    failures = target.physical("StatusStreamFailures")
    gone = "shardId-00000001000000000000-00000000"  # a shard that has closed and aged out
    body = _failure_record(stream.reader.stream_arn, gone, "1" * 21, "1" * 22)
    boto3.client("sqs").send_message(QueueUrl=failures, MessageBody=body)
    said: list[str] = []

    assert repair.redrive_stream_failures(target, say=said.append) == (0, 1)

    assert "is no longer in the stream: kept in the queue" in said[0]
    assert f"shard {gone} sequence {'1' * 21}..{'1' * 22}" in said[0]
    assert target.invocations == []
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=failures, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_redrive_moves_every_dead_letter_back_to_its_queue(target: InProcess) -> None:
    sqs = boto3.client("sqs")
    pairs = repair.dead_letter_queues()
    assert {
        ("DocumentUploadsQueue", "DocumentUploadsDeadLetterQueue"),
        ("PoPdfQueue", "PoPdfDeadLetterQueue"),
    } <= set(pairs)
    for source, dead in pairs:
        sqs.send_message(
            QueueUrl=target.physical(dead),
            MessageBody=f"from {source}",
            MessageAttributes={"kind": {"DataType": "String", "StringValue": source}},
        )

    assert repair.redrive_dead_letters(target, say=lambda _: None) == len(pairs)

    for source, dead in pairs:
        assert repair._waiting(target, target.physical(dead)) == 0
        (message,) = sqs.receive_message(QueueUrl=target.physical(source), MessageAttributeNames=["All"])[
            "Messages"
        ]
        assert message["Body"] == f"from {source}"
        assert message["MessageAttributes"]["kind"]["StringValue"] == source


class _MovesRecorded:
    """SQS as boto3 gives it, but StartMessageMoveTask (which moto lacks) only recorded."""

    def __init__(self) -> None:
        self.sqs = boto3.client("sqs")
        self.moves: list[dict[str, Any]] = []

    def start_message_move_task(self, **kwargs: Any) -> dict[str, str]:
        self.moves.append(kwargs)
        return {"TaskHandle": "handle-0123456789abcdef"}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sqs, name)


def test_a_deployed_stack_redrives_with_start_message_move_task(target: InProcess) -> None:
    sqs = _MovesRecorded()
    dead = target.physical("PoPdfDeadLetterQueue")
    sqs.send_message(QueueUrl=dead, MessageBody="x")
    deployed = repair.Target(
        target.names, lambda service: sqs if service == "sqs" else _client(service), local=False
    )

    assert repair.redrive_dead_letters(deployed, say=lambda _: None) == 1

    (move,) = sqs.moves
    assert move == {"SourceArn": "arn:aws:sqs:us-east-1:123456789012:PoPdfDeadLetterQueue"}
    assert repair._waiting(target, dead) == 1  # SQS moves it, not this command


class _Executions:
    def __init__(self, arns: list[str]) -> None:
        self.arns = arns
        self.redriven: list[str] = []

    def get_paginator(self, name: str) -> Any:
        assert name == "list_executions"
        pages = [{"executions": [{"executionArn": arn} for arn in self.arns]}]
        return type("Paginator", (), {"paginate": lambda _self, **kwargs: pages})()

    def redrive_execution(self, executionArn: str) -> None:  # noqa: N803 - boto3's name
        self.redriven.append(executionArn)


@pytest.mark.parametrize("local", [True, False])
def test_failed_approval_rounds_are_redriven_where_step_functions_can(target: InProcess, local: bool) -> None:
    sfn = _Executions(["arn:aws:states:us-east-1:123456789012:execution:approval:po-1-r1"])
    where = repair.Target(target.names, lambda service: sfn, local=local)
    said: list[str] = []

    assert repair.redrive_failed_rounds(where, say=said.append) == 1

    assert sfn.redriven == ([] if local else sfn.arns)
    assert ("cannot redrive" in said[0]) is local
