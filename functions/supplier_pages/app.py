"""The link in a supplier's email: no login, the signed link is the credential.

GET redirects to a short-lived presigned download of the PO's PDF. A forged link is a 403, an
expired one a 410, a link to a revision a later one replaced a 410 pointing to the email of the
current revision, a PDF no longer kept a 404, each with a page saying so.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import config
from purchasing.api import pages
from purchasing.api.http import Api
from purchasing.api.problems import problem_responses
from purchasing.domain.errors import NotFound
from purchasing.domain.signed_tokens import TOKEN_PATTERN, LinkExpired, LinkForged
from purchasing.observability import logger, metrics, tracer
from purchasing.services import pdf_service

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(*config.API_FUNCTION, config.Documents, config.LinkSecret)

app = Api()
Token = Annotated[str, Path(pattern=TOKEN_PATTERN, description="the signed link")]
HTML: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}
PROBLEMS = problem_responses(404)  # a token that cannot be one: a problem+json 404
PAGES: dict[int, OpenAPIResponse] = {
    **PROBLEMS,
    302: {"description": "To a short-lived download of the PDF (Location)"},
    403: {"description": "Forged link", "content": HTML},
    404: {
        "description": "The PDF is no longer available (a page), or no such link",
        "content": {**PROBLEMS[404]["content"], **HTML},
    },
    410: {"description": "Expired link, or a revision a later one replaced", "content": HTML},
}


@app.get(
    "/supplier/<token>",
    responses=PAGES,
    tags=["Suppliers"],
    summary="Download the PO PDF sent to the supplier",
    description=(
        "Who: anyone holding the signed link (no token; the link is the credential). Changes: "
        "nothing. Redirects (302) to a short-lived download of the PDF; an expired or forged link "
        "answers a page that says so."
    ),
)
def download(token: Token) -> Response[str]:
    url = pdf_service.supplier_download(token)
    return Response(status_code=302, headers={"Location": url, "Cache-Control": "no-store"}, body="")


@app.exception_handler(LinkForged)
def _forged(_: LinkForged) -> Response[str]:
    return _html(403, pages.problem("This link is not valid", "It was not issued by us or it was altered."))


@app.exception_handler(LinkExpired)
def _expired(_: LinkExpired) -> Response[str]:
    return _html(410, pages.problem("This link has expired", "Ask the buyer for a new copy of the order."))


@app.exception_handler(pdf_service.Superseded)
def _superseded(error: pdf_service.Superseded) -> Response[str]:
    told = error.told
    detail = (
        f"This link shows an earlier revision. Revision {told.revision} replaces it: it was emailed to "
        f"{told.sent_to or 'you'} on {told.sent_at[:10]}. Please use the link in that email."
    )
    return _html(410, pages.problem("This order was changed", detail))


@app.exception_handler(NotFound)
def _gone(error: NotFound) -> Response[str]:
    return _html(404, pages.problem("Not available", error.detail))


def _html(status: int, body: str) -> Response[str]:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
