"""A PO's workflow over HTTP: submit, revise, order, receive, cancel, and its history."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import config
from purchasing.api.http import WRITERS, Api, IfMatch, LineId, PoId, caller, ok, po_response, version_from
from purchasing.api.schemas import HistoryList, ReceiptRequest
from purchasing.domain.model import Line, PurchaseOrder
from purchasing.domain.purchase_orders import find_line
from purchasing.observability import logger, metrics, tracer
from purchasing.services import approval_service, pdf_service, po_service
from purchasing.services.approval_service import RouteView
from purchasing.services.pdf_service import PdfLink

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(*config.API_FUNCTION, config.Documents)

app = Api()
CONFLICTS = (404, 409, 412)


@app.post(
    "/pos/<poId>/submit",
    responses=ok(202, PurchaseOrder, *CONFLICTS),
    tags=["Workflow"],
    summary="Submit a purchase order for approval",
    description=(
        "Who: a buyer or an admin. Changes: the DRAFT lines go IN_REVIEW and an approval round "
        "starts (approved at once when the org has no policy levels). Statuses: needs a DRAFT "
        "line (409 otherwise)."
    ),
)
def submit(poId: PoId, if_match: IfMatch = None) -> Response[PurchaseOrder]:
    """Request approval for the PO's DRAFT lines."""
    return po_response(app, 202, po_service.submit(caller(app, *WRITERS), poId, version_from(if_match)))


@app.post(
    "/pos/<poId>/revise",
    responses=ok(200, PurchaseOrder, *CONFLICTS),
    tags=["Workflow"],
    summary="Bring a purchase order back to draft",
    description=(
        "Who: a buyer or an admin. Changes: IN_REVIEW, APPROVED and ORDERED (not yet received) "
        "lines go back to DRAFT. Statuses: needs such a line (409 otherwise)."
    ),
)
def revise(poId: PoId, if_match: IfMatch = None) -> Response[PurchaseOrder]:
    """Bring approved, not yet received lines back to DRAFT for changes."""
    return po_response(app, 200, po_service.revise(caller(app, *WRITERS), poId, version_from(if_match)))


@app.post(
    "/pos/<poId>/order",
    responses=ok(200, PurchaseOrder, *CONFLICTS),
    tags=["Workflow"],
    summary="Place an approved purchase order",
    description=(
        "Who: a buyer or an admin. Changes: APPROVED lines become ORDERED (digital ones RECEIVED "
        "at once) and the PDF for the supplier is made. Statuses: only an APPROVED PO (409 "
        "otherwise)."
    ),
)
def place_order(poId: PoId, if_match: IfMatch = None) -> Response[PurchaseOrder]:
    """Place an APPROVED PO: its lines are ORDERED (digital ones received at once)."""
    return po_response(app, 200, po_service.place_order(caller(app, *WRITERS), poId, version_from(if_match)))


@app.post(
    "/pos/<poId>/lines/<lineId>/receipts",
    responses=ok(201, Line, *CONFLICTS),
    tags=["Workflow"],
    summary="Record a receipt on a line",
    description=(
        "Who: a buyer or an admin. Changes: adds the quantity received; the line is RECEIVED when "
        "all of it is in. Statuses: only an ORDERED, non-digital line; more than is outstanding "
        "is a 409 over-receipt."
    ),
)
def receive(poId: PoId, lineId: LineId, body: ReceiptRequest, if_match: IfMatch = None) -> Response[Line]:
    """Record a (partial) receipt; the line is RECEIVED once its whole quantity is in."""
    po = po_service.receive(caller(app, *WRITERS), poId, lineId, body.quantity, version_from(if_match))
    return po_response(app, 201, po, find_line(po, lineId))


@app.post(
    "/pos/<poId>/lines/<lineId>/cancel",
    responses=ok(200, Line, *CONFLICTS),
    tags=["Workflow"],
    summary="Cancel a line",
    description=(
        "Who: a buyer or an admin. Changes: an open line becomes CANCELED, or RECEIVED closed "
        "short when partly received. Statuses: DRAFT, IN_REVIEW, APPROVED or ORDERED lines (409 "
        "otherwise)."
    ),
)
def cancel_line(poId: PoId, lineId: LineId, if_match: IfMatch = None) -> Response[Line]:
    po = po_service.cancel_line(caller(app, *WRITERS), poId, lineId, version_from(if_match))
    return po_response(app, 200, po, find_line(po, lineId))


@app.post(
    "/pos/<poId>/cancel",
    responses=ok(200, PurchaseOrder, *CONFLICTS),
    tags=["Workflow"],
    summary="Cancel a purchase order",
    description=(
        "Who: a buyer or an admin. Changes: every open line is canceled; what was received stays "
        "received. Statuses: needs an open line (409 otherwise)."
    ),
)
def cancel(poId: PoId, if_match: IfMatch = None) -> Response[PurchaseOrder]:
    """Cancel every open line; what was received stays received."""
    return po_response(app, 200, po_service.cancel(caller(app, *WRITERS), poId, version_from(if_match)))


@app.get(
    "/pos/<poId>/history",
    responses=ok(200, HistoryList, 404),
    tags=["Workflow"],
    summary="Read a purchase order's audit trail",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. Statuses: any. "
        "Events oldest first."
    ),
)
def history(poId: PoId) -> HistoryList:
    """The PO's audit trail, oldest first."""
    return HistoryList(items=po_service.history_of(caller(app), poId))


@app.get(
    "/pos/<poId>/approval-route",
    responses=ok(200, RouteView, 404),
    tags=["Workflow"],
    summary="Preview a purchase order's approval route",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. Statuses: any. "
        "The levels and approvers the PO would go through if submitted now, and why."
    ),
)
def approval_route(poId: PoId) -> RouteView:
    """The levels and approvers this PO would go through if submitted now, and why."""
    return approval_service.route_of(caller(app), poId)


@app.get(
    "/pos/<poId>/pdf",
    responses=ok(200, PdfLink, 404, 409),
    tags=["Workflow"],
    summary="Get a download link for the supplier's PDF",
    description=(
        "Who: any member of the org (buyer, approver or admin). Changes: nothing. Statuses: once "
        "the PO has been ordered (409 before)."
    ),
)
def pdf(poId: PoId) -> PdfLink:
    """A short-lived link to the PDF sent to the supplier (409 until the PO is ordered)."""
    return pdf_service.latest_link(caller(app), poId)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
