"""Lambda events as AWS builds them: the local gateway's proxy events, and the same events for
code that invokes handlers in process (tests, bench)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from local import template
from local.routes import Match, Router


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


@dataclass(frozen=True)
class Client:
    """Where a request came from, as API Gateway sees it."""

    source_ip: str = "127.0.0.1"
    host: str = "127.0.0.1"
    user_agent: str | None = None


def proxy_event(
    method: str,
    path: str,
    match: Match | None,
    *,
    headers: Iterable[tuple[str, str]] = (),
    query: Iterable[tuple[str, str]] = (),
    body: str | None = None,
    is_base64: bool = False,
    claims: Mapping[str, str] | None = None,
    request_id: str = "req-1",
    stage: str = "test",
    client: Client = Client(),
) -> dict[str, Any]:
    """The REST API Lambda proxy event (payload 1.0), as API Gateway builds it for a request the
    router matched (its resource and path parameters; `None`: a path no route serves)."""
    multi_headers: dict[str, list[str]] = {}
    for key, value in headers:
        multi_headers.setdefault(key, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for key, value in query:
        multi_query.setdefault(key, []).append(value)
    now = time.time()
    resource = match.endpoint.route.path if match else path
    request_context: dict[str, Any] = {
        "resourceId": f"{abs(hash(resource)) % 10**6:06d}",
        "resourcePath": resource,
        "httpMethod": method,
        "extendedRequestId": base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("="),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "path": path,  # as through a custom domain: the URL carries no stage
        "accountId": template.ACCOUNT,
        "protocol": "HTTP/1.1",
        "stage": stage,
        "domainPrefix": client.host.split(".")[0].split(":")[0],
        "requestTimeEpoch": int(now * 1000),
        "requestId": request_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": client.source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": client.user_agent,
            "user": None,
        },
        "domainName": client.host,
        "apiId": "local",
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": dict(claims)}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {key: values[-1] for key, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {key: values[-1] for key, values in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": (match.path_parameters or None) if match else None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


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
    """The proxy event of a JSON request to the template's API, as the Cognito authorizer hands it
    to Lambda with the `caller`'s claims, routed as API Gateway routes it."""
    found = router().match(method, path)
    return proxy_event(
        method,
        path,
        found if isinstance(found, Match) else None,
        headers={"Content-Type": "application/json", **(headers or {})}.items(),
        query=(query or {}).items(),
        body=raw_body if raw_body is not None else (json.dumps(body) if body is not None else None),
        claims=caller,
    )


@cache
def router() -> Router:
    """The template's routes (read once: the template does not change under a running test)."""
    return Router.from_template()
