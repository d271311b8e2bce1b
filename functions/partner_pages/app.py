"""Partners upload their PO from the link they were sent: no login, the signed link is the
credential. GET is the upload page (HTML); POST .../uploads hands the page a presigned POST
(JSON). A forged link is a 403, an expired one a 410, an order that no longer takes a PO a 409:
a page saying so for the page, problem+json for the script."""

from __future__ import annotations

from secrets import token_urlsafe
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import config
from purchasing.api import pages, partner_page
from purchasing.api.base_schemas import Problem
from purchasing.api.http import Api, ok
from purchasing.api.problems import PROBLEM_JSON, problem, problem_responses
from purchasing.domain.errors import DomainError
from purchasing.domain.inputs.orders import PartnerUploadRequest
from purchasing.domain.signed_tokens import TOKEN_PATTERN, LinkExpired, LinkForged
from purchasing.observability import logger, metrics, tracer
from purchasing.services import order_service
from purchasing.services.document_service import Upload

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(*config.API_FUNCTION, config.Documents, config.LinkSecret)

app = Api()
Token = Annotated[str, Path(pattern=TOKEN_PATTERN, description="the signed partner link")]
HTML: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}
PAGE: dict[int, OpenAPIResponse] = {
    **problem_responses(404),  # a token that cannot be one: problem+json
    200: {"description": "The upload page", "content": HTML},
    403: {"description": "Forged link", "content": HTML},
    409: {"description": "The order no longer takes a PO", "content": HTML},
    410: {"description": "Expired link", "content": HTML},
}
UPLOAD: dict[int, OpenAPIResponse] = {
    **ok(201, Upload, 404, 409),
    410: {"description": "Expired link", "content": {PROBLEM_JSON: {"model": Problem}}},
}
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


@app.get(
    "/partner/<token>",
    responses=PAGE,
    tags=["Partners"],
    summary="Show the partner's upload page",
    description=(
        "Who: anyone holding the signed link (no token; the link is the credential). Changes: "
        "nothing. An HTML page that uploads the customer PO straight to storage. Statuses: the "
        "order must be PROCESSING or COMPLETED."
    ),
)
def upload_page(token: Token) -> Response[str]:
    order = order_service.open_partner_link(token)
    nonce = token_urlsafe(16)
    policy = partner_page.content_security_policy(nonce, order_service.upload_origin())
    return _html(200, partner_page.upload_page(order, nonce), {"Content-Security-Policy": policy})


@app.post(
    "/partner/<token>/uploads",
    responses=UPLOAD,
    tags=["Partners"],
    summary="Start a partner's upload of a customer PO",
    description=(
        "Who: anyone holding the signed link (no token; the link is the credential). Changes: "
        "records a PENDING document on the order and returns a presigned POST. Statuses: the "
        "order must be PROCESSING or COMPLETED (409 otherwise)."
    ),
)
def request_upload(token: Token, body: PartnerUploadRequest) -> Response[Upload]:
    upload = order_service.request_partner_upload(token, body)
    return Response(status_code=201, body=upload, headers=HEADERS, content_type="application/json")


@app.exception_handler(LinkForged)
def _forged(_: LinkForged) -> Response[str]:
    return _refused(403, "This link is not valid", "It was not issued by us or it was altered.", "forbidden")


@app.exception_handler(LinkExpired)
def _expired(_: LinkExpired) -> Response[str]:
    return _refused(410, "This link has expired", "Ask for a new link to upload your PO.", "expired")


@app.exception_handler(DomainError)
def _domain(error: DomainError) -> Response[str]:
    errors = [{"field": error.field, "message": error.detail}] if error.field else None
    return _refused(error.status, error.title, error.detail, error.type, errors)


def _refused(
    status: int, title: str, detail: str, type_: str, errors: list[dict[str, str]] | None = None
) -> Response[str]:
    if app.current_event.http_method == "GET":
        return _html(status, pages.problem(title, detail))
    return problem(status, title, detail, type_=type_, errors=errors)


def _html(status: int, body: str, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=body,
        headers=HEADERS | (headers or {}),
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
