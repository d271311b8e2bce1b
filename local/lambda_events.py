"""Lambda events as AWS builds them, for code that invokes handlers in process (tests, bench)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class LambdaContext:
    """Enough of Lambda's context for Powertools (logger, idempotency) in process."""

    function_name: str = "po-api"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:po-api"
    aws_request_id: str = "local-request"
    log_group_name: str = "/aws/lambda/po-api"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


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
