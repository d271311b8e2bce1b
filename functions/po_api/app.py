"""Purchase orders and their lines over HTTP: each route validates, calls one use case, answers."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import config
from purchasing.api.http import (
    WRITERS,
    Api,
    IdempotencyKey,
    IfMatch,
    LineId,
    PoId,
    caller,
    ok,
    po_response,
    version_from,
)
from purchasing.api.schemas import PoList
from purchasing.data.idempotency import CONFIG as IDEMPOTENCY_CONFIG
from purchasing.domain.inputs.po import CreateLineRequest, CreatePoRequest, UpdateLineRequest, UpdatePoRequest
from purchasing.domain.model import Line, PurchaseOrder, Status
from purchasing.observability import logger, metrics, tracer
from purchasing.services import po_service

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(*config.API_FUNCTION)

app = Api()


@app.post(
    "/pos",
    responses=ok(201, PurchaseOrder, 409),
    tags=["POs"],
    summary="Create a purchase order",
    description=(
        "Who: a buyer or an admin. Changes: creates a DRAFT PO, its lines if given, and a PO "
        "number unless one is sent. Statuses: a new PO is DRAFT. `Idempotency-Key` makes a retry "
        "return the first PO."
    ),
)
def create_po(body: CreatePoRequest, idempotency_key: IdempotencyKey = None) -> Response[PurchaseOrder]:
    po = po_service.create(caller(app, *WRITERS), body, idempotency_key)
    return po_response(app, 201, po, location=f"/pos/{po.id}")


@app.get(
    "/pos",
    responses=ok(200, PoList),
    tags=["POs"],
    summary="List purchase orders, newest first",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. Statuses: all, "
        "or the one in `status`; filter by `supplier`; page with `limit` and `cursor`."
    ),
)
def list_pos(
    status: Annotated[Status | None, Query()] = None,
    supplier: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> PoList:
    items, next_cursor = po_service.list_summaries(
        caller(app), status=status, supplier=supplier, limit=limit, cursor=cursor
    )
    return PoList(items=items, next_cursor=next_cursor)


@app.get(
    "/pos/<poId>",
    responses=ok(200, PurchaseOrder, 404),
    tags=["POs"],
    summary="Read a purchase order with its lines",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. Statuses: any. "
        "The `ETag` header is the version to send as `If-Match`."
    ),
)
def get_po(poId: PoId) -> Response[PurchaseOrder]:
    return po_response(app, 200, po_service.get(caller(app), poId))


@app.patch(
    "/pos/<poId>",
    responses=ok(200, PurchaseOrder, 404, 409, 412),
    tags=["POs"],
    summary="Edit a purchase order's header",
    description=(
        "Who: a buyer or an admin. Changes: the fields sent (null clears a nullable one). "
        "Statuses: every field while DRAFT; custom attributes only in any other status (409 "
        "otherwise). `If-Match` or `version` guards against a stale edit (412)."
    ),
)
def update_po(poId: PoId, body: UpdatePoRequest, if_match: IfMatch = None) -> Response[PurchaseOrder]:
    po = po_service.update_header(caller(app, *WRITERS), poId, body, version_from(if_match))
    return po_response(app, 200, po)


@app.post(
    "/pos/<poId>/lines",
    responses=ok(201, Line, 404, 409, 412),
    tags=["Lines"],
    summary="Add a line to a purchase order",
    description=(
        "Who: a buyer or an admin. Changes: appends a DRAFT line. Statuses: only while the PO is "
        "DRAFT (409 otherwise)."
    ),
)
def add_line(poId: PoId, body: CreateLineRequest, if_match: IfMatch = None) -> Response[Line]:
    po, line = po_service.add_line(caller(app, *WRITERS), poId, body, version_from(if_match))
    return po_response(app, 201, po, line, location=f"/pos/{po.id}/lines/{line.id}")


@app.patch(
    "/pos/<poId>/lines/<lineId>",
    responses=ok(200, Line, 404, 409, 412),
    tags=["Lines"],
    summary="Edit a line",
    description=(
        "Who: a buyer or an admin. Changes: the line fields sent. Statuses: every field while the "
        "PO is DRAFT; only `eta`, `paid` and custom attributes in any other status; never below "
        "what was received (409)."
    ),
)
def update_line(
    poId: PoId,
    lineId: LineId,
    body: UpdateLineRequest,
    if_match: IfMatch = None,
) -> Response[Line]:
    po, line = po_service.update_line(caller(app, *WRITERS), poId, lineId, body, version_from(if_match))
    return po_response(app, 200, po, line)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    IDEMPOTENCY_CONFIG.register_lambda_context(context)
    return app.resolve(event, context)
