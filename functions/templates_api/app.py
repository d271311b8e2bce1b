"""Purchase templates over HTTP: keep a common order, list them, place one again as a DRAFT PO."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import config
from purchasing.api.http import WRITERS, Api, IdempotencyKey, caller, ok, po_response
from purchasing.api.template_schemas import TemplateList
from purchasing.data.idempotency import CONFIG as IDEMPOTENCY_CONFIG
from purchasing.data.idempotency import create_once
from purchasing.domain.inputs.templates import HEX32, CreatePoFromTemplateRequest, CreateTemplateRequest
from purchasing.domain.model import PurchaseOrder
from purchasing.domain.templates import PurchaseTemplate
from purchasing.observability import logger, metrics, tracer
from purchasing.services import template_service

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(*config.API_FUNCTION)

app = Api()
TemplateId = Annotated[str, Path(pattern=HEX32, description="the template's id")]


@app.post(
    "/templates",
    responses=ok(201, PurchaseTemplate, 404),
    tags=["Templates"],
    summary="Create a purchase template",
    description=(
        "Who: a buyer or an admin. Changes: creates a template from the fields sent or from an "
        "existing PO. `Idempotency-Key` makes a retry return the first one."
    ),
)
def create_template(
    body: CreateTemplateRequest, idempotency_key: IdempotencyKey = None
) -> Response[PurchaseTemplate]:
    """From scratch, or from an existing PO (`fromPoId`): its supplier, currency and lines."""
    principal = caller(app, *WRITERS)
    create = lambda: template_service.create(principal, body)  # noqa: E731
    request = {"body": body.model_dump(mode="json")}
    template = create_once(
        principal.org_id, idempotency_key, "POST /templates", request, create, PurchaseTemplate
    )
    headers = {"Location": f"/templates/{template.id}"}
    return Response(status_code=201, body=template, headers=headers, content_type="application/json")


@app.get(
    "/templates",
    responses=ok(200, TemplateList),
    tags=["Templates"],
    summary="List purchase templates",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. Page with "
        "`limit` and `cursor`."
    ),
)
def list_templates(
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> TemplateList:
    """Newest first."""
    items, next_cursor = template_service.list_summaries(caller(app), limit=limit, cursor=cursor)
    return TemplateList(items=items, next_cursor=next_cursor)


@app.get(
    "/templates/<templateId>",
    responses=ok(200, PurchaseTemplate, 404),
    tags=["Templates"],
    summary="Read a purchase template",
    description=("Who: any member of the org (buyer, approver or admin). Changes: nothing."),
)
def get_template(templateId: TemplateId) -> PurchaseTemplate:
    return template_service.get(caller(app), templateId)


@app.post(
    "/templates/<templateId>/pos",
    responses=ok(201, PurchaseOrder, 404, 409),
    tags=["Templates"],
    summary="Create a purchase order from a template",
    description=(
        "Who: a buyer or an admin. Changes: creates a DRAFT PO with the template's supplier and "
        "lines. `Idempotency-Key` makes a retry return the first PO."
    ),
)
def create_po(
    templateId: TemplateId,
    body: Annotated[CreatePoFromTemplateRequest | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[PurchaseOrder]:
    """A new DRAFT PO with copies of the template's lines (a supplier is needed if it has none)."""
    request = body or CreatePoFromTemplateRequest()
    po = template_service.create_po(caller(app, *WRITERS), templateId, request, idempotency_key)
    return po_response(app, 201, po, location=f"/pos/{po.id}")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    IDEMPOTENCY_CONFIG.register_lambda_context(context)
    return app.resolve(event, context)
