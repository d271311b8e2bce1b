"""The app on moto, in process: the template's table, its handlers, API Gateway events, a call counter.

Built after `bench.env.configure()`: Powertools and the app's settings read the environment when the
handler module is imported. Event and context shapes follow tests/conftest.py (copied, not imported).
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from bench import env


@dataclass
class LambdaContext:
    function_name: str = "po-api"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:po-api"
    aws_request_id: str = "bench-request"
    log_group_name: str = "/aws/lambda/po-api"
    log_stream_name: str = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def claims(org: str, role: str = "buyer") -> dict[str, str]:
    return {
        "sub": f"bench-{role}",
        "email": f"{role}@{org}.test",
        "custom:org_id": org,
        "cognito:groups": role,
    }


def api_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    caller: dict[str, str],
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as the Cognito authorizer hands it to Lambda."""
    headers = {"Content-Type": "application/json", **(headers or {})}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {key: [value] for key, value in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": "bench-request",
            "stage": "bench",
            "httpMethod": method,
            "path": path,
            "authorizer": {"claims": caller},
            "identity": {"sourceIp": "127.0.0.1"},
        },
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
    (`ns`: the whole botocore call) and, of that, in moto's request handling (`server_ns`)."""

    counts: Counter[str] = field(default_factory=Counter)
    ns: int = 0
    server_ns: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self, exclude: str | None = None) -> str:
        parts = [f"{op}={n}" for op, n in sorted(self.counts.items()) if op != exclude]
        return " ".join(parts) or "none"


class CallCounter:
    """Wraps botocore's BaseClient._make_api_call, the one path every client takes (boto3's, pynamodb's,
    Powertools'), whenever and however the client was made. Only DynamoDB calls are recorded.

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
            if recording is None or client.meta.service_model.service_name != "dynamodb":
                return make_api_call(client, operation_name, api_params)
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
    def record(self) -> Iterator[Calls]:
        calls, previous = Calls(), self._recording
        self._recording = calls
        try:
            yield calls
        finally:
            self._recording = previous


# --- the local cloud --------------------------------------------------------------------------------


class Cloud:
    """moto (mock_aws) with the template's PurchaseOrdersTable; handler modules load on first use."""

    def __init__(self) -> None:
        env.configure()
        # Metrics are disabled here, so every request would warn that it published none.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        import boto3
        from moto import mock_aws

        from local import template

        self._mock = mock_aws()
        self._mock.start()
        self.table_name = env.TABLE_NAME
        self.dynamodb = boto3.client("dynamodb")
        self._definition = template.table_definition("PurchaseOrdersTable", self.table_name)
        self.dynamodb.create_table(**self._definition)
        self._template = template
        self.functions = template.functions({"PurchaseOrdersTable": self.table_name})
        self._modules: dict[str, ModuleType] = {}
        self.calls = CallCounter()
        self.calls.install()

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
    ) -> Reply:
        event = api_event(method, path, body, caller=claims(org), headers=headers, query=query)
        response = self.po_api.lambda_handler(event, LambdaContext())
        text = response.get("body") or ""
        return Reply(int(response["statusCode"]), json.loads(text) if text else None)

    def reset_table(self) -> None:
        """An empty table again. moto's TransactWriteItems deep-copies every table for its rollback,
        so each transaction costs time in proportion to what earlier sections left behind."""
        self.dynamodb.delete_table(TableName=self.table_name)
        self.dynamodb.create_table(**self._definition)

    def close(self) -> None:
        self.calls.uninstall()
        self._mock.stop()
