"""What every API handler shares: path and header parameters, the caller, ETag'd responses."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from purchasing.api import cors
from purchasing.api.auth import ADMIN, APPROVER, BUYER, Principal, principal_from_claims
from purchasing.api.problems import PROBLEM_JSON, problem_responses, register_problem_handlers
from purchasing.config import settings
from purchasing.domain.errors import BadRequest
from purchasing.domain.model import PurchaseOrder

MAX_BODY_BYTES = 1_000_000


class Api(APIGatewayRestResolver):
    """The resolver of every API function: validation on, a problem response for every error,
    and a body limit that keeps any one transaction far below DynamoDB's 4 MB."""

    def __init__(self) -> None:
        super().__init__(enable_validation=True)
        register_problem_handlers(self)

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        return _with_cors(self._resolve_limited(event, context), event)

    def _resolve_limited(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        body = event.get("body") or ""
        size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode())
        if size > MAX_BODY_BYTES:
            problem = {
                "type": "/problems/too-large",
                "title": "Request too large",
                "status": 413,
                "detail": f"the body is {size} bytes; at most {MAX_BODY_BYTES} are accepted",
            }
            return {"statusCode": 413, "headers": {"Content-Type": PROBLEM_JSON}, "body": json.dumps(problem)}
        return super().resolve(event, context)


def _with_cors(response: dict[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    """Every answer of a function carries the CORS headers a browser page of an allowed origin
    needs to read it (problems included), as API Gateway's own answers do."""
    added = cors.headers(cors.request_origin(event.get("headers")), settings().allowed_origins)
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


WRITERS = (BUYER, ADMIN)
