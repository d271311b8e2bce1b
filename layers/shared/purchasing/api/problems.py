"""Every error becomes an RFC 9457 problem response here, and only here."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from purchasing.api.base_schemas import Problem
from purchasing.domain.errors import DomainError
from purchasing.observability import logger

PROBLEM_JSON = "application/problem+json"

_DESCRIPTIONS = {
    400: "Malformed request (bad JSON, cursor or header)",
    401: "No token or a bad one",
    403: "Role not allowed, or no valid API key (x-api-key)",
    404: "Not found (or another organization's)",
    409: "Conflict: its `type` says which (not-editable, invalid-transition, over-receipt, ...)",
    412: "If-Match does not match the current version",
    413: "Request too large",
    415: "Unsupported content type",
    422: "Invalid field values",
    429: "Too many requests: the client's API key or the API is throttled (retry after a pause)",
}


def problem_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI entries for the problem responses a route can give."""
    return {
        status: {"description": _DESCRIPTIONS[status], "content": {PROBLEM_JSON: {"model": Problem}}}
        for status in (400, 401, 403, 413, 415, 422, 429, *statuses)
    }


def problem_body(
    status: int, title: str, detail: str, *, type_: str, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """The problem document itself: the handlers, the requests refused before them and the local
    cloud's own answers all build it here."""
    body: dict[str, Any] = {"type": f"/problems/{type_}", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def problem(
    status: int, title: str, detail: str, *, type_: str, errors: list[dict[str, str]] | None = None
) -> Response:
    body = problem_body(status, title, detail, type_=type_, errors=errors)
    return Response(status_code=status, content_type=PROBLEM_JSON, body=json.dumps(body))


def register_problem_handlers(app: ApiGatewayResolver) -> None:
    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response:
        errors = [{"field": error.field, "message": error.detail}] if error.field else None
        return problem(error.status, error.title, error.detail, type_=error.type, errors=errors)

    @app.exception_handler(RequestValidationError)
    def _validation(error: RequestValidationError) -> Response:
        details = list(error.errors())
        if any(detail.get("type") == "json_invalid" for detail in details):
            return problem(
                400, "Malformed JSON", "the request body is not valid JSON", type_="malformed-json"
            )
        if all(tuple(detail.get("loc", ()))[:1] == ("path",) for detail in details):
            return problem(404, "Not found", "no such resource", type_="not-found")  # an id that cannot exist
        errors = [
            {"field": _field_path(detail.get("loc", ())), "message": str(detail.get("msg", ""))}
            for detail in details
        ]
        return problem(422, "Invalid request", "some fields are invalid", type_="validation", errors=errors)

    @app.exception_handler(RequestUnsupportedContentType)
    def _content_type(_: RequestUnsupportedContentType) -> Response:
        return problem(
            415, "Unsupported content type", "send JSON (application/json)", type_="unsupported-media-type"
        )

    @app.exception_handler(ValueError)
    def _unreadable_body(error: ValueError) -> Response:
        """Powertools raises a bare ValueError for a body it cannot even read: multipart without a
        boundary, a base64 body that is not UTF-8. The client sent it: never a 500."""
        content_type = str(app.current_event.headers.get("content-type") or "").split(";")[0].strip()
        if content_type and content_type.lower() != "application/json":
            return problem(
                415,
                "Unsupported content type",
                "send JSON (application/json)",
                type_="unsupported-media-type",
            )
        if isinstance(error, UnicodeDecodeError):
            return problem(
                400, "Malformed JSON", "the request body is not UTF-8 JSON", type_="malformed-json"
            )
        return _unexpected(error)

    @app.exception_handler(IdempotencyValidationError)
    def _idempotency_mismatch(_: IdempotencyValidationError) -> Response:
        return problem(
            422,
            "Idempotency-Key reused",
            "this Idempotency-Key was used with a different request body",
            type_="idempotency-key-reused",
        )

    @app.exception_handler(IdempotencyAlreadyInProgressError)
    def _idempotency_in_progress(_: IdempotencyAlreadyInProgressError) -> Response:
        return problem(
            409,
            "Request in progress",
            "a request with this Idempotency-Key is still running",
            type_="in-progress",
        )

    @app.not_found
    def _not_found(_: NotFoundError) -> Response:
        return problem(404, "Not found", "no such resource", type_="not-found")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("unhandled error")
        return problem(500, "Internal error", "something went wrong on our side", type_="internal")


def _field_path(loc: Any) -> str:
    """("body", "lines", 0, "quantity") -> "lines[0].quantity"."""
    parts = list(loc)[1:] if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and part:
            path += f".{part}" if path else part
    return path or "body"
