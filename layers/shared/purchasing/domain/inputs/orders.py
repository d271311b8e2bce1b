"""The inputs of the customer order use cases: orders, their customer POs, blanket POs, partner uploads."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field, StringConstraints

from purchasing.domain.blanket_pos import Customer
from purchasing.domain.inputs import Patch
from purchasing.domain.inputs.uploads import UploadDocumentRequest
from purchasing.domain.model import CamelModel, Currency, Day, LongText, Money, PoNumber
from purchasing.domain.orders import OrderStatus, PoMode

ResourceId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class CreateOrderRequest(CamelModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer": {"name": "Northwind Traders", "email": "purchasing@northwind.example.com"},
                    "amount": "1250.00",
                    "currency": "USD",
                    "description": "200 brackets, powder coated",
                }
            ]
        }
    )
    customer: Customer
    amount: Money
    currency: Currency
    description: LongText | None = None
    number: PoNumber | None = Field(default=None, description="else allocated (SO-000001, ...)")


class UpdateOrderRequest(Patch):
    """A status transition and/or, while the order is a QUOTE, its amount, customer, description."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "PROCESSING"},
                {"amount": "1300.00", "description": "210 brackets, powder coated"},
            ]
        }
    )
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"description"})

    status: OrderStatus | None = None
    amount: Money | None = None
    customer: Customer | None = None
    description: LongText | None = None


class SetPoRequest(CamelModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"mode": "NUMBER_ONLY", "poNumber": "NW-4471"},
                {
                    "mode": "FULL_UPLOAD",
                    "poNumber": "NW-4471",
                    "documentId": "3f1c2a9e8b7d4c6f9a0b1c2d3e4f5a6b",
                },
                {
                    "mode": "BLANKET",
                    "poNumber": "NW-BLANKET-2026",
                    "blanketPoId": "9b8a7c6d5e4f40312a1b2c3d4e5f6a7b",
                },
            ]
        }
    )
    mode: PoMode
    po_number: PoNumber | None = Field(default=None, description="optional for BLANKET (then the blanket's)")
    document_id: ResourceId | None = Field(default=None, description="FULL_UPLOAD: an accepted document")
    blanket_po_id: ResourceId | None = Field(default=None, description="BLANKET: the blanket PO")


class PartnerUploadRequest(UploadDocumentRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "fileName": "po-4471.pdf",
                    "contentType": "application/pdf",
                    "size": 91822,
                    "poNumber": "NW-4471",
                }
            ]
        }
    )
    po_number: PoNumber


class CreateBlanketPoRequest(CamelModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "poNumber": "NW-BLANKET-2026",
                    "customer": {"name": "Northwind Traders", "email": "purchasing@northwind.example.com"},
                    "currency": "USD",
                    "cap": "50000",
                    "endDate": "2026-12-31",
                }
            ]
        }
    )
    po_number: PoNumber
    customer: Customer
    currency: Currency
    cap: Money | None = Field(default=None, description="what all orders together may draw; none: no cap")
    end_date: Day | None = Field(default=None, description="the last day (UTC) an order may draw on it")
