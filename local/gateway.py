"""The local API gateway: template.yaml's Api routes over HTTP, invoking the handlers in process.

Each request becomes the REST API (v1) Lambda proxy event API Gateway would send, with the
Cognito authorizer's claims from an ID token of the template's user pool, verified against the
pool's JWKS (`local.cognito`), and the handler's
answer becomes the HTTP response the way API Gateway maps it.

Where this differs from API Gateway, on purpose:
- an unknown path is a 404 problem and a known path with another method a 405 problem (with
  `Allow`); API Gateway answers both with 403 "Missing Authentication Token";
- URLs carry no stage prefix, as through a custom domain (`requestContext.stage` still names it);
- no Lambda timeout or payload limits are enforced;
- one invocation runs at a time in this process, as in a single warm execution environment, so
  handler modules need not be thread safe; a handler running past its Timeout is logged, not
  killed.
Like API Gateway: `path` and `pathParameters` are passed as sent (percent-encoded), a body is
text (invalid UTF-8 replaced) unless its Content-Type is one of the API's BinaryMediaTypes (then
base64), and gateway errors (401, 403, 413, 429, 5xx) use the template's own GatewayResponses bodies.
In API Gateway's order: the authorizer (401), then on a route that requires an API key the key
(`x-api-key`, 403 unless a usage plan of the stage holds it), the key's own throttle (its plan's
rate and burst, 429) and the stage's `MethodSettings` throttle (429, every request it routes), as
`local.usage_plans` keeps them.
Besides the template's routes, public pages of the local cloud: /openapi.json, /docs, and
under /_local/ the outbox of emails the topics sent (`local.outbox`), the embedded AWS's
endpoint and resource names (`GET /_local/aws`) and Lambda's Invoke API (`/_local/lambda/...`),
which `local.repair` uses to reach the local cloud the way it reaches a deployed stack.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import socket
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aws_lambda_powertools.event_handler.openapi import swagger_ui
from werkzeug.serving import LISTEN_QUEUE, ThreadedWSGIServer, WSGIRequestHandler

from local import cognito, lambda_events, runtime, template, usage_plans
from local import outbox as outboxes
from local.routes import Match, MethodNotAllowed, Router
from purchasing.api import cors
from purchasing.api.problems import PROBLEM_JSON, problem_body

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
LOCAL_PREFIX = "/_local/"  # the local cloud's own routes (the outbox): public, never the template's
SWAGGER_UI = Path(str(swagger_ui.__file__)).parent  # Powertools ships Swagger UI: served offline
DOCS_ASSETS = {
    "/docs/swagger-ui-bundle.min.js": ("swagger-ui-bundle.min.js", "text/javascript; charset=utf-8"),
    "/docs/swagger-ui.min.css": ("swagger-ui.min.css", "text/css; charset=utf-8"),
}
_PHRASES = {status.value: status.phrase for status in HTTPStatus}
_HOP_BY_HOP = {"content-length", "connection", "transfer-encoding", "keep-alive"}


# --- requests and replies -------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    target: str  # path and query, as sent
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    host: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        found = [value for key, value in self.headers if key.lower() == name.lower()]
        return found[-1] if found else None


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    integration: bool = False  # an integration's answer (function, CORS mock), headers as it gave them

    def header(self, name: str) -> str | None:
        found = [value for key, value in self.headers if key.lower() == name.lower()]
        return found[-1] if found else None


# --- the Lambda side ----------------------------------------------------------------------------------


class LambdaContext:
    """The context object the Python runtime passes to a handler."""

    def __init__(self, spec: template.FunctionSpec, request_id: str) -> None:
        name = f"{template.resolve({'Ref': 'AWS::StackName'}, {})}-{spec.logical_id}"
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{template.REGION}:{template.ACCOUNT}:function:{name}"
        self.memory_limit_in_mb = int(template.function_setting(spec.logical_id, "MemorySize", 128))
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self.identity = None
        self.client_context = None
        self.timeout_seconds = float(template.function_setting(spec.logical_id, "Timeout", 3))
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class _Instance:
    """One warm instance of a function: its module (its own copy of the layer), one event at a time."""

    number: int
    busy: bool = False
    module: ModuleType | None = None


class Invoker:
    """Runs the template's functions in this process, each with only its own environment, credentials
    and copy of the shared layer (`local.runtime`), as in Lambda: an event goes to a free instance
    of its function, or to a new one (a cold start) up to INSTANCES, so different functions, and
    one function's events from different stream lanes, run at the same time."""

    INSTANCES = 4  # per function: what one machine's few cores make of Lambda's concurrency
    # A cold start costs seconds here (each instance imports the layer again, one at a time): a short
    # wait for a warm instance is cheaper, and only an event held up behind a long one scales out.
    SCALE_AFTER_SECONDS = 0.5

    def __init__(
        self, specs: dict[str, template.FunctionSpec], runtimes: runtime.Runtimes | None = None
    ) -> None:
        self.specs = specs
        self.runtimes = runtimes or runtime.Runtimes(specs)
        self._instances: dict[str, list[_Instance]] = {logical_id: [] for logical_id in specs}
        self._freed = threading.Condition()

    def load_all(self) -> None:
        self.runtimes.refresh()
        for logical_id in self.specs:
            with self._instance(logical_id) as instance:
                self._load(logical_id, instance)

    def _load(self, logical_id: str, instance: _Instance) -> ModuleType:
        """The instance's module, imported as its cold start would."""
        if instance.module is None:
            with self.runtimes.loading(logical_id, instance.number):
                instance.module = template.load_module(self.specs[logical_id], fresh=True)
        return instance.module

    @contextmanager
    def _instance(self, logical_id: str) -> Iterator[_Instance]:
        """A free instance, held for the duration. When every one is busy: the first one freed, or a
        new one (a cold start) once the event has waited SCALE_AFTER_SECONDS and there may be more."""
        instances = self._instances[logical_id]
        scale_at = time.monotonic() + self.SCALE_AFTER_SECONDS
        with self._freed:
            while True:
                free = next((instance for instance in instances if not instance.busy), None)
                may_scale = len(instances) < self.INSTANCES
                if free is None and may_scale and (not instances or time.monotonic() >= scale_at):
                    free = _Instance(len(instances))
                    instances.append(free)
                if free is not None:
                    free.busy = True
                    break
                self._freed.wait(timeout=max(0.0, scale_at - time.monotonic()) if may_scale else None)
        try:
            yield free
        finally:
            with self._freed:
                free.busy = False
                self._freed.notify_all()

    def invoke(self, logical_id: str, event: dict[str, Any], request_id: str | None = None) -> Any:
        spec = self.specs[logical_id]
        with self._instance(logical_id) as instance:
            handler: Callable[[dict[str, Any], Any], Any] = getattr(
                self._load(logical_id, instance), spec.handler_name
            )
            with self.runtimes.running(logical_id, instance.number):
                context = LambdaContext(spec, request_id or str(uuid.uuid4()))
                started = time.monotonic()
                try:
                    return handler(event, context)
                finally:
                    elapsed = time.monotonic() - started
                    if elapsed > context.timeout_seconds:
                        limit = context.timeout_seconds
                        log(f"warning: {logical_id} ran {elapsed:.1f}s, past its {limit:g}s Timeout")


# --- the gateway ----------------------------------------------------------------------------------------


class Gateway:
    def __init__(
        self,
        invoker: Invoker,
        router: Router,
        authorize: Callable[[str | None], dict[str, str]],
        openapi: Callable[[], dict[str, Any]] | None = None,
        outbox: outboxes.Outbox | None = None,
        aws: dict[str, Any] | None = None,
        api_keys: Callable[[str], usage_plans.ClientKey | None] = lambda _: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.invoker = invoker
        self.outbox = outbox
        self.aws = aws  # the embedded AWS's endpoint and the resources' names, for `local.repair`
        self.router = router
        self.authorize = authorize  # Authorization header -> the authorizer's claims (cognito.Verifier)
        self.stage = str(template.resolve({"Ref": "Stage"}, {})) or "local"
        self.api_keys = api_keys  # x-api-key's value -> the key and its plan's throttle, if valid here
        self.stage_throttle = usage_plans.stage_throttle()
        self._buckets = usage_plans.Buckets(clock)
        self._openapi = openapi
        self._openapi_json: bytes | None = None
        self._openapi_lock = threading.Lock()
        self._responses = _gateway_responses()
        # the local cloud's other pages (the console, its sign-in): each answers its own paths
        self.pages: list[Callable[[Request], Reply | None]] = []
        self._cors_settings = _cors_settings()
        self.allowed_origins = self._cors_settings.get("AllowOrigin", "")
        self._gateway_cors = any(  # do the template's GatewayResponses carry the CORS origin?
            str(key).lower() == "access-control-allow-origin"
            for spec in self._responses.values()
            for key in ((spec.get("ResponseParameters") or {}).get("Headers") or {})
        )
        self.binary_media_types = [
            str(media_type).replace("~1", "/").lower()
            for api in template.resources("AWS::Serverless::Api").values()
            for media_type in api.get("BinaryMediaTypes") or []
        ]

    def handle(self, request: Request) -> Reply:
        request_id = str(uuid.uuid4())
        reply = self._handle(request, request_id)
        if not reply.integration and self._gateway_cors:
            self._cors(reply, request.header("Origin"))
        reply.headers.append(("x-amzn-RequestId", request_id))
        return reply

    # -- CORS, from the template's Cors and GatewayResponses settings (API Gateway answers these)

    def _cors(self, reply: Reply, origin: str | None) -> None:
        """The gateway's own answers (errors, local pages) carry the origin header the template's
        GatewayResponses declare, naming the caller's origin if AllowedOrigins allow it; an
        integration's answers carry what it put on them (purchasing.api.cors), as in AWS."""
        reply.headers = [(key, value) for key, value in reply.headers if key.lower() not in _CORS_KEYS]
        reply.headers += list(cors.headers(origin, self.allowed_origins).items())

    def preflight(self, origin: str | None, allowed: list[str]) -> Reply:
        """What API Gateway's mock integration answers to OPTIONS on a route of a Cors API."""
        settings = self._cors_settings
        headers = [
            ("Access-Control-Allow-Methods", settings.get("AllowMethods", ",".join(allowed))),
            ("Access-Control-Allow-Headers", settings.get("AllowHeaders", "")),
            ("Access-Control-Max-Age", settings.get("MaxAge", "")),
            ("Content-Type", "application/json"),
            *cors.headers(origin, self.allowed_origins).items(),
        ]
        return Reply(200, [(key, value) for key, value in headers if value], integration=True)

    def _handle(self, request: Request, request_id: str) -> Reply:
        if len(request.body) > MAX_BODY:
            return self.gateway_response("REQUEST_TOO_LARGE", 413, "Request Too Long")
        target = urlsplit(request.target)
        path = target.path or "/"
        if path.startswith(LOCAL_PREFIX):  # the local cloud's own pages: never a template route
            return self.local_route(request, path)
        for serve_page in self.pages:
            served = serve_page(request)
            if served is not None:
                return served
        found = self.router.match(request.method, path)
        if isinstance(found, Match):
            claims: dict[str, str] | None = None
            if found.endpoint.authorizer is not None:
                try:
                    claims = self.authorize(request.header("Authorization"))
                except cognito.InvalidToken as error:
                    # the client is told nothing more; the log says why (a token that worked a moment ago)
                    log(f"authorizer: 401 for {request.method} {_loggable(path)}: {error}")
                    return self.gateway_response("UNAUTHORIZED", 401, "Unauthorized")
            refused = self.admit(request, found.endpoint.api_key_required)
            if refused is not None:
                return refused
            event = self.event(request, found, target.query, claims, request_id)
            try:
                result = self.invoker.invoke(found.endpoint.route.function, event, request_id)
            except Exception as error:  # an unhandled error in a handler: API Gateway gives 502
                log(f"error: {found.endpoint.route.function} raised {error!r}")
                traceback.print_exc()
                return self.gateway_response("DEFAULT_5XX", 502, "Internal server error")
            return self.lambda_reply(result)
        if request.method == "OPTIONS" and isinstance(found, MethodNotAllowed) and self._cors_settings:
            return self.admit(request, api_key_required=False) or self.preflight(
                request.header("Origin"), found.allowed
            )
        if request.method in ("GET", "HEAD"):
            page = self.local_page(path, target.query)
            if page is not None:
                return page
        if isinstance(found, MethodNotAllowed):
            reply = problem(
                405,
                "Method not allowed",
                f"{path} does not accept {request.method}; it accepts {', '.join(found.allowed)}",
                "method-not-allowed",
            )
            reply.headers.append(("Allow", ", ".join(found.allowed)))
            return reply
        return problem(404, "Not found", f"no route for {request.method} {path}", "not-found")

    # -- API keys and throttling

    def admit(self, request: Request, api_key_required: bool) -> Reply | None:
        """None when the request may go on; else API Gateway's 403 (no valid key) or 429 (throttled):
        the key's plan throttles it first, then the stage throttles every request."""
        if api_key_required:
            key = self.api_keys(request.header("x-api-key") or "")
            if key is None:
                return self.gateway_response("INVALID_API_KEY", 403, "Forbidden")
            if key.throttle is not None and not self._buckets.take(f"key:{key.id}", key.throttle):
                return self.gateway_response("THROTTLED", 429, "Too Many Requests")
        if self.stage_throttle is not None and not self._buckets.take("stage", self.stage_throttle):
            return self.gateway_response("THROTTLED", 429, "Too Many Requests")
        return None

    # -- the proxy event and the proxy response

    def event(
        self,
        request: Request,
        match: Match,
        query: str,
        claims: dict[str, str] | None,
        request_id: str,
    ) -> dict[str, Any]:
        """The REST API Lambda proxy event (payload 1.0), as API Gateway builds it."""
        extra = {
            "X-Forwarded-For": request.source_ip,
            "X-Forwarded-Proto": "http",
            "X-Forwarded-Port": request.host.rpartition(":")[2] if ":" in request.host else "80",
            "X-Amzn-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}",
        }
        present = {key.lower() for key, _ in request.headers}
        headers = [
            *request.headers,
            *((key, value) for key, value in extra.items() if key.lower() not in present),
        ]
        body: str | None = None
        is_base64 = False
        if request.body:
            media_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
            if any(fnmatch.fnmatchcase(media_type, pattern) for pattern in self.binary_media_types):
                body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
            else:  # a text payload: API Gateway passes it on as UTF-8 text
                body = request.body.decode("utf-8", errors="replace")
        return lambda_events.proxy_event(
            request.method,
            urlsplit(request.target).path,
            match,
            headers=headers,
            query=parse_qsl(query, keep_blank_values=True),
            body=body,
            is_base64=is_base64,
            claims=claims,
            request_id=request_id,
            stage=self.stage,
            client=lambda_events.Client(request.source_ip, request.host, request.header("User-Agent")),
        )

    def lambda_reply(self, result: Any) -> Reply:
        """A proxy integration response mapped to HTTP; anything malformed is a 502, as in AWS."""
        try:
            if not isinstance(result, dict):
                raise _Malformed(f"the handler returned {type(result).__name__}, not an object")
            status = _reply_status(result.get("statusCode"))
            content = _reply_content(result)
            headers = _reply_headers(result)
        except _Malformed as why:
            return self._malformed(str(why))
        return Reply(status, headers, content, integration=True)

    def _malformed(self, why: str) -> Reply:
        log(f"error: malformed Lambda proxy response: {why}")
        return self.gateway_response("DEFAULT_5XX", 502, "Internal server error")

    def gateway_response(self, kind: str, status: int, message: str) -> Reply:
        """A response API Gateway makes itself, rendered from the template's GatewayResponses."""
        fallback = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
        spec = self._responses.get(kind) or self._responses.get(fallback)
        if spec is None:
            return problem(status, message, message, kind.lower().replace("_", "-"))
        status = int(spec.get("StatusCode") or status)
        text = str(
            (spec.get("ResponseTemplates") or {}).get("application/json") or json.dumps({"message": message})
        )
        text = text.replace("$context.error.statusCode", str(status))
        text = text.replace("$context.error.messageString", json.dumps(message))
        text = text.replace("$context.error.message", message)
        headers = [
            (str(key), str(value).strip("'"))
            for key, value in ((spec.get("ResponseParameters") or {}).get("Headers") or {}).items()
        ]
        if not any(key.lower() == "content-type" for key, _ in headers):
            headers.append(("Content-Type", "application/json"))
        return Reply(status, headers, text.encode("utf-8"))

    # -- pages the local cloud adds: the OpenAPI document and Swagger UI, both public

    def openapi_json(self) -> bytes:
        """The document, built once: Powertools' schema building is not safe to run twice at once
        (concurrent first requests failed with a KeyError), so the first builds, the others wait."""
        assert self._openapi is not None
        with self._openapi_lock:
            if self._openapi_json is None:
                self._openapi_json = json.dumps(self._openapi(), indent=2).encode()
            return self._openapi_json

    def local_page(self, path: str, query: str) -> Reply | None:
        if path == "/openapi.json" and self._openapi is not None:
            return Reply(200, [("Content-Type", "application/json")], self.openapi_json())
        if path in ("/docs", "/docs/"):
            return Reply(200, [("Content-Type", "text/html; charset=utf-8")], _DOCS_HTML.encode())
        if path in DOCS_ASSETS:
            file_name, content_type = DOCS_ASSETS[path]
            return Reply(
                200,
                [("Content-Type", content_type), ("Cache-Control", "public, max-age=86400")],
                (SWAGGER_UI / file_name).read_bytes(),
            )
        return None

    # -- the local cloud's own routes, under /_local/, public: the outbox

    def local_route(self, request: Request, path: str) -> Reply:
        parts = path[len(LOCAL_PREFIX) :].strip("/").split("/")
        if parts[0] == "aws" and len(parts) == 1 and request.method == "GET" and self.aws is not None:
            return _json(200, self.aws)
        if parts[0] == "lambda" and request.method == "POST":
            return self.lambda_invoke(request, parts[1:])
        box = self.outbox.topics if parts[0] == "events" and self.outbox is not None else self.outbox
        if parts[0] not in ("outbox", "events") or box is None or len(parts) > 2:
            return problem(404, "Not found", f"no local page at {path}", "not-found")
        allowed = ["GET", "HEAD", "DELETE"] if len(parts) == 1 else ["GET", "HEAD"]
        if request.method not in allowed:
            reply = problem(
                405, "Method not allowed", f"{path} accepts {', '.join(allowed)}", "method-not-allowed"
            )
            reply.headers.append(("Allow", ", ".join(allowed)))
            return reply
        if request.method == "DELETE":
            return _json(200, {"deleted": box.clear()})
        return _outbox_page(request, path, parts, box)

    def lambda_invoke(self, request: Request, parts: list[str]) -> Reply:
        """Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`, synchronous) under
        /_local/lambda, so that boto3's Lambda client with that endpoint invokes a function here."""
        if len(parts) != 4 or parts[:2] != ["2015-03-31", "functions"] or parts[3] != "invocations":
            return problem(404, "Not found", "no such Lambda API path", "not-found")
        if parts[2] not in self.invoker.specs:
            return _json(404, {"Type": "User", "message": f"Function not found: {parts[2]}"})
        try:
            event = json.loads(request.body or b"{}")
        except ValueError:
            return _json(400, {"Type": "User", "message": "the payload is not JSON"})
        try:
            result = self.invoker.invoke(parts[2], event)
        except Exception as error:  # as Lambda: 200, the error in the payload, X-Amz-Function-Error
            body = {"errorMessage": str(error), "errorType": type(error).__name__}
            reply = _json(200, body)
            reply.headers.append(("X-Amz-Function-Error", "Unhandled"))
            return reply
        return _json(200, result)


def _outbox_page(request: Request, path: str, parts: list[str], box: outboxes.Outbox) -> Reply:
    """/_local/outbox or /_local/events (a list), or one message of it: JSON when asked, else a page."""
    wants_json = "application/json" in (request.header("Accept") or "").lower()
    topics = parts[0] == "events"
    if len(parts) == 1:
        items = box.items()
        if wants_json:
            return _json(200, {"items": items})
        html = outboxes.page(items, "Local topic messages" if topics else "Local outbox", topics=topics)
        return Reply(200, list(outboxes.HEADERS), html.encode())
    email = box.get(parts[1])
    if email is None:
        return problem(404, "Not found", f"no message {parts[1]} in {path.rsplit('/', 1)[0]}", "not-found")
    if wants_json:
        return _json(200, email)
    html = outboxes.page([email], f"Local {parts[0]}: {email.get('subject') or email['id']}", topics=topics)
    return Reply(200, list(outboxes.HEADERS), html.encode())


class _Malformed(Exception):
    """A Lambda proxy response API Gateway cannot map to HTTP (it answers 502)."""


def _reply_status(status: Any) -> int:
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise _Malformed(f"statusCode {status!r} is not an HTTP status")
    return status


def _reply_content(result: dict[str, Any]) -> bytes:
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise _Malformed("body is not a string")
    if not result.get("isBase64Encoded"):
        return (body or "").encode("utf-8")
    try:
        return base64.b64decode(body or "", validate=True)
    except ValueError:
        raise _Malformed("isBase64Encoded but the body is not base64") from None


def _reply_headers(result: dict[str, Any]) -> list[tuple[str, str]]:
    """multiValueHeaders, then the headers it does not name; hop-by-hop ones dropped, JSON by default."""
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        raise _Malformed("headers must be objects")
    headers = [
        (str(key), str(value))
        for key, values in multi.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    in_multi = {str(key).lower() for key in multi}
    headers += [(str(key), str(value)) for key, value in single.items() if str(key).lower() not in in_multi]
    headers = [(key, value) for key, value in headers if key.lower() not in _HOP_BY_HOP]
    if not any(key.lower() == "content-type" for key, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return headers


def _json(status: int, body: Any) -> Reply:
    return Reply(
        status,
        [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
        json.dumps(body).encode(),
    )


def problem(status: int, title: str, detail: str, type_: str) -> Reply:
    body = problem_body(status, title, detail, type_=type_)
    return Reply(status, [("Content-Type", PROBLEM_JSON)], json.dumps(body).encode())


_CORS_KEYS = {"access-control-allow-origin", "access-control-expose-headers", "vary"}


def _cors_settings() -> dict[str, str]:
    """The API's Cors settings (SAM's quoted header values) resolved for the local stack."""
    settings: dict[str, str] = {}
    for api in template.resources("AWS::Serverless::Api").values():
        for key, value in (api.get("Cors") or {}).items():
            settings.setdefault(str(key), str(template.resolve(value, {})).strip("'"))
    return settings


def _gateway_responses() -> dict[str, dict[str, Any]]:
    responses: dict[str, dict[str, Any]] = {}
    for api in template.resources("AWS::Serverless::Api").values():
        for kind, spec in (api.get("GatewayResponses") or {}).items():
            responses.setdefault(str(kind), dict(spec))
    return responses


_DOCS_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Purchase orders API (local)</title>
  <link rel="stylesheet" href="/docs/swagger-ui.min.css">
</head>
<body>
  <div id="swagger-ui">Loading...</div>
  <script src="/docs/swagger-ui-bundle.min.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      presets: [SwaggerUIBundle.presets.apis],
    });
  </script>
</body>
</html>
"""


# --- HTTP ------------------------------------------------------------------------------------------------


def log(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class _RequestHandler(WSGIRequestHandler):
    """werkzeug's handler; the gateway logs one line per request itself (tokens masked)."""

    server_version = "local-api-gateway"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - werkzeug's signature
        log(f"{type}: {message % args}")


class Server(ThreadedWSGIServer):
    """werkzeug's threaded WSGI server (a thread per connection, a listen backlog of 128)."""

    gateway: Gateway


def bind(host: str, port: int) -> socket.socket:
    """The gateway's listening socket. A port in use is an OSError for the caller (werkzeug would
    exit): the local cloud binds it first, so that `make dev` on a taken port says so at once."""
    return socket.create_server((host, port), backlog=LISTEN_QUEUE)


def serve(gateway: Gateway, host: str, port: int, bound: socket.socket | None = None) -> Server:
    """The gateway on `bound` (or on host:port, bound here); the caller runs `serve_forever` (in a
    thread) and shuts down."""
    with bound or bind(host, port) as bound:
        host, port = bound.getsockname()[:2]
        server = Server(host, port, wsgi_app(gateway), handler=_RequestHandler, fd=bound.fileno())
    server.gateway = gateway
    return server


def wsgi_app(gateway: Gateway) -> Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]:
    """The gateway as a WSGI application: the environ becomes a `Request`, the `Reply` the response."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        started = time.monotonic()
        method = str(environ["REQUEST_METHOD"])
        target = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO") or "/")
        try:
            body = _read_body(environ)
        except OSError:
            reply = problem(
                400, "Bad request", "the request body is not valid chunked encoding", "bad-request"
            )
        else:
            if body is None:
                reply = gateway.gateway_response("REQUEST_TOO_LARGE", 413, "Request Too Long")
            else:
                request = Request(
                    method=method,
                    target=target,
                    headers=_headers(environ),
                    body=body,
                    source_ip=str(environ.get("REMOTE_ADDR") or "127.0.0.1"),
                    host=str(
                        environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
                    ),
                )
                try:
                    reply = gateway.handle(request)
                except Exception as error:  # the gateway itself failed: say so, keep serving
                    log(f"error: gateway failed: {error!r}")
                    reply = gateway.gateway_response("DEFAULT_5XX", 500, "Internal server error")
        headers = [(key, value) for key, value in reply.headers if key.lower() not in _HOP_BY_HOP]
        headers.append(("Content-Length", str(len(reply.body))))
        start_response(f"{reply.status} {_PHRASES.get(reply.status, 'Unknown')}", headers)
        elapsed = (time.monotonic() - started) * 1000
        log(f"{method} {_loggable(urlsplit(target).path)} {reply.status} {elapsed:.1f}ms")
        return [] if method == "HEAD" else [reply.body]

    return app


def _read_body(environ: dict[str, Any]) -> bytes | None:
    """The body, or None when it is over API Gateway's limit (then it is not read at all)."""
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):  # chunked: werkzeug de-chunks, we stop past the limit
        body = stream.read(MAX_BODY + 1)
        return None if len(body) > MAX_BODY else bytes(body)
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise OSError("Content-Length is not a number") from None
    if length > MAX_BODY:
        return None
    return bytes(stream.read(length)) if length > 0 else b""


def _headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The request's headers from the WSGI environ (repeated ones joined by commas, as HTTP allows)."""
    headers = [
        (key[5:].replace("_", "-").title(), str(value))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers.append((name, str(environ[key])))
    return headers


def _loggable(path: str) -> str:
    """A signed link's token is its holder's credential (approver, partner, supplier): never logged."""
    return re.sub(r"^/(approvals|partner|supplier)/[^/]+", r"/\1/{token}", path)
