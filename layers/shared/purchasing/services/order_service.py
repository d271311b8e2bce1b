"""Use cases of customer orders: the orders, their customer POs (number, upload or blanket PO),
blanket POs, invoices, partners' upload links, and the ingest's hook for accepted documents.

Every change of an order reads it, applies a pure rule (`domain.orders`) and writes it back in
one transaction conditional on the version read (`orders_repository.save_order`). A write that
loses a race is retried on fresh data; with `If-Match` the fresh version must still be the one
asked for (else 412). A draw a blanket PO refuses at write time (another order took the rest of
its cap) is retried too, and the fresh read then explains the refusal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from purchasing.data import documents_repository, orders_repository, org_repository, secrets
from purchasing.data.orders_repository import BlanketRefused, StoredOrder
from purchasing.data.transactions import VersionConflict
from purchasing.domain import blanket_pos, orders, orgs, partner_links
from purchasing.domain.blanket_pos import BlanketPo, BlanketPoSummary
from purchasing.domain.caller import Principal
from purchasing.domain.documents import DocumentKey, DocumentStatus, OwnerKind
from purchasing.domain.errors import ConcurrentUpdate, NotFound, VersionMismatch
from purchasing.domain.model import Document, utc_now
from purchasing.domain.orders import (
    DuplicateOrderNumber,
    Invoice,
    Order,
    OrderChange,
    OrderStatus,
    OrderSummary,
)
from purchasing.domain.partner_links import PartnerClaims
from purchasing.observability import logger
from purchasing.services import document_service
from purchasing.services.document_service import DownloadLink, Upload
from purchasing.services.retry import retry_on_conflict

if TYPE_CHECKING:  # the inputs' models; the ingest, which calls the hook below, needs none
    from purchasing.domain.inputs.orders import (
        CreateBlanketPoRequest,
        CreateOrderRequest,
        PartnerUploadRequest,
        SetPoRequest,
        UpdateOrderRequest,
    )
    from purchasing.domain.inputs.uploads import UploadDocumentRequest

MAX_ATTEMPTS = 5

Plan = Callable[[Order], OrderChange]


def today() -> date:
    return datetime.now(UTC).date()


# --- orders ------------------------------------------------------------------------------------


def get(principal: Principal, order_id: str) -> Order:
    return _stored(principal.org_id, order_id).order


def list_orders(
    principal: Principal, *, status: OrderStatus | None, limit: int, cursor: str | None
) -> tuple[list[OrderSummary], str | None]:
    return orders_repository.list_orders(principal.org_id, status=status, limit=limit, cursor=cursor)


def create(principal: Principal, request: CreateOrderRequest) -> Order:
    def attempt() -> Order:
        order = orders.new_order(
            order_id=orders_repository.new_id(),
            number=request.number or orders_repository.next_order_number(principal.org_id),
            customer=request.customer,
            amount=request.amount,
            currency=request.currency,
            description=request.description,
            created_by=principal.email,
            now=utc_now(),
        )
        orders_repository.create_order(principal.org_id, order)
        return order

    return retry_on_conflict(
        attempt,
        attempts=MAX_ATTEMPTS,
        # The client chose the number: a 409. An allocated one met a manual one: the next.
        conflicts=() if request.number else (DuplicateOrderNumber,),
        gave_up=lambda: ConcurrentUpdate("could not allocate a free order number; retry"),
    )


def update(principal: Principal, order_id: str, request: UpdateOrderRequest, if_match: int | None) -> Order:
    changes = request.changes()
    status = changes.pop("status", None)
    return _change(
        principal.org_id, order_id, if_match, lambda order: orders.update(order, changes, status, utc_now())
    )


def set_po(principal: Principal, order_id: str, request: SetPoRequest, if_match: int | None) -> Order:
    _customer_pos(principal.org_id)
    org_id = principal.org_id

    def plan(order: Order) -> OrderChange:
        orders.check_takes_po(order)
        document = blanket = None
        if request.document_id is not None:
            document = order.document(request.document_id)  # read with the order: one Query
        if request.blanket_po_id is not None:
            blanket = orders_repository.get_blanket_summary(org_id, request.blanket_po_id)
        return orders.set_po(
            order,
            mode=request.mode,
            po_number=request.po_number,
            document_id=request.document_id,
            blanket_po_id=request.blanket_po_id,
            document=document,
            blanket=blanket,
            today=today(),
            attached_by=principal.email,
            now=utc_now(),
        )

    return _change(org_id, order_id, if_match, plan)


def request_upload(principal: Principal, order_id: str, request: UploadDocumentRequest) -> Upload:
    _customer_pos(principal.org_id)
    order = get(principal, order_id)
    orders.check_takes_documents(order)
    return document_service.request_upload(
        principal.org_id, OwnerKind.ORDER, order.id, request, uploaded_by=principal.email
    )


def document_link(principal: Principal, order_id: str, document_id: str) -> DownloadLink:
    order = get(principal, order_id)
    return document_service.download_link(principal.org_id, OwnerKind.ORDER, order.id, document_id)


def invoice(principal: Principal, order_id: str) -> Invoice:
    """The invoice with the PO number, mode and a short-lived link to the PO document."""
    order = get(principal, order_id)
    orders.check_has_invoice(order)
    po = order.customer_po
    blanket = None
    if po is not None and po.blanket_po_id is not None:
        blanket = orders_repository.get_blanket_summary(principal.org_id, po.blanket_po_id)
    ref = orders.invoice_document(order, blanket)
    link = None
    if ref is not None:
        download = document_service.download_link(
            principal.org_id, OwnerKind(ref.kind), ref.owner_id, ref.document_id
        )
        link = (download.url, download.expires_at)
    return orders.invoice(order, ref, link)


# --- blanket POs -------------------------------------------------------------------------------


def create_blanket(principal: Principal, request: CreateBlanketPoRequest) -> BlanketPo:
    _customer_pos(principal.org_id)
    blanket = blanket_pos.new_blanket_po(
        blanket_po_id=orders_repository.new_id(),
        po_number=request.po_number,
        customer=request.customer,
        currency=request.currency,
        cap=request.cap,
        end_date=request.end_date,
        today=today(),
        created_by=principal.email,
        now=utc_now(),
    )
    orders_repository.create_blanket(principal.org_id, blanket)
    return blanket


def get_blanket(principal: Principal, blanket_po_id: str) -> BlanketPo:
    _customer_pos(principal.org_id)
    blanket = orders_repository.get_blanket(principal.org_id, blanket_po_id)
    if blanket is None:
        raise NotFound(f"blanket PO {blanket_po_id} not found")
    return blanket


def list_blankets(
    principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[BlanketPoSummary], str | None]:
    _customer_pos(principal.org_id)
    return orders_repository.list_blankets(principal.org_id, limit=limit, cursor=cursor)


def request_blanket_upload(
    principal: Principal, blanket_po_id: str, request: UploadDocumentRequest
) -> Upload:
    blanket = get_blanket(principal, blanket_po_id)
    return document_service.request_upload(
        principal.org_id, OwnerKind.BLANKET, blanket.id, request, uploaded_by=principal.email
    )


# --- partners ----------------------------------------------------------------------------------


def create_partner_link(principal: Principal, order_id: str, days: int) -> tuple[str, str]:
    """A signed link for the customer to upload its PO to this order: (token, expiresAt)."""
    _customer_pos(principal.org_id)
    order = get(principal, order_id)
    orders.check_takes_po(order)
    token, expires_at = partner_links.issue(
        PartnerClaims(org_id=principal.org_id, order_id=order.id),
        now=int(time.time()),
        days=days,
        secret=secrets.link_secret(),
    )
    return token, datetime.fromtimestamp(expires_at, UTC).isoformat().replace("+00:00", "Z")


def open_partner_link(token: str) -> Order:
    """The order a partner link is for, while it takes a PO. Raises LinkForged (403), LinkExpired
    (410), NotFound, InvalidTransition (409: the order no longer takes a PO)."""
    return _open(token)[1]


def request_partner_upload(token: str, request: PartnerUploadRequest) -> Upload:
    claims, order = _open(token)
    return document_service.request_upload(
        claims.org_id,
        OwnerKind.ORDER,
        order.id,
        request,
        uploaded_by=f"partner:{order.customer.email or order.customer.name}",
        source="PARTNER",
        po_number=request.po_number,
    )


def upload_origin() -> str:
    return documents_repository.upload_origin()


# --- the ingest's hook -------------------------------------------------------------------------


def on_document_accepted(key: DocumentKey, document: Document) -> None:
    """Called by the ingest once a document of an order or a blanket PO is accepted; a
    redelivery changes nothing. A partner's upload that names its PO number becomes the order's
    customer PO (FULL_UPLOAD) if the order still takes one; a blanket PO's document becomes the
    blanket's own (the newest accepted one wins)."""
    if key.kind is OwnerKind.BLANKET:
        orders_repository.set_blanket_document(key.org_id, key.owner_id, document, utc_now())
        return
    if key.kind is not OwnerKind.ORDER or document.source != "PARTNER" or not document.po_number:
        return

    def attempt() -> None:
        # Strongly consistent: the ingest accepted the document just before calling.
        stored = orders_repository.get_order(key.org_id, key.owner_id, consistent=True)
        if stored is None or document.id in stored.partner_documents:
            return
        current = stored.order.document(document.id)  # read with the order: one Query
        if current is None or current.status != DocumentStatus.ACCEPTED:
            return  # as the table has it, not as the caller passed it
        kept = orders.partner_po_kept(stored.order)
        if kept is not None:
            documents_repository.note_kept(key, kept, utc_now())
            logger.info("partner PO kept", extra={"order": key.owner_id, "document": document.id})
            return
        change = orders.partner_po(stored.order, current, today(), utc_now())
        if change is None or not change.changed:
            logger.info("partner PO not attached", extra={"order": key.owner_id, "document": document.id})
            return
        orders_repository.save_order(key.org_id, stored, change, today=today(), partner_document=document.id)

    retry_on_conflict(
        attempt,
        attempts=MAX_ATTEMPTS,
        conflicts=(VersionConflict, BlanketRefused),
        gave_up=lambda: ConcurrentUpdate(f"order {key.owner_id} kept changing; the delivery will be retried"),
    )


# --- shared machinery --------------------------------------------------------------------------


def _open(token: str) -> tuple[PartnerClaims, Order]:
    claims = partner_links.open_link(token, now=int(time.time()), secret=secrets.link_secret())
    _customer_pos(claims.org_id)  # switched off since the link was made: it no longer works
    stored = orders_repository.get_order(claims.org_id, claims.order_id)
    if stored is None:
        raise NotFound("this order no longer exists")
    orders.check_takes_po(stored.order)
    return claims, stored.order


def _customer_pos(org_id: str) -> None:
    """Customer POs (the PO on an order, blanket POs, partner links) are for orgs that have them."""
    orgs.require_customer_pos(org_repository.get_org(org_id))


def _stored(org_id: str, order_id: str) -> StoredOrder:
    stored = orders_repository.get_order(org_id, order_id)
    if stored is None:
        raise NotFound(f"order {order_id} not found")
    return stored


def _change(org_id: str, order_id: str, if_match: int | None, plan: Plan) -> Order:
    def attempt() -> Order:
        stored = _stored(org_id, order_id)
        if if_match is not None and if_match != stored.order.version:
            raise VersionMismatch(
                f"order {order_id} is at version {stored.order.version}, not {if_match}", field="If-Match"
            )
        change = plan(stored.order)
        if change.changed:
            orders_repository.save_order(org_id, stored, change, today=today())
        return change.after

    return retry_on_conflict(
        attempt,
        attempts=MAX_ATTEMPTS,
        # Read again: a version moved on is a 412 above, a refused draw explained by the plan.
        conflicts=(VersionConflict, BlanketRefused),
        gave_up=lambda: ConcurrentUpdate(f"order {order_id} kept changing; retry"),
    )
