"""A PO's workflow over HTTP: submit, revise, order, receive, cancel, and its history."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import approval_service, pdf_service, po_service
from purchasing.api.http import WRITERS, Api, IfMatch, LineId, PoId, caller, ok, po_response, version_from
from purchasing.api.schemas import HistoryList, ReceiptRequest
from purchasing.approval_service import RouteView
from purchasing.domain.model import Line, PurchaseOrder
from purchasing.domain.purchase_orders import find_line
from purchasing.observability import logger, metrics, tracer
from purchasing.pdf_service import PdfLink

app = Api()
CONFLICTS = (404, 409, 412)


@app.post("/pos/<poId>/submit", responses=ok(202, PurchaseOrder, *CONFLICTS), tags=["Workflow"])
def submit(poId: PoId, if_match: IfMatch = None) -> Response[PurchaseOrder]:
    """Request approval for the PO's DRAFT lines."""
    return po_response(app, 202, po_service.submit(caller(app, *WRITERS), poId, version_from(if_match)))


@app.post("/pos/<poId>/revise", responses=ok(200, PurchaseOrder, *CONFLICTS), tags=["Workflow"])
def revise(poId: PoId, if_match: IfMatch = None) -> Response[PurchaseOrder]:
    """Bring approved, not yet received lines back to DRAFT for changes."""
    return po_response(app, 200, po_service.revise(caller(app, *WRITERS), poId, version_from(if_match)))


@app.post("/pos/<poId>/order", responses=ok(200, PurchaseOrder, *CONFLICTS), tags=["Workflow"])
def place_order(poId: PoId, if_match: IfMatch = None) -> Response[PurchaseOrder]:
    """Place an APPROVED PO: its lines are ORDERED (digital ones received at once)."""
    return po_response(app, 200, po_service.place_order(caller(app, *WRITERS), poId, version_from(if_match)))


@app.post("/pos/<poId>/lines/<lineId>/receipts", responses=ok(201, Line, *CONFLICTS), tags=["Workflow"])
def receive(poId: PoId, lineId: LineId, body: ReceiptRequest, if_match: IfMatch = None) -> Response[Line]:
    """Record a (partial) receipt; the line is RECEIVED once its whole quantity is in."""
    po = po_service.receive(caller(app, *WRITERS), poId, lineId, body.quantity, version_from(if_match))
    return po_response(app, 201, po, find_line(po, lineId))


@app.post("/pos/<poId>/lines/<lineId>/cancel", responses=ok(200, Line, *CONFLICTS), tags=["Workflow"])
def cancel_line(poId: PoId, lineId: LineId, if_match: IfMatch = None) -> Response[Line]:
    po = po_service.cancel_line(caller(app, *WRITERS), poId, lineId, version_from(if_match))
    return po_response(app, 200, po, find_line(po, lineId))


@app.post("/pos/<poId>/cancel", responses=ok(200, PurchaseOrder, *CONFLICTS), tags=["Workflow"])
def cancel(poId: PoId, if_match: IfMatch = None) -> Response[PurchaseOrder]:
    """Cancel every open line; what was received stays received."""
    return po_response(app, 200, po_service.cancel(caller(app, *WRITERS), poId, version_from(if_match)))


@app.get("/pos/<poId>/history", responses=ok(200, HistoryList, 404), tags=["Workflow"])
def history(poId: PoId) -> HistoryList:
    """The PO's audit trail, oldest first."""
    return HistoryList(items=po_service.history_of(caller(app), poId))


@app.get("/pos/<poId>/approval-route", responses=ok(200, RouteView, 404), tags=["Workflow"])
def approval_route(poId: PoId) -> RouteView:
    """The levels and approvers this PO would go through if submitted now, and why."""
    return approval_service.route_of(caller(app), poId)


@app.get("/pos/<poId>/pdf", responses=ok(200, PdfLink, 404, 409), tags=["Workflow"])
def pdf(poId: PoId) -> PdfLink:
    """A short-lived link to the PDF sent to the supplier (409 until the PO is ordered)."""
    return pdf_service.latest_link(caller(app), poId)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
