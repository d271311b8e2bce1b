"""Shared fixtures: Powertools env before any handler import, a Lambda context, API events,
and a moto table built from template.yaml's own properties."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

os.environ.update(
    TABLE_NAME="purchase-orders-test",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    POWERTOOLS_SERVICE_NAME="purchase-orders",
    POWERTOOLS_METRICS_NAMESPACE="PurchaseOrders",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING",
    POWERTOOLS_METRICS_DISABLED="true",
)

from moto import mock_aws  # noqa: E402

from local import template  # noqa: E402


@dataclass
class LambdaContext:
    function_name: str = "po-api"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:po-api"
    aws_request_id: str = "test-request"
    log_group_name: str = "/aws/lambda/po-api"
    log_stream_name: str = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def claims(
    org: str = "acme", email: str = "buyer@acme.example.com", role: str = "buyer", sub: str = "user-1"
) -> dict[str, str]:
    return {"sub": sub, "email": email, "custom:org_id": org, "cognito:groups": role}


def api_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    caller: dict[str, str] | None = None,
    raw_body: str | None = None,
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
        "body": raw_body if raw_body is not None else (json.dumps(body) if body is not None else None),
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": "req-1",
            "stage": "test",
            "httpMethod": method,
            "path": path,
            "authorizer": {"claims": caller} if caller is not None else None,
            "identity": {"sourceIp": "127.0.0.1"},
        },
    }


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


@pytest.fixture
def aws() -> Iterator[None]:
    """moto with the app's table created from template.yaml."""
    import boto3

    with mock_aws():
        boto3.client("dynamodb").create_table(
            **template.table_definition("PurchaseOrdersTable", os.environ["TABLE_NAME"])
        )
        yield


@pytest.fixture(scope="session")
def po_api_module() -> ModuleType:
    return template.load_module(template.functions()["PoApiFunction"])


class Api:
    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.caller = claims()

    def __call__(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        kwargs.setdefault("caller", self.caller)
        response = self.module.lambda_handler(api_event(method, path, body, **kwargs), LambdaContext())
        headers = {key: values[-1] for key, values in (response.get("multiValueHeaders") or {}).items()}
        headers.update(response.get("headers") or {})
        text = response.get("body") or ""
        return Reply(response["statusCode"], headers, json.loads(text) if text else None)


@pytest.fixture
def api(aws: None, po_api_module: ModuleType) -> Api:
    return Api(po_api_module)


def new_po_body(lines: int = 1, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "supplier": {"name": "Acme Metals", "email": "sales@acme-metals.example.com"},
        "currency": "USD",
        "lines": [
            {"description": f"Bolt M{6 + n}", "quantity": "10", "unitCost": "1.25", "partId": f"BOLT-{n}"}
            for n in range(lines)
        ],
    }
    body.update(overrides)
    return body
