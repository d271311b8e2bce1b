"""Customer orders, blanket POs and the orders drawing on them, in the table.

- An order with its documents is one Query on its partition (`ORG#o#ORDER#id`); a blanket PO
  with its documents and the orders drawing on it is one Query on its own (`ORG#o#BLANKET#id`).
- Orders are listed through ByUpdated (`GSI3PK ORG#o#ORDERS`) or, by status, ByStatus
  (`GSI1PK ORG#o#ORDERSTATUS#<status>`); blanket POs through ByUpdated (`ORG#o#BLANKETS`).
  Newest created first (the sort key does not move, so a cursor never skips or repeats one).
  No Scan.
- Every change of an order is one transaction: the order, conditional on the version and status
  read; a draw on a blanket PO adds the order's amount to its `consumed` only while the result
  stays within the cap and the end date has not passed, and puts `USE#<orderId>`; a release
  takes the amount back and deletes that item. DynamoDB serializes transactions on an item, so
  of two orders racing for the last of a cap, the second one's condition fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model

from purchasing.data import documents_repository
from purchasing.data.counters import next_number
from purchasing.data.mapping import fields, to_item, to_model
from purchasing.data.paging import query_page
from purchasing.data.tables import (
    BlanketPoItem,
    BlanketUseItem,
    DocumentItem,
    NumberItem,
    OrderItem,
    OwnerPartitionItem,
    org_list_key,
    owner_pk,
)
from purchasing.data.transactions import Op, VersionConflict, failed_items, write
from purchasing.domain.blanket_pos import BlanketPo, BlanketPoSummary, BlanketUse, Customer, remaining
from purchasing.domain.documents import OwnerKind
from purchasing.domain.model import Document
from purchasing.domain.orders import (
    CustomerPo,
    Draw,
    DuplicateOrderNumber,
    Order,
    OrderChange,
    OrderStatus,
    OrderSummary,
    Release,
)

ORDER_SK = "ORDER"
BLANKET_SK = "BLANKET"


class BlanketRefused(Exception):
    """The blanket PO refused the draw: its cap or end date, checked by DynamoDB at write time."""


@dataclass(frozen=True)
class StoredOrder:
    order: Order
    partner_documents: frozenset[str]  # partner uploads already applied as the customer PO


def new_id() -> str:
    return uuid.uuid4().hex


def next_order_number(org_id: str) -> str:
    return next_number(org_id, "SO")


def order_status_key(org_id: str, status: OrderStatus) -> str:
    return f"ORG#{org_id}#ORDERSTATUS#{status.value}"


# --- orders ------------------------------------------------------------------------------------


def create_order(org_id: str, order: Order) -> None:
    """The order and its number's reservation; DuplicateOrderNumber if the number is taken."""
    reservation = NumberItem.of("ORDER", org_id, order.number, order.id)
    failed = _transact(
        [
            Op("put", _order_item(org_id, order, frozenset()), OrderItem.pk.does_not_exist()),
            Op("put", reservation, NumberItem.pk.does_not_exist()),
        ]
    )
    if any(isinstance(item, NumberItem) for item in failed):
        raise DuplicateOrderNumber(
            f"order number {order.number} is already used in this organization", field="number"
        )
    if failed:
        raise VersionConflict  # an order id collision: practically never


def get_order(org_id: str, order_id: str, *, consistent: bool = False) -> StoredOrder | None:
    """One Query on the order's partition: the order and its documents (`consistent`: with every
    write acknowledged before it, such as a document accepted a moment ago)."""
    header: OrderItem | None = None
    documents: list[Document] = []
    pk = owner_pk(org_id, OwnerKind.ORDER.value, order_id)
    for item in OwnerPartitionItem.query(pk, consistent_read=consistent):
        if isinstance(item, OrderItem):
            header = item
        elif isinstance(item, DocumentItem):
            documents.append(documents_repository.to_domain(item))
    if header is None:
        return None
    order = Order.model_validate({**_order_fields(header), "documents": documents})
    return StoredOrder(order=order, partner_documents=frozenset(header.partner_documents or ()))


def list_orders(
    org_id: str, *, status: OrderStatus | None, limit: int, cursor: str | None
) -> tuple[list[OrderSummary], str | None]:
    index: GlobalSecondaryIndex[Any]
    if status is not None:
        index, hash_key, hash_attr = OrderItem.by_status, order_status_key(org_id, status), "GSI1PK"
    else:
        index, hash_key, hash_attr = OrderItem.by_updated, org_list_key(org_id, "ORDERS"), "GSI3PK"
    items, next_cursor = query_page(index, hash_key, hash_attr, limit=limit, cursor=cursor)
    return [OrderSummary.model_validate(_order_fields(item)) for item in items], next_cursor


def save_order(
    org_id: str,
    stored: StoredOrder,
    change: OrderChange,
    *,
    today: date,
    partner_document: str | None = None,
) -> None:
    """Write the order as changed, with its draw on and release of blanket POs, in one
    transaction; VersionConflict if the order changed since it was read, BlanketRefused if the
    blanket PO drawn on is past its cap or end date by now."""
    before, after = change.before, change.after
    applied = stored.partner_documents | ({partner_document} if partner_document else set())
    order_op = Op(
        "put",
        _order_item(org_id, after, applied),
        (OrderItem.version == before.version) & (OrderItem.status == before.status.value),
    )
    ops = [order_op]
    if change.release is not None:
        ops += _release_ops(org_id, after, change.release)
    draw_op = None
    if change.draw is not None:
        draw_op, *use = _draw_ops(org_id, after, change.draw, today)
        ops += [draw_op, *use]
    failed = _transact(ops)
    if draw_op is not None and draw_op.item in failed and order_op.item not in failed:
        raise BlanketRefused(change.draw.blanket.id if change.draw else "")
    if failed:
        raise VersionConflict


def _draw_ops(org_id: str, order: OrderSummary, draw: Draw, today: date) -> list[Op]:
    blanket = draw.blanket
    pk = owner_pk(org_id, OwnerKind.BLANKET.value, blanket.id)
    condition: Condition = BlanketPoItem.currency == order.currency
    if blanket.cap is not None:  # consumed + amount <= cap, as DynamoDB can compare it
        condition &= (BlanketPoItem.cap == blanket.cap) & (
            BlanketPoItem.consumed <= blanket.cap - draw.amount
        )
    else:
        condition &= BlanketPoItem.cap.does_not_exist()
    condition &= BlanketPoItem.end_date.does_not_exist() | (BlanketPoItem.end_date >= today.isoformat())
    use = BlanketUseItem(
        pk,
        f"USE#{order.id}",
        order_id=order.id,
        order_number=order.number,
        amount=draw.amount,
        at=order.updated_at,
    )
    return [
        Op(
            "update",
            BlanketPoItem(pk, BLANKET_SK),
            condition,
            [BlanketPoItem.consumed.set(BlanketPoItem.consumed + draw.amount)],
        ),
        Op("put", use, BlanketUseItem.sk.does_not_exist()),
    ]


def _release_ops(org_id: str, order: OrderSummary, release: Release) -> list[Op]:
    pk = owner_pk(org_id, OwnerKind.BLANKET.value, release.blanket_po_id)
    return [
        Op(
            "update",
            BlanketPoItem(pk, BLANKET_SK),
            BlanketPoItem.sk.exists(),
            [BlanketPoItem.consumed.set(BlanketPoItem.consumed - release.amount)],
        ),
        Op("delete", BlanketUseItem(pk, f"USE#{order.id}"), BlanketUseItem.sk.exists()),
    ]


# --- blanket POs -------------------------------------------------------------------------------


def create_blanket(org_id: str, blanket: BlanketPoSummary) -> None:
    sort_key = f"{blanket.created_at}#{blanket.id}"
    item = to_item(
        BlanketPoItem,
        blanket,
        pk=owner_pk(org_id, OwnerKind.BLANKET.value, blanket.id),
        sk=BLANKET_SK,
        blanket_po_id=blanket.id,
        customer_name=blanket.customer.name,
        customer_email=blanket.customer.email,
        consumed=Decimal(0),
        gsi3pk=org_list_key(org_id, "BLANKETS"),
        gsi3sk=sort_key,
    )
    item.save(BlanketPoItem.pk.does_not_exist())


def get_blanket_summary(org_id: str, blanket_po_id: str) -> BlanketPoSummary | None:
    """The blanket PO alone (one GetItem): what a draw or an invoice needs."""
    try:
        item = BlanketPoItem.get(owner_pk(org_id, OwnerKind.BLANKET.value, blanket_po_id), BLANKET_SK)
    except BlanketPoItem.DoesNotExist:
        return None
    return BlanketPoSummary.model_validate(_blanket_fields(item))


def get_blanket(org_id: str, blanket_po_id: str) -> BlanketPo | None:
    """One Query on its partition: the blanket PO, the orders drawing on it, its documents."""
    header: BlanketPoItem | None = None
    uses: list[BlanketUse] = []
    documents: list[Document] = []
    for item in OwnerPartitionItem.query(owner_pk(org_id, OwnerKind.BLANKET.value, blanket_po_id)):
        if isinstance(item, BlanketPoItem):
            header = item
        elif isinstance(item, BlanketUseItem):
            uses.append(to_model(BlanketUse, item))
        elif isinstance(item, DocumentItem):
            documents.append(documents_repository.to_domain(item))
    if header is None:
        return None
    return BlanketPo.model_validate({**_blanket_fields(header), "orders": uses, "documents": documents})


def list_blankets(
    org_id: str, *, limit: int, cursor: str | None
) -> tuple[list[BlanketPoSummary], str | None]:
    hash_key = org_list_key(org_id, "BLANKETS")
    items, next_cursor = query_page(BlanketPoItem.by_updated, hash_key, "GSI3PK", limit=limit, cursor=cursor)
    return [BlanketPoSummary.model_validate(_blanket_fields(item)) for item in items], next_cursor


def set_blanket_document(org_id: str, blanket_po_id: str, document: Document, now: str) -> bool:
    """Make an accepted document the blanket PO's own, unless a newer one already is (so a
    redelivered older one changes nothing). False when nothing changed."""
    item = BlanketPoItem(owner_pk(org_id, OwnerKind.BLANKET.value, blanket_po_id), BLANKET_SK)
    newer = BlanketPoItem.document_at.does_not_exist() | (BlanketPoItem.document_at < document.created_at)
    try:
        item.update(
            actions=[
                BlanketPoItem.document_id.set(document.id),
                BlanketPoItem.document_at.set(document.created_at),
                BlanketPoItem.updated_at.set(now),
            ],
            condition=BlanketPoItem.sk.exists() & newer,
        )
        return True
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


# --- transactions and conversion ---------------------------------------------------------------


def _transact(ops: Sequence[Op]) -> list[Model]:
    """Run the ops as one transaction; the items whose condition failed (none: it was written)."""
    try:
        write(ops)
    except TransactWriteError as error:
        reasons = {reason.code for reason in error.cancellation_reasons or [] if reason}
        if "TransactionConflict" in reasons:
            raise VersionConflict from error  # another transaction on one of the items: retry
        failed = failed_items(ops, error)
        if not failed:
            raise
        return failed
    return []


def _order_item(org_id: str, order: OrderSummary, partner_documents: frozenset[str] | set[str]) -> OrderItem:
    sort_key = f"{order.created_at}#{order.id}"
    po = order.customer_po
    return to_item(
        OrderItem,
        order,
        pk=owner_pk(org_id, OwnerKind.ORDER.value, order.id),
        sk=ORDER_SK,
        order_id=order.id,
        customer_name=order.customer.name,
        customer_email=order.customer.email,
        customer_po=po.model_dump(mode="json", by_alias=True) if po else None,
        partner_documents=set(partner_documents) or None,
        gsi1pk=order_status_key(org_id, order.status),
        gsi1sk=sort_key,
        gsi3pk=org_list_key(org_id, "ORDERS"),
        gsi3sk=sort_key,
    )


def _order_fields(item: OrderItem) -> dict[str, Any]:
    return fields(
        OrderSummary,
        item,
        id=item.order_id,
        customer=Customer(name=item.customer_name, email=item.customer_email),
        customer_po=CustomerPo.model_validate(item.customer_po) if item.customer_po else None,
    )


def _blanket_fields(item: BlanketPoItem) -> dict[str, Any]:
    return fields(
        BlanketPoSummary,
        item,
        id=item.blanket_po_id,
        customer=Customer(name=item.customer_name, email=item.customer_email),
        remaining=remaining(item.cap, item.consumed),
    )
