"""Approvers decide from the link in their email: no login, the signed link is the credential.

GET shows the PO and changes nothing (mail scanners follow links); POST applies the decision,
once. A forged link is a 403, an expired, used or superseded one a 410, each with a page saying so.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, ValidationError

from purchasing import config
from purchasing.api import pages
from purchasing.api.http import FORM, JSON, Api, control_character_field
from purchasing.api.problems import problem_responses
from purchasing.domain.approvals import LinkDead, NotYours
from purchasing.domain.signed_tokens import TOKEN_PATTERN, LinkExpired, LinkForged
from purchasing.observability import logger, metrics, tracer
from purchasing.services import approval_service

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(*config.API_FUNCTION, config.LinkSecret)

app = Api(media_types=(FORM, JSON))
Token = Annotated[str, Path(pattern=TOKEN_PATTERN, description="the signed link")]
HTML: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}
PAGES: dict[int, OpenAPIResponse] = {
    **problem_responses(404),  # a token that cannot be one, a body too large: problem+json
    200: {"description": "The review page (GET) or the decision made (POST)", "content": HTML},
    403: {"description": "Forged link, or not this approver's to decide", "content": HTML},
    410: {"description": "Expired, already decided or superseded", "content": HTML},
    400: {"description": "A field sent twice", "content": HTML},
    422: {"description": "No decision given, or a comment too long", "content": HTML},
}


COMMENT_LIMIT = 2000


class Decision(BaseModel):
    decision: Literal["approve", "reject"]
    comment: str = Field(default="", max_length=COMMENT_LIMIT)


@app.get(
    "/approvals/<token>",
    responses=PAGES,
    tags=["Approvals"],
    summary="Show an approval request to its approver",
    description=(
        "Who: anyone holding the signed link (no token; the link is the credential). Changes: "
        "nothing. An HTML page with the PO, its lines and Approve / Reject buttons. Statuses: a "
        "used, expired or superseded link answers a page that says so (410)."
    ),
)
def review(token: Token) -> Response[str]:
    opened = approval_service.open_link(token)
    return _html(200, pages.review(opened.po, opened.request, opened.approver, action=f"./{token}"))


@app.post(
    "/approvals/<token>",
    responses=PAGES,
    tags=["Approvals"],
    summary="Approve or reject a purchase order",
    description=(
        "Who: anyone holding the signed link (no token; the link is the credential). Changes: "
        "records the decision (form or JSON `decision`, optional `comment`) once; the round moves "
        "on. Statuses: only while the link's round is open (410 otherwise)."
    ),
)
def decide(token: Token) -> Response[str]:
    fields = _form(app.current_event.body or "")
    repeated = sorted(key for key, values in fields.items() if len(values) != 1)
    if repeated:
        return _html(400, pages.problem("One answer each", f"Send {', '.join(repeated)} once, not twice."))
    if control_character_field(fields) is not None:
        return _html(422, pages.problem("Unreadable comment", "Remove the control characters and try again."))
    try:
        decision = Decision.model_validate({key: values[0] for key, values in fields.items()})
    except ValidationError as error:
        return _html(422, pages.problem(*_why(error)))
    done = approval_service.decide(token, decision.decision == "approve", decision.comment.strip())
    return _html(200, pages.decided(done.po, done.request))


def _why(error: ValidationError) -> tuple[str, str]:
    """The page's title and message for the first thing wrong with the decision."""
    fields = {str(detail["loc"][0]) for detail in error.errors() if detail["loc"]}
    if "decision" in fields:
        return "No decision", "Choose Approve or Reject."
    return (
        "Comment too long",
        f"A comment can be at most {COMMENT_LIMIT} characters; shorten it and decide again.",
    )


@app.exception_handler(LinkForged)
def _forged(_: LinkForged) -> Response[str]:
    return _html(403, pages.problem("This link is not valid", "It was not issued by us or it was altered."))


@app.exception_handler(NotYours)
def _not_yours(error: NotYours) -> Response[str]:
    return _html(403, pages.problem("You cannot decide this request", str(error)))


@app.exception_handler(LinkExpired)
def _expired(_: LinkExpired) -> Response[str]:
    return _html(410, pages.problem("This link has expired", "The time to decide this request has passed."))


@app.exception_handler(LinkDead)
def _dead(error: LinkDead) -> Response[str]:
    titles = {
        "decided": "Already decided",
        "superseded": "No longer needed",
        "expired": "Expired",
        "gone": "Not found",
    }
    return _html(410, pages.problem(titles.get(error.reason, "No longer valid"), error.detail))


def _form(body: str) -> dict[str, list[Any]]:
    """A form post from the page, or JSON from a script (the resolver checked the media type and
    that the JSON is safe to parse): each field with every value it was sent with."""
    if app.current_event.headers.get("content-type", "").startswith(JSON):
        data = json.loads(body)
        return {str(key): [value] for key, value in data.items()} if isinstance(data, dict) else {}
    return parse_qs(body, keep_blank_values=True)


def _html(status: int, body: str) -> Response[str]:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
