"""Repair what the alarms report: recompute POs, redrive what failed (README, "Runbook").

    python -m local.repair recompute --org acme [--po PO_ID]     make recompute ORG=acme [PO=...]
    python -m local.repair redrive                               make redrive

Against the running local cloud (`make dev`; --url, default http://127.0.0.1:3000) or, with
--stack NAME (`STACK=`), a deployed stack, with the AWS credentials and region of the environment.
The same code runs for both: the local cloud answers Lambda's Invoke API under /_local/lambda and
names its resources at /_local/aws, as CloudFormation names a stack's.

recompute: the status consumer rebuilds a PO's status, approvals and emails from the table alone,
so it is fed a stream record that names only the PO's key (one PO, or every PO of an org, listed
from the ByUpdated index), through the consumer function itself.
redrive: each queue's dead-letter queue back to its queue (SQS StartMessageMoveTask; the local
cloud's moto has none, so there the messages are moved one by one); each stream failure record
(Lambda's DDBStreamBatchInfo: a shard and a sequence range, no keys) read back from the stream
into PO keys and recomputed, or reported when the stream no longer holds it; each failed approval
round's execution redriven from where it failed (Step Functions RedriveExecution).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from local import template

CONSUMER = "StatusStreamFunction"
TABLE = "PurchaseOrdersTable"
STATE_MACHINE = "ApprovalStateMachine"
PO_HEADER_SK = "PO"
PER_INVOCATION = 10  # PO keys per consumer invocation: a 1,000-line PO takes seconds to recompute
INDEX = "ByUpdated"  # GSI3: every PO of an org under ORG#<org>#POS

Say = Callable[[str], None]


@dataclass
class Target:
    """Where to repair: physical names by logical id, AWS clients, and how to invoke a function."""

    names: dict[str, str]
    client: Callable[[str], Any]
    local: bool

    def physical(self, logical_id: str) -> str:
        return self.names[logical_id]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        response = self.client("lambda").invoke(
            FunctionName=self.physical(logical_id), Payload=json.dumps(event).encode()
        )
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise RuntimeError(f"{logical_id} failed: {payload}")
        return payload


def local_target(url: str) -> Target:
    with urllib.request.urlopen(f"{url.rstrip('/')}/_local/aws", timeout=10) as response:
        aws = json.loads(response.read())
    names = dict(aws["names"])
    names.update({name: name for name in template.functions()})  # the local cloud invokes by logical id

    def client(service: str) -> Any:
        endpoint = f"{url.rstrip('/')}/_local/lambda" if service == "lambda" else aws["endpoint"]
        factory: Any = boto3.client
        return factory(
            service,
            endpoint_url=endpoint,
            region_name=template.REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    return Target(names, _cached(client), local=True)


def stack_target(stack: str) -> Target:
    cloudformation = boto3.client("cloudformation")
    names: dict[str, str] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            names[resource["LogicalResourceId"]] = resource.get("PhysicalResourceId", "")
    factory: Any = boto3.client  # a service named at run time: boto3-stubs' overloads want literals
    return Target(names, _cached(lambda service: factory(service)), local=False)


def _cached(make: Callable[[str], Any]) -> Callable[[str], Any]:
    made: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in made:
            made[service] = make(service)
        return made[service]

    return client


# --- recompute ---------------------------------------------------------------------------------------


def po_record(pk: str, number: int) -> dict[str, Any]:
    """A stream record that names only a PO's key: all the consumer needs to rebuild it."""
    return {
        "eventID": f"repair-{number}",
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "eventVersion": "1.1",
        "awsRegion": template.REGION,
        "dynamodb": {
            "ApproximateCreationDateTime": int(time.time()),
            "Keys": {"PK": {"S": pk}, "SK": {"S": PO_HEADER_SK}},
            "SequenceNumber": str(number),
            "SizeBytes": 0,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def org_po_keys(target: Target, org: str) -> Iterator[str]:
    """The partition key of every PO of an org, from the ByUpdated index (no Scan)."""
    pages = (
        target.client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=target.physical(TABLE),
            IndexName=INDEX,
            KeyConditionExpression="GSI3PK = :org",
            ExpressionAttributeValues={":org": {"S": f"ORG#{org}#POS"}},
            ProjectionExpression="PK",
        )
    )
    for page in pages:
        for item in page["Items"]:
            yield item["PK"]["S"]


def recompute_keys(target: Target, keys: Iterable[str], say: Say = print) -> tuple[int, list[str]]:
    """Feed the consumer the keys, PER_INVOCATION at a time; (POs recomputed, keys that failed)."""
    done, failed = 0, []
    pending = list(dict.fromkeys(keys))
    for start in range(0, len(pending), PER_INVOCATION):
        batch = pending[start : start + PER_INVOCATION]
        records = [po_record(pk, start + offset) for offset, pk in enumerate(batch)]
        result = target.invoke(CONSUMER, {"Records": records})
        bad = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        for record in records:
            pk = record["dynamodb"]["Keys"]["PK"]["S"]
            if record["dynamodb"]["SequenceNumber"] in bad:
                failed.append(pk)
                say(f"  failed: {pk} (the consumer's log says why)")
            else:
                done += 1
    return done, failed


def recompute(target: Target, org: str, po: str | None, say: Say = print) -> int:
    keys = [f"ORG#{org}#PO#{po}"] if po else list(org_po_keys(target, org))
    say(f"recompute: {len(keys)} PO(s) of org {org} through {CONSUMER}")
    done, failed = recompute_keys(target, keys, say)
    say(f"recompute: {done} recomputed, {len(failed)} failed")
    return 1 if failed else 0


# --- redrive -----------------------------------------------------------------------------------------


def dead_letter_queues() -> list[tuple[str, str]]:
    """(queue, its dead-letter queue) logical ids, from the queues' RedrivePolicy."""
    found = []
    for name, props in template.resources("AWS::SQS::Queue").items():
        policy = props.get("RedrivePolicy") or {}
        target = policy.get("deadLetterTargetArn")
        if isinstance(target, dict) and "Fn::GetAtt" in target:
            found.append((name, str(target["Fn::GetAtt"][0])))
    return sorted(found)


def stream_failure_queues() -> list[tuple[str, str]]:
    """(function, its on-failure queue) logical ids, from the DynamoDB stream events."""
    found = []
    for function in template.functions().values():
        for event in function.events.values():
            destination = ((event.get("Properties") or {}).get("DestinationConfig") or {}).get(
                "OnFailure"
            ) or {}
            arn = destination.get("Destination")
            if event.get("Type") == "DynamoDB" and isinstance(arn, dict) and "Fn::GetAtt" in arn:
                found.append((function.logical_id, str(arn["Fn::GetAtt"][0])))
    return sorted(found)


def _queue_arn(target: Target, url: str) -> str:
    attributes = target.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def _waiting(target: Target, url: str) -> int:
    attributes = target.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def _receive(target: Target, url: str) -> Iterator[dict[str, Any]]:
    sqs = target.client("sqs")
    while messages := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60, MessageAttributeNames=["All"]
    ).get("Messages"):
        yield from messages


def redrive_dead_letters(target: Target, say: Say = print) -> int:
    """Every dead-letter queue's messages back to the queue they came from; how many moved."""
    sqs = target.client("sqs")
    moved = 0
    for source, dead in dead_letter_queues():
        dead_url, source_url = target.physical(dead), target.physical(source)
        waiting = _waiting(target, dead_url)
        if not waiting:
            say(f"  {dead}: empty")
            continue
        if not target.local:
            task = sqs.start_message_move_task(SourceArn=_queue_arn(target, dead_url))
            say(f"  {dead}: {waiting} message(s) moving back to {source} (task {task['TaskHandle'][:16]}...)")
            moved += waiting
            continue
        count = 0
        for message in _receive(target, dead_url):  # what StartMessageMoveTask does, one by one
            attributes = message.get("MessageAttributes") or {}
            sqs.send_message(QueueUrl=source_url, MessageBody=message["Body"], MessageAttributes=attributes)
            sqs.delete_message(QueueUrl=dead_url, ReceiptHandle=message["ReceiptHandle"])
            count += 1
        say(f"  {dead}: {count} message(s) moved back to {source}")
        moved += count
    return moved


def _sequence(value: str) -> int:
    return int(value)


def stream_keys(target: Target, info: dict[str, Any]) -> set[str] | None:
    """The PO keys of the records a DDBStreamBatchInfo names, read back from the stream; None when
    the stream no longer holds them (records live 24 hours, or the shard is gone)."""
    client = target.client("dynamodbstreams")
    first, last = _sequence(info["startSequenceNumber"]), _sequence(info["endSequenceNumber"])
    try:
        iterator = client.get_shard_iterator(
            StreamArn=info["streamArn"],
            ShardId=info["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info["startSequenceNumber"],
        )["ShardIterator"]
        keys: set[str] = set()
        while iterator:
            page = client.get_records(ShardIterator=iterator, Limit=1000)
            for record in page["Records"]:
                if _sequence(record["dynamodb"]["SequenceNumber"]) > last:
                    return keys
                if _sequence(record["dynamodb"]["SequenceNumber"]) >= first:
                    pk = record["dynamodb"]["Keys"]["PK"]["S"]
                    if pk.startswith("ORG#") and "#PO#" in pk:
                        keys.add(pk)
            if not page["Records"]:
                return keys
            iterator = page.get("NextShardIterator")
        return keys
    except ClientError as error:
        if error.response["Error"]["Code"] in (
            "TrimmedDataAccessException",
            "ResourceNotFoundException",
            "ValidationException",
        ):
            return None
        raise


def redrive_stream_failures(target: Target, say: Say = print) -> tuple[int, int]:
    """Each stream failure record's POs recomputed (then the record is deleted); records the stream
    no longer holds are reported and kept. Returns (records redriven, records reported)."""
    sqs = target.client("sqs")
    redriven = reported = 0
    for function, queue in stream_failure_queues():
        url = target.physical(queue)
        for message in _receive(target, url):
            info = json.loads(message["Body"]).get("DDBStreamBatchInfo") or {}
            keys = stream_keys(target, info) if info else None
            where = (
                f"shard {info.get('shardId')} sequence {info.get('startSequenceNumber')}.."
                f"{info.get('endSequenceNumber')} ({info.get('batchSize')} record(s), "
                f"written {info.get('approximateArrivalOfFirstRecord')}"
                f" to {info.get('approximateArrivalOfLastRecord')})"
            )
            if keys is None:
                say(
                    f"  {queue}: {where} is no longer in the stream: kept in the queue. Recompute the "
                    "orgs written then: make recompute ORG=<org>"
                )
                reported += 1
                continue
            _, failed = recompute_keys(target, sorted(keys), say)
            if failed:
                say(f"  {queue}: {where}: {len(failed)} PO(s) failed again: kept in the queue")
                continue
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            say(f"  {queue}: {where}: {len(keys)} PO(s) recomputed through {function}")
            redriven += 1
    return redriven, reported


def redrive_failed_rounds(target: Target, say: Say = print) -> int:
    """Failed approval executions (e.g. RoundNotRecorded) redriven from the state that failed."""
    sfn = target.client("stepfunctions")
    arn = target.physical(STATE_MACHINE)
    failed = [
        execution["executionArn"]
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn, statusFilter="FAILED")
        for execution in page["executions"]
    ]
    for execution in failed:
        if target.local:
            say(f"  {execution}: failed; moto cannot redrive executions (deployed: RedriveExecution)")
            continue
        sfn.redrive_execution(executionArn=execution)
        say(f"  {execution}: redriven")
    return len(failed)


def redrive(target: Target, say: Say = print) -> int:
    say("redrive: dead-letter queues")
    redrive_dead_letters(target, say)
    say("redrive: stream failure queues")
    _, reported = redrive_stream_failures(target, say)
    say("redrive: failed approval rounds")
    redrive_failed_rounds(target, say)
    return 1 if reported else 0


# --- command line ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.repair", description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", default="http://127.0.0.1:3000", help="the local cloud (make dev)")
    where.add_argument("--stack", help="a deployed stack's name (AWS credentials from the environment)")
    commands = parser.add_subparsers(dest="command", required=True)
    again = commands.add_parser("recompute", help="recompute one PO or every PO of an org")
    again.add_argument("--org", required=True)
    again.add_argument("--po", help="one PO's id (default: every PO of the org)")
    commands.add_parser("redrive", help="redrive every dead-letter and stream failure queue")
    args = parser.parse_args(argv)
    target = stack_target(args.stack) if args.stack else local_target(args.url)
    if args.command == "recompute":
        return recompute(target, args.org, args.po or None)
    return redrive(target)


if __name__ == "__main__":
    sys.exit(main())
