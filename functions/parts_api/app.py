"""Parts and their inventory over HTTP: a part's purchase type decides what buying it does."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import config
from purchasing.api.http import WRITERS, Api, caller, ok
from purchasing.api.schemas import PartList
from purchasing.domain.inputs.po import PutPartRequest
from purchasing.domain.model import Part, PartInventory
from purchasing.observability import logger, metrics, tracer
from purchasing.services import parts_service

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(*config.API_FUNCTION)

app = Api()

PartId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="the part's id")]


@app.put(
    "/parts/<partId>",
    responses={**ok(200, Part, 404), **ok(201, Part)},
    tags=["Parts"],
    summary="Create or replace a part",
    description=(
        "Who: a buyer or an admin. Changes: the part (201 when new, 200 when replaced); lines "
        "already on POs keep their purchase type."
    ),
)
def put_part(partId: PartId, body: PutPartRequest) -> Response[Part]:
    """Create or replace a part (201 when new). Lines already on POs keep their purchase type."""
    part, created = parts_service.put(caller(app, *WRITERS), partId, body)
    return Response(status_code=201 if created else 200, body=part, content_type="application/json")


@app.get(
    "/parts",
    responses=ok(200, PartList),
    tags=["Parts"],
    summary="List parts, newest first",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. `q` keeps the "
        "parts whose id or name contains it, whatever the case; page with `limit` and `cursor`."
    ),
)
def list_parts(
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="text in the id or name")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> PartList:
    items, next_cursor = parts_service.list_parts(caller(app), text=q, limit=limit, cursor=cursor)
    return PartList(items=items, next_cursor=next_cursor)


@app.get(
    "/parts/<partId>",
    responses=ok(200, Part, 404),
    tags=["Parts"],
    summary="Read a part",
    description=("Who: any member of the org (buyer, approver or admin). Changes: nothing."),
)
def get_part(partId: PartId) -> Part:
    return parts_service.get(caller(app), partId).part


@app.get(
    "/parts/<partId>/inventory",
    responses=ok(200, PartInventory, 404),
    tags=["Parts"],
    summary="Read a part's stock and what is on order",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. Lot by lot, one "
        "lot per PO line."
    ),
)
def get_inventory(partId: PartId) -> PartInventory:
    """What is on order and in stock for the part, lot by lot (one lot per PO line)."""
    return parts_service.get(caller(app), partId)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
