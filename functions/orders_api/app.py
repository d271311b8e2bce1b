"""Customer orders, their customer POs, blanket POs, invoices and partner links over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from purchasing import config
from purchasing.api.http import (
    WRITERS,
    Api,
    IdempotencyKey,
    IfMatch,
    _url,
    caller,
    ok,
    public_url,
    version_from,
)
from purchasing.api.order_schemas import BlanketPoList, CreatePartnerLinkRequest, OrderList, PartnerLink
from purchasing.data.idempotency import CONFIG as IDEMPOTENCY_CONFIG
from purchasing.data.idempotency import M, create_once
from purchasing.domain.blanket_pos import BlanketPo
from purchasing.domain.caller import Principal
from purchasing.domain.inputs.orders import (
    CreateBlanketPoRequest,
    CreateOrderRequest,
    SetPoRequest,
    UpdateOrderRequest,
)
from purchasing.domain.inputs.uploads import UploadDocumentRequest
from purchasing.domain.orders import Invoice, Order, OrderStatus
from purchasing.observability import logger, metrics, tracer
from purchasing.services import order_service
from purchasing.services.document_service import DownloadLink, Upload

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(*config.API_FUNCTION, config.Documents, config.LinkSecret)

app = Api()
_ID = r"^[0-9a-f]{32}$"
OrderId = Annotated[str, Path(pattern=_ID, description="the order's id")]
BlanketPoId = Annotated[str, Path(pattern=_ID, description="the blanket PO's id")]
DocumentId = Annotated[str, Path(pattern=_ID, description="the document's id")]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=2048)]
CHANGES = (404, 409, 412)


@app.post(
    "/orders",
    responses=ok(201, Order, 409),
    tags=["Orders"],
    summary="Create a customer order",
    description=(
        "Who: a buyer or an admin. Changes: creates an order in QUOTE. `Idempotency-Key` makes a "
        "retry return the first order. Needs customer POs switched on for the org."
    ),
)
def create_order(body: CreateOrderRequest, idempotency_key: IdempotencyKey = None) -> Response[Order]:
    principal = caller(app, *WRITERS)
    order = _once(principal, idempotency_key, body, lambda: order_service.create(principal, body), Order)
    return _order(201, order, location=f"/orders/{order.id}")


@app.get(
    "/orders",
    responses=ok(200, OrderList),
    tags=["Orders"],
    summary="List customer orders, newest first",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. Statuses: all, "
        "or the one in `status`; page with `limit` and `cursor`."
    ),
)
def list_orders(
    status: Annotated[OrderStatus | None, Query()] = None, limit: Limit = 25, cursor: Cursor = None
) -> OrderList:
    items, next_cursor = order_service.list_orders(caller(app), status=status, limit=limit, cursor=cursor)
    return OrderList(items=items, next_cursor=next_cursor)


@app.get(
    "/orders/<orderId>",
    responses=ok(200, Order, 404),
    tags=["Orders"],
    summary="Read a customer order",
    description=("Who: any member of the org (buyer, approver or admin). Changes: nothing. Statuses: any."),
)
def get_order(orderId: OrderId) -> Response[Order]:
    return _order(200, order_service.get(caller(app), orderId))


@app.patch(
    "/orders/<orderId>",
    responses=ok(200, Order, *CHANGES),
    tags=["Orders"],
    summary="Edit a customer order or move its status",
    description=(
        "Who: a buyer or an admin. Changes: the fields sent and/or `status`. Statuses: fields "
        "only while QUOTE; QUOTE to PROCESSING or CANCELED, PROCESSING to COMPLETED or CANCELED, "
        "COMPLETED to INVOICED (409 otherwise)."
    ),
)
def update_order(orderId: OrderId, body: UpdateOrderRequest, if_match: IfMatch = None) -> Response[Order]:
    return _order(200, order_service.update(caller(app, *WRITERS), orderId, body, version_from(if_match)))


@app.put(
    "/orders/<orderId>/po",
    responses=ok(200, Order, *CHANGES),
    tags=["Orders"],
    summary="Attach the customer's PO to an order",
    description=(
        "Who: a buyer or an admin. Changes: the order's customer PO (number only, an uploaded "
        "document or a blanket PO). Statuses: PROCESSING or COMPLETED (409 otherwise)."
    ),
)
def set_po(orderId: OrderId, body: SetPoRequest, if_match: IfMatch = None) -> Response[Order]:
    """Attach the customer's PO (number only, full upload or blanket PO) once PROCESSING."""
    return _order(200, order_service.set_po(caller(app, *WRITERS), orderId, body, version_from(if_match)))


@app.post(
    "/orders/<orderId>/documents",
    responses=ok(201, Upload, 404, 409),
    tags=["Orders"],
    summary="Start uploading a document to an order",
    description=(
        "Who: a buyer or an admin. Changes: records a PENDING document and returns a presigned "
        "POST. Statuses: any but CANCELED (409)."
    ),
)
def request_order_upload(
    orderId: OrderId, body: UploadDocumentRequest, idempotency_key: IdempotencyKey = None
) -> Response[Upload]:
    """A presigned POST for an order document; it is PENDING until checked."""
    principal = caller(app, *WRITERS)
    upload = lambda: order_service.request_upload(principal, orderId, body)  # noqa: E731
    return _created(_once(principal, idempotency_key, body, upload, Upload))


@app.get(
    "/orders/<orderId>/documents/<documentId>",
    responses=ok(200, DownloadLink, 404, 409),
    tags=["Orders"],
    summary="Get a download link for an order's document",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. Statuses: any "
        "order; the document must be accepted (409 while pending)."
    ),
)
def get_order_document(orderId: OrderId, documentId: DocumentId) -> DownloadLink:
    """A short-lived download link to an accepted document of the order."""
    return order_service.document_link(caller(app), orderId, documentId)


@app.post(
    "/orders/<orderId>/partner-links",
    responses=ok(201, PartnerLink, 404, 409),
    tags=["Partners"],
    summary="Create a partner upload link for an order",
    description=(
        "Who: a buyer or an admin. Changes: nothing stored; returns a signed link (valid `days` "
        "days) a partner opens to upload the customer PO. Statuses: PROCESSING or COMPLETED (409 "
        "otherwise)."
    ),
)
def create_partner_link(
    orderId: OrderId,
    body: Annotated[CreatePartnerLinkRequest | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[PartnerLink]:
    """A signed link to the page where the customer uploads its PO for this order."""
    principal, request = caller(app, *WRITERS), body or CreatePartnerLinkRequest()

    def create() -> PartnerLink:
        token, expires_at = order_service.create_partner_link(principal, orderId, request.expires_in_days)
        return PartnerLink(url=public_url(app, f"/partner/{token}"), token=token, expires_at=expires_at)

    return _created(_once(principal, idempotency_key, request, create, PartnerLink))


@app.get(
    "/orders/<orderId>/invoice",
    responses=ok(200, Invoice, 404, 409),
    tags=["Orders"],
    summary="Read an order's invoice",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. A draft until "
        "INVOICED, with the customer PO number, mode and document link. Statuses: PROCESSING, "
        "COMPLETED or INVOICED (409 otherwise)."
    ),
)
def get_invoice(orderId: OrderId) -> Invoice:
    """The invoice (a draft until INVOICED) with the customer PO number, mode and document link."""
    return order_service.invoice(caller(app), orderId)


@app.post(
    "/blanket-pos",
    responses=ok(201, BlanketPo),
    tags=["Blanket POs"],
    summary="Create a blanket PO",
    description=(
        "Who: a buyer or an admin. Changes: creates a customer blanket PO that orders can draw "
        "on. `Idempotency-Key` makes a retry return the first one."
    ),
)
def create_blanket_po(
    body: CreateBlanketPoRequest, idempotency_key: IdempotencyKey = None
) -> Response[BlanketPo]:
    principal = caller(app, *WRITERS)
    create = lambda: order_service.create_blanket(principal, body)  # noqa: E731
    blanket = _once(principal, idempotency_key, body, create, BlanketPo)
    return _created(blanket, location=f"/blanket-pos/{blanket.id}")


@app.get(
    "/blanket-pos",
    responses=ok(200, BlanketPoList),
    tags=["Blanket POs"],
    summary="List blanket POs",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. Page with "
        "`limit` and `cursor`."
    ),
)
def list_blanket_pos(limit: Limit = 25, cursor: Cursor = None) -> BlanketPoList:
    items, next_cursor = order_service.list_blankets(caller(app), limit=limit, cursor=cursor)
    return BlanketPoList(items=items, next_cursor=next_cursor)


@app.get(
    "/blanket-pos/<blanketPoId>",
    responses=ok(200, BlanketPo, 404),
    tags=["Blanket POs"],
    summary="Read a blanket PO",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. What is "
        "consumed and remaining, the orders drawing on it, its documents."
    ),
)
def get_blanket_po(blanketPoId: BlanketPoId) -> BlanketPo:
    """A blanket PO: consumed, remaining, the orders drawing on it, its documents."""
    return order_service.get_blanket(caller(app), blanketPoId)


@app.post(
    "/blanket-pos/<blanketPoId>/documents",
    responses=ok(201, Upload, 404),
    tags=["Blanket POs"],
    summary="Start uploading a document to a blanket PO",
    description=(
        "Who: a buyer or an admin. Changes: records a PENDING document and returns a presigned POST."
    ),
)
def request_blanket_po_upload(
    blanketPoId: BlanketPoId, body: UploadDocumentRequest, idempotency_key: IdempotencyKey = None
) -> Response[Upload]:
    """A presigned POST for the blanket PO's document; it becomes the blanket's once checked."""
    principal = caller(app, *WRITERS)
    upload = lambda: order_service.request_blanket_upload(principal, blanketPoId, body)  # noqa: E731
    return _created(_once(principal, idempotency_key, body, upload, Upload))


def _once(
    principal: Principal, key: str | None, body: BaseModel, create: Callable[[], M], model: type[M]
) -> M:
    """The route's create, once per Idempotency-Key (the path and body must match on a retry)."""
    request = {"path": app.current_event.path, "body": body.model_dump(mode="json")}
    return create_once(principal.org_id, key, f"POST {app.current_event.resource}", request, create, model)


def _order(status: int, order: Order, *, location: str | None = None) -> Response[Order]:
    headers = {"ETag": f'"{order.version}"'} | ({"Location": _url(app, location)} if location else {})
    return Response(status_code=status, body=order, headers=headers, content_type="application/json")


def _created(body: Any, *, location: str | None = None) -> Response[Any]:
    headers = {"Location": _url(app, location)} if location else None
    return Response(status_code=201, body=body, headers=headers, content_type="application/json")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    IDEMPOTENCY_CONFIG.register_lambda_context(context)
    return app.resolve(event, context)
