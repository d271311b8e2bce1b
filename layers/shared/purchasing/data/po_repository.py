"""Purchase orders in the table: the only module that reads and writes them.

- Reading a PO with all its lines is one Query on its partition.
- Listing is a Query on a GSI, newest first, with an opaque cursor.
- Every write is a transaction whose header put is conditional on the version read, so a
  concurrent writer can never be overwritten silently.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from purchasing.config import settings
from purchasing.data.tables import (
    HEADER_SK,
    CounterItem,
    PoHeaderItem,
    PoLineItem,
    PoNumberItem,
    PoPartitionItem,
    line_sk,
    org_pos_key,
    po_pk,
    status_key,
    supplier_key,
)
from purchasing.domain.errors import DuplicatePoNumber, InvalidCursor
from purchasing.domain.model import (
    Line,
    PoSummary,
    PurchaseOrder,
    Status,
    Supplier,
    Totals,
    line_id,
    with_totals,
)

TRANSACTION_LIMIT = 100


class VersionConflict(Exception):
    """The header changed since it was read."""


def new_po_id() -> str:
    return uuid.uuid4().hex


def next_po_number(org_id: str) -> str:
    counter = CounterItem(pk=f"ORG#{org_id}", sk="COUNTER#PO")
    counter.update(actions=[CounterItem.value.add(1)])
    return f"PO-{int(counter.value):06d}"


def get(org_id: str, po_id: str) -> PurchaseOrder | None:
    header: PoHeaderItem | None = None
    lines: list[PoLineItem] = []
    for item in PoPartitionItem.query(po_pk(org_id, po_id)):
        if isinstance(item, PoHeaderItem):
            header = item
        elif isinstance(item, PoLineItem):
            lines.append(item)
    return None if header is None else with_totals(_to_domain(header, lines))


def create(org_id: str, po: PurchaseOrder) -> None:
    """Lines first, in chunks; the header and the number reservation last, in one transaction.

    Until the header exists the PO does not: a failure part way leaves only unreachable lines,
    which are removed before the error is raised.
    """
    items: list[tuple[Any, Any]] = [(_line_item(org_id, po.id, line), None) for line in po.lines]
    final = [
        (_header_item(org_id, po), PoHeaderItem.pk.does_not_exist()),
        (PoNumberItem(pk=PoNumberItem.key(org_id, po.number), po_id=po.id), PoNumberItem.pk.does_not_exist()),
    ]
    head_count = max(0, len(items) + len(final) - TRANSACTION_LIMIT)
    chunks = _chunks(items[:head_count], TRANSACTION_LIMIT) + [items[head_count:] + final]
    written: list[PoLineItem] = []
    try:
        for chunk in chunks:
            _transact(puts=chunk, number=po.number)
            written.extend(item for item, _ in chunk if isinstance(item, PoLineItem))
    except Exception:
        _delete_quietly(written)
        raise


def save(org_id: str, before: PurchaseOrder, after: PurchaseOrder) -> None:
    """Write the header and every line that changed, if the header is still at `before.version`."""
    old_lines = {line.id: line for line in before.lines}
    puts: list[tuple[Any, Any]] = [(_header_item(org_id, after), PoHeaderItem.version == before.version)]
    puts += [
        (_line_item(org_id, after.id, line), None) for line in after.lines if old_lines.get(line.id) != line
    ]
    deletes: list[tuple[Any, Any]] = []
    if after.number.upper() != before.number.upper():
        reservation = PoNumberItem(pk=PoNumberItem.key(org_id, after.number), po_id=after.id)
        puts.append((reservation, PoNumberItem.pk.does_not_exist()))
        deletes.append((PoNumberItem(pk=PoNumberItem.key(org_id, before.number)), None))
    _transact(puts=puts, deletes=deletes, number=after.number)


def list_summaries(
    org_id: str, *, status: Status | None, supplier: str | None, limit: int, cursor: str | None
) -> tuple[list[PoSummary], str | None]:
    condition = None
    index: GlobalSecondaryIndex[Any]
    if supplier is not None:
        index, hash_key = PoHeaderItem.by_supplier, supplier_key(org_id, supplier)
        condition = PoHeaderItem.status == status.value if status else None
        hash_attr = "GSI2PK"
    elif status is not None:
        index, hash_key, hash_attr = PoHeaderItem.by_status, status_key(org_id, status.value), "GSI1PK"
    else:
        index, hash_key, hash_attr = PoHeaderItem.by_updated, org_pos_key(org_id), "GSI3PK"
    result = index.query(
        hash_key,
        filter_condition=condition,
        scan_index_forward=False,
        limit=limit,
        page_size=limit,
        last_evaluated_key=_decode_cursor(cursor, hash_attr, hash_key),
    )
    summaries = [_to_summary(item) for item in result]
    return summaries, _encode_cursor(result.last_evaluated_key)


# --- conversion between table items and domain models ------------------------------------------


def _header_item(org_id: str, po: PurchaseOrder) -> PoHeaderItem:
    sort_key = f"{po.updated_at}#{po.id}"
    return PoHeaderItem(
        pk=po_pk(org_id, po.id),
        sk=HEADER_SK,
        po_id=po.id,
        number=po.number,
        status=po.status.value,
        supplier_name=po.supplier.name,
        supplier_email=po.supplier.email,
        currency=po.currency,
        subtotal=po.totals.subtotal,
        line_count=len(po.lines),
        custom_attributes=po.custom_attributes,
        version=po.version,
        created_at=po.created_at,
        updated_at=po.updated_at,
        created_by=po.created_by,
        gsi1pk=status_key(org_id, po.status.value),
        gsi1sk=sort_key,
        gsi2pk=supplier_key(org_id, po.supplier.name),
        gsi2sk=sort_key,
        gsi3pk=org_pos_key(org_id),
        gsi3sk=sort_key,
    )


def _line_item(org_id: str, po_id: str, line: Line) -> PoLineItem:
    return PoLineItem(
        pk=po_pk(org_id, po_id),
        sk=line_sk(line.line_no),
        line_no=line.line_no,
        part_id=line.part_id,
        description=line.description,
        quantity=line.quantity,
        unit_cost=line.unit_cost,
        eta=line.eta.isoformat() if line.eta else None,
        paid=line.paid,
        purchase_type=line.purchase_type.value,
        quality_clauses=line.quality_clauses,
        term_requirements=line.term_requirements,
        custom_attributes=line.custom_attributes,
        status=line.status.value,
        received_quantity=line.received_quantity,
    )


def _to_domain(header: PoHeaderItem, lines: Sequence[PoLineItem]) -> PurchaseOrder:
    return PurchaseOrder(
        id=header.po_id,
        number=header.number,
        status=Status(header.status),
        supplier=Supplier(name=header.supplier_name, email=header.supplier_email),
        currency=header.currency,
        lines=[_line_to_domain(item) for item in sorted(lines, key=lambda item: item.line_no)],
        totals=Totals(subtotal=header.subtotal),
        custom_attributes=header.custom_attributes or {},
        version=int(header.version),
        created_at=header.created_at,
        updated_at=header.updated_at,
        created_by=header.created_by,
    )


def _line_to_domain(item: PoLineItem) -> Line:
    return Line(
        id=line_id(int(item.line_no)),
        line_no=int(item.line_no),
        part_id=item.part_id,
        description=item.description,
        quantity=item.quantity,
        unit_cost=item.unit_cost,
        eta=item.eta,
        paid=item.paid,
        purchase_type=item.purchase_type,
        quality_clauses=list(item.quality_clauses or []),
        term_requirements=list(item.term_requirements or []),
        custom_attributes=item.custom_attributes or {},
        status=item.status,
        received_quantity=item.received_quantity,
    )


def _to_summary(item: PoHeaderItem) -> PoSummary:
    return PoSummary(
        id=item.po_id,
        number=item.number,
        status=Status(item.status),
        supplier=Supplier(name=item.supplier_name, email=item.supplier_email),
        currency=item.currency,
        totals=Totals(subtotal=item.subtotal),
        line_count=int(item.line_count),
        version=int(item.version),
        created_at=item.created_at,
        updated_at=item.updated_at,
        created_by=item.created_by,
    )


# --- transactions and cursors ---------------------------------------------------------------------


def _connection() -> Connection:
    return Connection(region=settings().region)


def _transact(
    *, puts: Iterable[tuple[Any, Any]], deletes: Iterable[tuple[Any, Any]] = (), number: str
) -> None:
    puts, deletes = list(puts), list(deletes)
    try:
        with TransactWrite(connection=_connection()) as transaction:
            for item, condition in puts:
                transaction.save(item, condition=condition)
            for item, condition in deletes:
                transaction.delete(item, condition=condition)
    except TransactWriteError as error:
        # pynamodb sends deletes before puts; the reasons come back in that order.
        reasons = [reason.code if reason else None for reason in (error.cancellation_reasons or [])]
        sent = [item for item, _ in deletes + puts]
        failed = [item for item, code in zip(sent, reasons, strict=False) if code == "ConditionalCheckFailed"]
        if any(isinstance(item, PoNumberItem) for item in failed):
            raise DuplicatePoNumber(
                f"PO number {number} is already used in this organization", field="number"
            ) from error
        if any(isinstance(item, PoHeaderItem) for item in failed):
            raise VersionConflict from error
        raise


def _delete_quietly(items: Sequence[PoLineItem]) -> None:
    if not items:
        return
    with PoLineItem.batch_write() as batch:
        for item in items:
            batch.delete(item)


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None, hash_attr: str, hash_key: str) -> dict[str, Any] | None:
    """A cursor is only good for the query it came from: same index, same org, same filter."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidCursor("cursor is not one this API issued", field="cursor") from error
    range_attr = hash_attr.replace("PK", "SK")
    expected = {"PK", "SK", hash_attr, range_attr}
    if (
        not isinstance(key, dict)
        or set(key) != expected
        or not all(isinstance(value, dict) and set(value) == {"S"} for value in key.values())
        or not all(isinstance(value["S"], str) and value["S"] for value in key.values())
        or key[hash_attr]["S"] != hash_key
    ):
        raise InvalidCursor("cursor does not belong to this listing", field="cursor")
    return key
