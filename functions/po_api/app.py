"""Purchase orders and their lines over HTTP: each route validates, calls one use case, answers."""

from __future__ import annotations

import re
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import po_service
from purchasing.api.auth import ADMIN, APPROVER, BUYER, Principal, principal_from_claims
from purchasing.api.problems import problem_responses, register_problem_handlers
from purchasing.api.schemas import (
    CreateLineRequest,
    CreatePoRequest,
    PoList,
    UpdateLineRequest,
    UpdatePoRequest,
)
from purchasing.data.idempotency import CONFIG as IDEMPOTENCY_CONFIG
from purchasing.domain.errors import BadRequest
from purchasing.domain.model import Line, PurchaseOrder, Status
from purchasing.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
register_problem_handlers(app)

PoId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the PO's id")]
LineId = Annotated[str, Path(pattern=r"^\d{5}$", description="the line's id")]
IfMatch = Annotated[
    str | None, Header(alias="if-match", max_length=40, description="the PO version the change is based on")
]
IdempotencyKey = Annotated[str | None, Header(alias="idempotency-key", min_length=1, max_length=128)]
_VERSION = re.compile(r'^(?:W/)?(?:"(\d{1,9})"|(\d{1,9}))$')


def caller(*roles: str) -> Principal:
    principal = principal_from_claims(app.current_event.request_context.authorizer.claims)
    return principal.require(*roles) if roles else principal.require(BUYER, APPROVER, ADMIN)


def version_from(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    match = _VERSION.match(if_match.strip())
    if not match:
        raise BadRequest('If-Match must be a PO version such as "3"', field="If-Match")
    return int(match.group(1) or match.group(2))


def _json(status: int, po: PurchaseOrder, body: PurchaseOrder | Line | None = None) -> Response:
    """The body (the PO unless a line is given) with the PO's version as its ETag."""
    return Response(
        status_code=status,
        body=body or po,
        headers={"ETag": f'"{po.version}"'},
        content_type="application/json",
    )


def _ok(status: int, model: type, *problems: int) -> dict:
    return {
        status: {"description": "OK", "content": {"application/json": {"model": model}}},
        **problem_responses(*problems),
    }


@app.post("/pos", responses=_ok(201, PurchaseOrder, 409), tags=["POs"], summary="Create a PO")
def create_po(body: CreatePoRequest, idempotency_key: IdempotencyKey = None) -> Response[PurchaseOrder]:
    po = po_service.create(caller(BUYER, ADMIN), body, idempotency_key)
    return _json(201, po)


@app.get("/pos", responses=_ok(200, PoList), tags=["POs"], summary="List POs, newest first")
def list_pos(
    status: Annotated[Status | None, Query()] = None,
    supplier: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> PoList:
    items, next_cursor = po_service.list_summaries(
        caller(), status=status, supplier=supplier, limit=limit, cursor=cursor
    )
    return PoList(items=items, next_cursor=next_cursor)


@app.get("/pos/<poId>", responses=_ok(200, PurchaseOrder, 404), tags=["POs"], summary="A PO with its lines")
def get_po(poId: PoId) -> Response[PurchaseOrder]:
    return _json(200, po_service.get(caller(), poId))


@app.patch(
    "/pos/<poId>",
    responses=_ok(200, PurchaseOrder, 404, 409, 412),
    tags=["POs"],
    summary="Edit header fields",
)
def update_po(poId: PoId, body: UpdatePoRequest, if_match: IfMatch = None) -> Response[PurchaseOrder]:
    po = po_service.update_header(caller(BUYER, ADMIN), poId, body, version_from(if_match))
    return _json(200, po)


@app.post("/pos/<poId>/lines", responses=_ok(201, Line, 404, 409, 412), tags=["Lines"], summary="Add a line")
def add_line(poId: PoId, body: CreateLineRequest, if_match: IfMatch = None) -> Response[Line]:
    po, line = po_service.add_line(caller(BUYER, ADMIN), poId, body, version_from(if_match))
    return _json(201, po, line)


@app.patch(
    "/pos/<poId>/lines/<lineId>",
    responses=_ok(200, Line, 404, 409, 412),
    tags=["Lines"],
    summary="Edit a line",
)
def update_line(
    poId: PoId,
    lineId: LineId,
    body: UpdateLineRequest,
    if_match: IfMatch = None,
) -> Response[Line]:
    po, line = po_service.update_line(caller(BUYER, ADMIN), poId, lineId, body, version_from(if_match))
    return _json(200, po, line)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    IDEMPOTENCY_CONFIG.register_lambda_context(context)
    return app.resolve(event, context)
