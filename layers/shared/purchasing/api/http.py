"""What every API handler shares: path and header parameters, the caller, ETag'd responses."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from itertools import accumulate
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from purchasing import config
from purchasing.api import cors, pages
from purchasing.api.auth import principal_from_claims
from purchasing.api.problems import PROBLEM_JSON, problem_body, problem_responses, register_problem_handlers
from purchasing.domain.caller import ADMIN, APPROVER, BUYER, Principal
from purchasing.domain.errors import BadRequest
from purchasing.domain.model import PurchaseOrder

MAX_BODY_BYTES = 1_000_000
MAX_DEPTH = 20
"""Arrays and objects nested deeper than any request of this API needs: refused unparsed."""
MAX_NUMBER_CHARS = 40
"""A JSON number longer than this is refused before Python turns it into an int (or fails to)."""
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_LONG_NUMBER = re.compile(rf"[-+.eE0-9]{{{MAX_NUMBER_CHARS + 1},}}")


class Api(APIGatewayRestResolver):
    """The resolver of every API function: validation on, a problem response for every error,
    a body limit that keeps any one transaction far below DynamoDB's 4 MB, and every body checked
    before anything parses it: its media type (one of `media_types`; none given is the first) and,
    for JSON, its nesting depth and number lengths."""

    def __init__(self, media_types: tuple[str, ...] = (JSON,)) -> None:
        super().__init__(enable_validation=True)
        self.media_types = media_types
        register_problem_handlers(self)

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        return _with_cors(self._resolve_limited(event, context), event)

    def _resolve_limited(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        body = event.get("body") or ""
        size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode())
        if size > MAX_BODY_BYTES:
            detail = f"the body is {size} bytes; at most {MAX_BODY_BYTES} are accepted"
            return _refusal(413, "Request too large", detail, "too-large")
        if body:
            media_type = _media_type(event)
            if media_type is None:  # no Content-Type: read as the route's own kind of body
                event = _with_content_type(event, self.media_types[0])
                media_type = self.media_types[0]
            if media_type not in self.media_types:
                sent = ", ".join(self.media_types)
                detail = f"the body was sent as {media_type}; send it as {sent} (Content-Type: {sent})"
                return _refusal(415, "Unsupported content type", detail, "unsupported-media-type")
            if media_type == JSON and (refused := _unsafe_json(event)) is not None:
                return refused
        response = super().resolve(event, context)
        if _is_page(response):
            _add_headers(response, pages.HEADERS)
        return response


def _is_page(response: dict[str, Any]) -> bool:
    """An HTML page or a redirect (a signed link's): what a browser shows or follows."""
    headers = _response_headers(response)
    content_type = str(headers.get("content-type") or "").lower()
    return content_type.startswith("text/html") or 300 <= int(response.get("statusCode") or 0) < 400


def _response_headers(response: dict[str, Any]) -> dict[str, Any]:
    single = {str(key).lower(): value for key, value in (response.get("headers") or {}).items()}
    multi = {
        str(key).lower(): values[-1] for key, values in (response.get("multiValueHeaders") or {}).items()
    }
    return single | multi


def _add_headers(response: dict[str, Any], headers: Mapping[str, str]) -> None:
    """Each of `headers` the handler did not set itself (a page may have a policy of its own)."""
    present = _response_headers(response)
    missing = {key: value for key, value in headers.items() if key.lower() not in present}
    if "multiValueHeaders" in response:
        response["multiValueHeaders"] = {**response["multiValueHeaders"]} | {
            key: [value] for key, value in missing.items()
        }
    else:
        response["headers"] = {**(response.get("headers") or {}), **missing}


def _media_type(event: Mapping[str, Any]) -> str | None:
    headers = {str(key).lower(): value for key, value in (event.get("headers") or {}).items()}
    value = str(headers.get("content-type") or "").split(";")[0].strip().lower()
    return value or None


def _with_content_type(event: Mapping[str, Any], media_type: str) -> dict[str, Any]:
    multi = dict(event.get("multiValueHeaders") or {})
    multi["Content-Type"] = [media_type]
    return {
        **event,
        "headers": {**(event.get("headers") or {}), "Content-Type": media_type},
        "multiValueHeaders": multi,
    }


def _unsafe_json(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """A 400 for a JSON body no parser should be handed: too deep, a number too long, not JSON."""
    try:
        text = (
            base64.b64decode(event["body"]).decode() if event.get("isBase64Encoded") else str(event["body"])
        )
    except ValueError:
        return _refusal(400, "Malformed JSON", "the request body is not UTF-8 JSON", "malformed-json")
    skeleton = _STRING.sub('""', text)
    depth = max(accumulate(1 if char in "[{" else -1 for char in _NOT_BRACKET.sub("", skeleton)), default=0)
    if depth > MAX_DEPTH:
        detail = f"the body nests arrays and objects {depth} deep; at most {MAX_DEPTH} are accepted"
        return _refusal(400, "Nested too deeply", detail, "too-deep")
    if _LONG_NUMBER.search(skeleton):
        detail = f"a number in the body is longer than {MAX_NUMBER_CHARS} characters"
        return _refusal(400, "Number too long", detail, "number-too-long")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return _refusal(400, "Malformed JSON", "the request body is not valid JSON", "malformed-json")
    field = control_character_field(value)
    if field is not None:
        return _refusal(
            422, "Invalid request", "some fields are invalid", "validation", field, CONTROL_MESSAGE
        )
    return None


CONTROL_MESSAGE = "must not contain control characters (NUL, escape, ...); line breaks and tabs are fine"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character_field(value: Any, path: str = "") -> str | None:
    """The first field (as "lines[0].description") whose text, or name, holds a control character:
    none is stored, whatever the field."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str) and _CONTROL.search(item):
            return where or "body"
        if isinstance(item, dict):
            for key, child in item.items():
                if _CONTROL.search(key):
                    return where or "body"
                stack.append((f"{where}.{key}" if where else key, child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{index}]", child) for index, child in enumerate(item))
    return None


def _refusal(
    status: int, title: str, detail: str, type_: str, field: str | None = None, message: str = ""
) -> dict[str, Any]:
    """A problem answered before the resolver runs (the body never reached a handler)."""
    errors = [{"field": field, "message": message}] if field is not None else None
    body = problem_body(status, title, detail, type_=type_, errors=errors)
    return {"statusCode": status, "headers": {"Content-Type": PROBLEM_JSON}, "body": json.dumps(body)}


def _with_cors(response: dict[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    """Every answer of a function carries the CORS headers a browser page of an allowed origin
    needs to read it (problems included), as API Gateway's own answers do."""
    added = cors.headers(cors.request_origin(event.get("headers")), config.get(config.Cors).allowed_origins)
    if "multiValueHeaders" in response:
        response["multiValueHeaders"].update({key: [value] for key, value in added.items()})
    else:
        response["headers"] = {**(response.get("headers") or {}), **added}
    return response


PoId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the PO's id")]
LineId = Annotated[str, Path(pattern=r"^\d{5}$", description="the line's id")]
IfMatch = Annotated[
    str | None, Header(alias="if-match", max_length=40, description="the PO version the change is based on")
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        min_length=1,
        max_length=128,
        description="any unique string; a retry with the same key and body returns the first result",
    ),
]
_VERSION = re.compile(r'^(?:W/)?(?:"(\d{1,9})"|(\d{1,9}))$')


def caller(app: APIGatewayRestResolver, *roles: str) -> Principal:
    """The caller from the authorizer's claims; any role may read, `roles` may do the rest."""
    principal = principal_from_claims(app.current_event.request_context.authorizer.claims)
    return principal.require(*roles) if roles else principal.require(BUYER, APPROVER, ADMIN)


def version_from(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    match = _VERSION.match(if_match.strip())
    if not match:
        raise BadRequest('If-Match must be a PO version such as "3"', field="If-Match")
    return int(match.group(1) or match.group(2))


def po_response(
    app: ApiGatewayResolver,
    status: int,
    po: PurchaseOrder,
    body: BaseModel | None = None,
    *,
    location: str | None = None,
) -> Response[Any]:
    """The body (the PO unless another is given) with the PO's version as its ETag."""
    headers = {"ETag": f'"{po.version}"'}
    if location is not None:
        headers["Location"] = _url(app, location)
    return Response(status_code=status, body=body or po, headers=headers, content_type="application/json")


def ok(status: int, model: type, *problems: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI responses of a route: its success model and the problems it can answer."""
    return {
        status: {"description": "OK", "content": {"application/json": {"model": model}}},
        **problem_responses(*problems),
    }


def _url(app: ApiGatewayResolver, path: str) -> str:
    """A path of this API as the client addresses it (behind the stage of an execute-api URL)."""
    event = app.current_event
    full = str((event.get("requestContext") or {}).get("path") or event.path)
    return (full[: -len(event.path)] if full.endswith(event.path) else "") + path


def public_url(app: ApiGatewayResolver, path: str) -> str:
    """An absolute URL of this API for a link people follow: on the configured public base
    (PublicBaseUrl, as API_BASE_URL), else on the API's own execute-api URL, built from the API id
    and stage API Gateway sets. Never from Host, X-Forwarded-* or the domain a request came by."""
    base = config.get(config.Links).api_base_url
    if not base:
        context = app.current_event.get("requestContext") or {}
        base = f"https://{context['apiId']}.execute-api.{config.region()}.amazonaws.com/{context['stage']}"
    return base + path


WRITERS = (BUYER, ADMIN)
