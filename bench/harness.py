"""The app on moto, in process: the template's table and events topic, its handlers, API Gateway events,
the table's stream as Lambda delivers it to the status consumer, and a call counter.

Built after `bench.env.configure()`: Powertools and the app's settings read the environment when the
handler module is imported. Event and context shapes follow tests/conftest.py (copied, not imported).
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from bench import env
from local.lambda_events import LambdaContext, api_event  # re-exported: the sections use them


def claims(org: str, role: str = "buyer") -> dict[str, str]:
    return {
        "sub": f"bench-{role}",
        "email": f"{role}@{org}.test",
        "custom:org_id": org,
        "cognito:groups": role,
        "token_use": "id",
    }


def new_po_body(lines: int) -> dict[str, Any]:
    """A PO whose lines name no part: a line's partId must name an existing part (looked up on create)."""
    return {
        "supplier": {"name": "Acme Metals", "email": "sales@acme-metals.example.com"},
        "currency": "USD",
        "lines": [
            {"description": f"Bolt M{6 + n}", "quantity": "10", "unitCost": "1.25"} for n in range(lines)
        ],
    }


@dataclass
class Reply:
    status: int
    body: Any


# --- counting DynamoDB calls ------------------------------------------------------------------------


@dataclass
class Calls:
    """DynamoDB calls made while a recording was open: count per operation, time spent inside them
    (`ns`: the whole botocore call) and, of that, in moto's request handling (`server_ns`).

    `requests` keeps each DynamoDB call's operation and parameters, in order, for sections that look
    inside them; `others` counts calls to any other service as "service.Operation" (untimed)."""

    counts: Counter[str] = field(default_factory=Counter)
    ns: int = 0
    server_ns: int = 0
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    others: Counter[str] = field(default_factory=Counter)
    thread: int | None = None  # when set, only calls made on this thread are recorded

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self, exclude: str | None = None) -> str:
        parts = [f"{op}={n}" for op, n in sorted(self.counts.items()) if op != exclude]
        return " ".join(parts) or "none"


class CallCounter:
    """Wraps botocore's BaseClient._make_api_call, the one path every client takes (boto3's, pynamodb's,
    Powertools'), whenever and however the client was made. DynamoDB calls are recorded in full,
    calls to other services (SNS...) only counted.

    It also times moto's BotocoreStubber.process_request (where moto turns the request into a response)
    during those calls, so that moto's share can be told apart from the client's."""

    def __init__(self) -> None:
        self._recording: Calls | None = None
        self._in_call: Calls | None = None
        self._patched: list[tuple[type, str, Any]] = []

    def install(self) -> None:
        from botocore.client import BaseClient
        from moto.core.botocore_stubber import BotocoreStubber

        make_api_call = vars(BaseClient)["_make_api_call"]
        process_request = vars(BotocoreStubber)["process_request"]

        def counted(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            recording = self._recording
            if recording is None or recording.thread not in (None, threading.get_ident()):
                return make_api_call(client, operation_name, api_params)
            service = client.meta.service_model.service_name
            if service != "dynamodb":
                recording.others[f"{service}.{operation_name}"] += 1
                return make_api_call(client, operation_name, api_params)
            recording.requests.append((operation_name, api_params))
            self._in_call = recording
            start = time.perf_counter_ns()
            try:
                return make_api_call(client, operation_name, api_params)
            finally:
                recording.ns += time.perf_counter_ns() - start
                recording.counts[operation_name] += 1
                self._in_call = None

        def served(stubber: Any, request: Any) -> Any:
            recording = self._in_call
            if recording is None:
                return process_request(stubber, request)
            start = time.perf_counter_ns()
            try:
                return process_request(stubber, request)
            finally:
                recording.server_ns += time.perf_counter_ns() - start

        self._patch(BaseClient, "_make_api_call", counted)
        self._patch(BotocoreStubber, "process_request", served)

    def _patch(self, owner: type, name: str, replacement: Any) -> None:
        self._patched.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, replacement)

    def uninstall(self) -> None:
        while self._patched:
            owner, name, original = self._patched.pop()
            setattr(owner, name, original)

    @contextmanager
    def record(self, this_thread: bool = False) -> Iterator[Calls]:
        """Calls made while open; with `this_thread`, only this thread's (moto's Step Functions
        runs executions on threads of its own, whose calls would otherwise count too)."""
        calls, previous = Calls(thread=threading.get_ident() if this_thread else None), self._recording
        self._recording = calls
        try:
            yield calls
        finally:
            self._recording = previous


def header_writes(calls: Calls, header_sk: str) -> int:
    """TransactWriteItems calls with an Update of a PO header item (SK `header_sk`) among their items."""
    return sum(
        1
        for operation, params in calls.requests
        if operation == "TransactWriteItems"
        and any(
            "Update" in item and item["Update"]["Key"].get("SK", {}).get("S") == header_sk
            for item in params.get("TransactItems", [])
        )
    )


# --- the local cloud --------------------------------------------------------------------------------


class Cloud:
    """moto (mock_aws) with the template's PurchaseOrdersTable and the PO events topic (SNS); handler
    modules load on first use. local.moto_fixes is applied, as in the tests: moto's TransactWriteItems
    then copies each table once per call instead of once per item (the same work, much less time)."""

    def __init__(self) -> None:
        env.configure()
        # Metrics are disabled here, so every request would warn that it published none.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        import boto3
        from moto import mock_aws

        from local import moto_fixes, template

        moto_fixes.apply()
        # Step Functions runs state machines (the approvals section); nothing else changes with it.
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        self.table_name = env.TABLE_NAME
        self.dynamodb = boto3.client("dynamodb")
        self._definition = template.table_definition("PurchaseOrdersTable", self.table_name)
        self.dynamodb.create_table(**self._definition)
        self.topic_arn = boto3.client("sns").create_topic(Name=env.TOPIC_NAME)["TopicArn"]
        self._template = template
        self.functions = template.functions(
            {"PurchaseOrdersTable": self.table_name, "PoEventsTopic": self.topic_arn}
        )
        self._modules: dict[str, ModuleType] = {}
        self._approvals = False
        self.calls = CallCounter()
        self.calls.install()

    def add_approvals(self) -> None:
        """What approvals need besides the table (once): the approvals topic, the link secret and
        the template's approval state machine from its own ASL file, as bench.env names them."""
        if self._approvals:
            return
        import boto3

        boto3.client("sns").create_topic(Name=env.APPROVALS_TOPIC_NAME)
        boto3.client("secretsmanager").create_secret(Name=env.LINK_SECRET_NAME, SecretString=env.LINK_SECRET)
        definition = self._template.state_machine_definition(
            "ApprovalStateMachine", {"PurchaseOrdersTable": self.table_name}
        )
        boto3.client("stepfunctions").create_state_machine(
            name=env.STATE_MACHINE_NAME,
            definition=definition,
            roleArn=f"arn:aws:iam::123456789012:role/{env.STATE_MACHINE_NAME}",
            type="STANDARD",
        )
        self._approvals = True

    def handler(self, logical_id: str) -> ModuleType:
        """A function's handler module, imported on first use under its template environment."""
        if logical_id not in self._modules:
            spec = self.functions[logical_id]
            os.environ.update(env.for_function(spec.environment))
            self._modules[logical_id] = self._template.load_module(spec)
        return self._modules[logical_id]

    @property
    def po_api(self) -> ModuleType:
        return self.handler("PoApiFunction")

    def invoke(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        org: str,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        function: str = "PoApiFunction",
        role: str = "buyer",
    ) -> Reply:
        """One API request to `function`'s handler (the PO API unless told, e.g. PoLifecycleFunction)."""
        event = api_event(method, path, body, caller=claims(org, role), headers=headers, query=query)
        response = self.handler(function).lambda_handler(event, LambdaContext())
        text = response.get("body") or ""
        return Reply(int(response["statusCode"]), json.loads(text) if text else None)

    def snapshot_table(self) -> Callable[[], None]:
        """The table as it is now, copied inside moto as moto copies it to roll a transaction back;
        calling the result puts that copy back in place of the table (once), e.g. to run the same
        workload twice from the same state. Its stream is put back too: read it with a new reader."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_REGION"]].tables
        table = tables[self.table_name]
        shard = table.stream_shard
        # Stream records never change once written: the copy gets a new list of the same records.
        shared = {id(record): record for record in (shard.items if shard is not None else [])}
        saved = copy.deepcopy(table, shared)

        def restore() -> None:
            tables[self.table_name] = saved

        return restore

    def stream(self) -> Stream:
        """A reader of the table's stream as it is now (reset_table makes a new table, a new stream)."""
        return Stream(self)

    def reset_table(self) -> None:
        """An empty table again. moto's TransactWriteItems deep-copies every table for its rollback,
        so each transaction costs time in proportion to what earlier sections left behind."""
        self.dynamodb.delete_table(TableName=self.table_name)
        self.dynamodb.create_table(**self._definition)

    def close(self) -> None:
        self.calls.uninstall()
        self._mock.stop()


class Stream:
    """The table's stream as Lambda hands it to StatusStreamFunction: records read from moto's own
    stream (from where the last read stopped), filtered with the template's FilterCriteria, delivered
    to the real handler. As tests/conftest.py's Stream does (copied, not imported)."""

    FUNCTION = "StatusStreamFunction"

    def __init__(self, cloud: Cloud) -> None:
        from local import event_filter, streams

        properties = cloud.functions[self.FUNCTION].events["TableStream"]["Properties"]
        self.batch_size = int(properties["BatchSize"])
        self.module = cloud.handler(self.FUNCTION)
        self._patterns = event_filter.filter_patterns(properties)
        self._matches = event_filter.matches
        table = cloud.dynamodb.describe_table(TableName=cloud.table_name)["Table"]
        self._client = streams.streams_client(os.environ["AWS_REGION"])
        self._reader = streams.StreamReader(self._client, table["LatestStreamArn"])

    def skip(self) -> None:
        """Move past every record written so far without reading them (a LATEST shard iterator):
        moto takes seconds to serve a few thousand records."""
        arn = self._reader.stream_arn
        for shard in self._client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            self._reader.iterators[shard_id] = self._client.get_shard_iterator(
                StreamArn=arn, ShardId=shard_id, ShardIteratorType="LATEST"
            )["ShardIterator"]

    def read(self) -> tuple[list[dict[str, Any]], int]:
        """The records written since the last read that the filter lets through, and how many were read."""
        records = self._reader.read()
        return [record for record in records if self._matches(self._patterns, record)], len(records)

    def deliver(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """One invocation of the consumer with these records as its event."""
        context = LambdaContext(function_name="status-stream")
        response: dict[str, Any] = self.module.lambda_handler({"Records": records}, context)
        return response


def submitted_pos(
    cloud: Cloud, stream: Stream, org: str, count: int, body: dict[str, Any]
) -> tuple[list[str], list[dict[str, Any]]]:
    """`count` POs made from `body` through the PO API, then submitted through the lifecycle API
    (each as its own request, as a client would). Returns their ids and the line records the submits
    put on the stream, filtered as Lambda would: what the status consumer gets next. The creates'
    records are skipped (for a DRAFT PO the consumer has nothing to do)."""
    ids: list[str] = []
    for _ in range(count):
        created = cloud.invoke("POST", "/pos", body, org=org)
        if created.status != 201:
            raise RuntimeError(f"could not create a PO: {created.status} {created.body}")
        ids.append(str(created.body["id"]))
    stream.skip()
    for po_id in ids:
        submitted = cloud.invoke("POST", f"/pos/{po_id}/submit", org=org, function="PoLifecycleFunction")
        if submitted.status != 202:
            raise RuntimeError(f"could not submit PO {po_id}: {submitted.status} {submitted.body}")
    records, _ = stream.read()
    return ids, records
