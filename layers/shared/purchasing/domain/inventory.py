"""Receiving creates inventory only for parts whose purchase type says so.

A line of such a part has one lot: ON_ORDER once ordered, moving into stock as it is received.
The lot is computed from the line alone, so writing it twice gives the same lot.
"""

from __future__ import annotations

from decimal import Decimal

from purchasing.domain.model import InventoryLot, Line, LotStatus, PurchaseOrder, PurchaseType, Status


def creates_inventory(line: Line) -> bool:
    return line.part_id is not None and line.purchase_type is PurchaseType.CREATES_INVENTORY


def lot_for(po: PurchaseOrder, line: Line, now: str) -> InventoryLot | None:
    """The lot this line holds now, or None when it holds nothing (not ordered, or revised)."""
    on_order = line.quantity - line.received_quantity if line.status is Status.ORDERED else Decimal(0)
    in_stock = line.received_quantity
    if on_order <= 0 and in_stock <= 0:
        return None
    if on_order <= 0:
        status = LotStatus.IN_STOCK
    else:
        status = LotStatus.PARTIALLY_RECEIVED if in_stock > 0 else LotStatus.ON_ORDER
    return InventoryLot(
        po_id=po.id,
        po_number=po.number,
        line_id=line.id,
        status=status,
        on_order_quantity=max(on_order, Decimal(0)),
        in_stock_quantity=in_stock,
        updated_at=now,
    )
