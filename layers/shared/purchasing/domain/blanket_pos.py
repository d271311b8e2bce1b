"""Blanket POs: one customer PO number (and its document) that many orders draw on.

A blanket PO may have a cap (what all the orders drawing on it may add up to) and an end date
(the last day, in UTC, an order may start drawing on it). Both are checked here before a draw
and again, atomically, by the table write (`orders_repository`), so two orders racing for the
last of a cap cannot both get it. Nothing here touches AWS.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import EmailStr

from purchasing.domain.errors import BlanketPoCapExceeded, BlanketPoEnded, InvalidRequest
from purchasing.domain.model import Amount, CamelModel, Document, Money, PoNumber, Text, format_decimal


class Customer(CamelModel):
    name: Text
    email: EmailStr | None = None


class BlanketUse(CamelModel):
    """An order drawing on a blanket PO, and how much."""

    order_id: str
    order_number: str
    amount: Amount
    at: str


class BlanketPoSummary(CamelModel):
    id: str
    po_number: PoNumber
    customer: Customer
    currency: str
    cap: Money | None = None
    consumed: Amount = Decimal(0)
    remaining: Amount | None = None  # cap - consumed; none without a cap
    end_date: date | None = None
    document_id: str | None = None  # the blanket's current (accepted) document
    version: int = 1
    created_at: str
    updated_at: str
    created_by: str


class BlanketPo(BlanketPoSummary):
    """A blanket PO with the orders drawing on it and its documents (one Query)."""

    orders: list[BlanketUse] = []
    documents: list[Document] = []


def new_blanket_po(
    *,
    blanket_po_id: str,
    po_number: str,
    customer: Customer,
    currency: str,
    cap: Decimal | None,
    end_date: date | None,
    today: date,
    created_by: str,
    now: str,
) -> BlanketPo:
    if cap is not None and cap <= 0:
        raise InvalidRequest("a cap must be greater than zero (leave it out for no cap)", field="cap")
    if end_date is not None and end_date < today:
        raise InvalidRequest(f"the end date {end_date} has already passed", field="endDate")
    return BlanketPo(
        id=blanket_po_id,
        po_number=po_number,
        customer=customer,
        currency=currency,
        cap=cap,
        remaining=remaining(cap, Decimal(0)),
        end_date=end_date,
        created_at=now,
        updated_at=now,
        created_by=created_by,
    )


def remaining(cap: Decimal | None, consumed: Decimal) -> Decimal | None:
    """What orders may still draw: none without a cap."""
    return None if cap is None else max(cap - consumed, Decimal(0))


def check_draw(blanket: BlanketPoSummary, amount: Decimal, currency: str, today: date) -> None:
    """May an order of `amount` in `currency` start drawing on this blanket PO today?"""
    if blanket.currency != currency:
        raise InvalidRequest(
            f"blanket PO {blanket.po_number} is in {blanket.currency}; this order is in {currency}",
            field="blanketPoId",
        )
    if blanket.end_date is not None and blanket.end_date < today:
        raise BlanketPoEnded(
            f"blanket PO {blanket.po_number} ended on {blanket.end_date}", field="blanketPoId"
        )
    if blanket.cap is not None and blanket.consumed + amount > blanket.cap:
        left = format_decimal(remaining(blanket.cap, blanket.consumed) or Decimal(0))
        raise BlanketPoCapExceeded(
            f"blanket PO {blanket.po_number} has {left} of its cap {format_decimal(blanket.cap)} left; "
            f"this order needs {format_decimal(amount)}",
            field="blanketPoId",
        )


def same_number(a: str, b: str) -> bool:
    """PO numbers compare as people type them: case and surrounding spaces do not matter."""
    return a.strip().casefold() == b.strip().casefold()
