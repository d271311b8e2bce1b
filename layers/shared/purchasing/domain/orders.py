"""Customer orders and the customer's PO on them: pure rules, nothing here touches AWS.

An order starts as a QUOTE; once the quote is accepted it is PROCESSING, then COMPLETED, then
INVOICED; a QUOTE or a PROCESSING order may be CANCELED. Its amount, customer and description
change only while it is a QUOTE. The customer's PO is attached once the order is PROCESSING (or
COMPLETED), in one of three modes:

- NUMBER_ONLY: the PO number alone;
- FULL_UPLOAD: the PO number and an accepted document of this order;
- BLANKET: a blanket PO (its number and document reused across orders), which the order draws
  its amount from, within the blanket's cap and before its end date.

Each change returns an `OrderChange`: the order before and after, and what it draws from or
gives back to a blanket PO, for the repository to write in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

from purchasing.domain.blanket_pos import BlanketPoSummary, Customer, check_draw, same_number
from purchasing.domain.documents import DocumentStatus
from purchasing.domain.errors import (
    DomainError,
    InvalidRequest,
    InvalidTransition,
    NotReady,
    PoNotEditable,
    StateConflict,
)
from purchasing.domain.model import Amount, CamelModel, Document, Money, PoNumber


class OrderStatus(StrEnum):
    QUOTE = "QUOTE"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    INVOICED = "INVOICED"
    CANCELED = "CANCELED"


TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.QUOTE: frozenset({OrderStatus.PROCESSING, OrderStatus.CANCELED}),
    OrderStatus.PROCESSING: frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELED}),
    OrderStatus.COMPLETED: frozenset({OrderStatus.INVOICED}),
    OrderStatus.INVOICED: frozenset(),
    OrderStatus.CANCELED: frozenset(),
}
TAKES_PO = frozenset({OrderStatus.PROCESSING, OrderStatus.COMPLETED})
HAS_INVOICE = frozenset({OrderStatus.PROCESSING, OrderStatus.COMPLETED, OrderStatus.INVOICED})
QUOTE_FIELDS = ("amount", "customer", "description")  # editable only while a QUOTE


class PoMode(StrEnum):
    NUMBER_ONLY = "NUMBER_ONLY"
    FULL_UPLOAD = "FULL_UPLOAD"
    BLANKET = "BLANKET"


class DuplicateOrderNumber(DomainError):
    status, title, type = 409, "Duplicate order number", "duplicate-order-number"


class CustomerPo(CamelModel):
    mode: PoMode
    po_number: PoNumber
    document_id: str | None = None  # FULL_UPLOAD: the order's document
    blanket_po_id: str | None = None  # BLANKET: the blanket PO drawn on
    source: str = "BUYER"  # BUYER, or PARTNER when it came with a partner's upload
    attached_by: str
    attached_at: str

    def same_as(self, other: CustomerPo | None) -> bool:
        """The same PO reference, whoever attached it when."""
        fields = {"mode", "po_number", "document_id", "blanket_po_id"}
        return other is not None and self.model_dump(include=fields) == other.model_dump(include=fields)


class OrderSummary(CamelModel):
    id: str
    number: str
    status: OrderStatus = OrderStatus.QUOTE
    customer: Customer
    description: str | None = None
    amount: Money
    currency: str
    customer_po: CustomerPo | None = None
    version: int = 1
    created_at: str
    updated_at: str
    created_by: str
    invoiced_at: str | None = None


class Order(OrderSummary):
    """An order with its documents (one Query on its partition)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5a4b3c2d1e0f41526374859607a8b9c0",
                    "number": "Q-2026-0007",
                    "status": "PROCESSING",
                    "customer": {"name": "Northwind Traders", "email": "purchasing@northwind.example.com"},
                    "description": "200 brackets, powder coated",
                    "amount": "1250.00",
                    "currency": "USD",
                    "customerPo": {
                        "mode": "NUMBER_ONLY",
                        "poNumber": "NW-4471",
                        "source": "BUYER",
                        "attachedBy": "pat@acme.example.com",
                        "attachedAt": "2026-12-01T10:02:47.120Z",
                    },
                    "version": 3,
                    "createdAt": "2026-12-01T09:30:12.345Z",
                    "updatedAt": "2026-12-01T10:02:47.120Z",
                    "createdBy": "pat@acme.example.com",
                    "documents": [],
                }
            ]
        }
    )
    documents: list[Document] = []

    def document(self, document_id: str) -> Document | None:
        return next((document for document in self.documents if document.id == document_id), None)


@dataclass(frozen=True)
class Draw:
    """The order starts drawing its amount on this blanket PO."""

    blanket: BlanketPoSummary
    amount: Decimal


@dataclass(frozen=True)
class Release:
    """The order stops drawing on this blanket PO: its amount is given back."""

    blanket_po_id: str
    amount: Decimal


@dataclass(frozen=True)
class OrderChange:
    before: Order
    after: Order
    draw: Draw | None = None
    release: Release | None = None

    @property
    def changed(self) -> bool:
        return self.after is not self.before


def new_order(
    *,
    order_id: str,
    number: str,
    customer: Customer,
    amount: Decimal,
    currency: str,
    description: str | None,
    created_by: str,
    now: str,
) -> Order:
    return Order(
        id=order_id,
        number=number,
        customer=customer,
        amount=amount,
        currency=currency,
        description=description,
        created_at=now,
        updated_at=now,
        created_by=created_by,
    )


def update(order: Order, changes: dict[str, Any], status: OrderStatus | None, now: str) -> OrderChange:
    """Edit the quote's fields and/or move the order on. Fields change only in QUOTE; a field
    sent with its current value is no change. Canceling gives back what it drew on a blanket PO."""
    edits = {name: value for name, value in changes.items() if getattr(order, name) != value}
    for name in edits:
        if name not in QUOTE_FIELDS:
            raise InvalidRequest(f"{to_camel(name)} cannot be changed here", field=to_camel(name))
        if order.status is not OrderStatus.QUOTE:
            raise PoNotEditable(
                f"{to_camel(name)} can only change while the order is a QUOTE; it is {order.status}",
                field=to_camel(name),
            )
    after = order.model_copy(update=edits)
    release = None
    if status is not None and status is not order.status:
        check_transition(order.status, status)
        after.status = status
        if status is OrderStatus.INVOICED:
            after.invoiced_at = now
        if status is OrderStatus.CANCELED:
            release = _release_of(order)
    if after == order:
        return OrderChange(order, order)
    return OrderChange(order, _next_version(after, now), release=release)


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (it is final)"
        raise InvalidTransition(
            f"an order {current} cannot become {target}; it can become {allowed}", field="status"
        )


def check_takes_po(order: OrderSummary) -> None:
    if order.status not in TAKES_PO:
        raise InvalidTransition(
            f"a customer PO can be added once the order is PROCESSING (or COMPLETED); it is {order.status}",
            field="status",
        )


def check_takes_documents(order: OrderSummary) -> None:
    if order.status is OrderStatus.CANCELED:
        raise StateConflict(f"order {order.id} is CANCELED: it takes no more documents", field="status")


def set_po(
    order: Order,
    *,
    mode: PoMode,
    po_number: str | None,
    document_id: str | None,
    blanket_po_id: str | None,
    document: Document | None,
    blanket: BlanketPoSummary | None,
    today: date,
    attached_by: str,
    now: str,
    source: str = "BUYER",
) -> OrderChange:
    """Attach (or replace) the customer's PO. `document` and `blanket` are what `document_id` and
    `blanket_po_id` name in this order and org (None: no such thing)."""
    check_takes_po(order)
    _check_fields(mode, po_number, document_id, blanket_po_id)
    if mode is PoMode.FULL_UPLOAD:
        _check_document(document, document_id)
    number = po_number
    if mode is PoMode.BLANKET:
        if blanket is None:
            raise InvalidRequest(f"no blanket PO {blanket_po_id}", field="blanketPoId")
        if po_number is not None and not same_number(po_number, blanket.po_number):
            raise InvalidRequest(
                f"blanket PO {blanket_po_id} has the number {blanket.po_number}, not {po_number}",
                field="poNumber",
            )
        number = blanket.po_number
    assert number is not None  # _check_fields: every other mode needs one
    po = CustomerPo(
        mode=mode,
        po_number=number,
        document_id=document_id,
        blanket_po_id=blanket_po_id,
        source=source,
        attached_by=attached_by,
        attached_at=now,
    )
    if po.same_as(order.customer_po):
        return OrderChange(order, order)  # a PUT repeated
    current = order.customer_po
    drawing_on = current.blanket_po_id if current and current.mode is PoMode.BLANKET else None
    draw = release = None
    if blanket is not None and blanket.id != drawing_on:
        check_draw(blanket, order.amount, order.currency, today)
        draw = Draw(blanket, order.amount)
    if drawing_on is not None and drawing_on != blanket_po_id:
        release = Release(drawing_on, order.amount)
    after = _next_version(order.model_copy(update={"customer_po": po}), now)
    return OrderChange(order, after, draw=draw, release=release)


def partner_po(order: Order, document: Document, today: date, now: str) -> OrderChange | None:
    """A partner's accepted upload names the PO it carries: it becomes the order's customer PO
    (FULL_UPLOAD) if the order still takes one and has none yet. None when there is nothing to
    attach."""
    if document.source != "PARTNER" or not document.po_number or order.status not in TAKES_PO:
        return None
    if order.customer_po is not None:
        return None  # never replaced by a partner: see partner_po_kept
    return set_po(
        order,
        mode=PoMode.FULL_UPLOAD,
        po_number=document.po_number,
        document_id=document.id,
        blanket_po_id=None,
        document=document,
        blanket=None,
        today=today,
        attached_by=document.uploaded_by,
        now=now,
        source="PARTNER",
    )


def partner_po_kept(order: Order) -> str | None:
    """Why a partner's upload does not become the order's customer PO: the order has one already
    (whatever its mode). None when it has none."""
    po = order.customer_po
    if po is None:
        return None
    return (
        f"kept as a document: the order already has customer PO {po.po_number} ({po.mode}); "
        f"the buyer decides with PUT /orders/{order.id}/po"
    )


def _check_fields(
    mode: PoMode, po_number: str | None, document_id: str | None, blanket_po_id: str | None
) -> None:
    needs = {
        PoMode.NUMBER_ONLY: ({"poNumber"}, {"documentId", "blanketPoId"}),
        PoMode.FULL_UPLOAD: ({"poNumber", "documentId"}, {"blanketPoId"}),
        PoMode.BLANKET: ({"blanketPoId"}, {"documentId"}),
    }
    given = {"poNumber": po_number, "documentId": document_id, "blanketPoId": blanket_po_id}
    required, refused = needs[mode]
    for name in sorted(required):
        if given[name] is None:
            raise InvalidRequest(f"mode {mode} needs {name}", field=name)
    for name in sorted(refused):
        if given[name] is not None:
            raise InvalidRequest(f"mode {mode} takes no {name}", field=name)


def _check_document(document: Document | None, document_id: str | None) -> None:
    if document is None:
        raise InvalidRequest(f"this order has no document {document_id}", field="documentId")
    if document.status == DocumentStatus.PENDING:
        raise NotReady(
            f"document {document_id} has not been checked yet; try again once it is ACCEPTED",
            field="documentId",
        )
    if document.status != DocumentStatus.ACCEPTED:
        raise InvalidRequest(
            f"document {document_id} was {document.status}: {document.reason or 'not accepted'}",
            field="documentId",
        )


def _release_of(order: OrderSummary) -> Release | None:
    po = order.customer_po
    if po is None or po.mode is not PoMode.BLANKET or po.blanket_po_id is None:
        return None
    return Release(po.blanket_po_id, order.amount)


def _next_version(order: Order, now: str) -> Order:
    return order.model_copy(update={"version": order.version + 1, "updated_at": now})


# --- the invoice -----------------------------------------------------------------------------


class InvoicePo(CamelModel):
    po_number: str
    mode: PoMode
    blanket_po_id: str | None = None
    document_id: str | None = None
    document_url: str | None = None  # short-lived
    document_url_expires_at: str | None = None


class InvoiceLine(CamelModel):
    description: str
    amount: Amount


class Invoice(CamelModel):
    order_id: str
    order_number: str
    status: OrderStatus
    issued_at: str | None = None
    draft: bool  # until the order is INVOICED
    customer: Customer
    lines: list[InvoiceLine]
    amount: Amount
    currency: str
    purchase_order: InvoicePo | None = None


def check_has_invoice(order: OrderSummary) -> None:
    if order.status not in HAS_INVOICE:
        raise NotReady(f"an order {order.status} has no invoice", field="status")


@dataclass(frozen=True)
class DocumentRef:
    kind: str  # documents.OwnerKind value: order or blanket
    owner_id: str
    document_id: str


def invoice_document(order: OrderSummary, blanket: BlanketPoSummary | None) -> DocumentRef | None:
    """The PO document the invoice links to: the order's upload, or its blanket PO's document."""
    po = order.customer_po
    if po is None:
        return None
    if po.mode is PoMode.FULL_UPLOAD and po.document_id:
        return DocumentRef("order", order.id, po.document_id)
    if po.mode is PoMode.BLANKET and blanket is not None and blanket.document_id:
        return DocumentRef("blanket", blanket.id, blanket.document_id)
    return None


def invoice(
    order: OrderSummary, document: DocumentRef | None, link: tuple[str, str] | None = None
) -> Invoice:
    """The order's invoice (a draft until INVOICED); `link` is the document's (url, expiresAt)."""
    check_has_invoice(order)
    po = order.customer_po
    purchase_order = None
    if po is not None:
        purchase_order = InvoicePo(
            po_number=po.po_number,
            mode=po.mode,
            blanket_po_id=po.blanket_po_id,
            document_id=document.document_id if document else None,
            document_url=link[0] if link else None,
            document_url_expires_at=link[1] if link else None,
        )
    return Invoice(
        order_id=order.id,
        order_number=order.number,
        status=order.status,
        issued_at=order.invoiced_at,
        draft=order.status is not OrderStatus.INVOICED,
        customer=order.customer,
        lines=[InvoiceLine(description=order.description or f"Order {order.number}", amount=order.amount)],
        amount=order.amount,
        currency=order.currency,
        purchase_order=purchase_order,
    )
