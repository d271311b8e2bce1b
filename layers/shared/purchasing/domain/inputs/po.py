"""The inputs of the PO use cases: a new PO, its lines, their partial updates, and a part."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field, model_validator

from purchasing.domain import model
from purchasing.domain.inputs import Patch
from purchasing.domain.model import (
    CamelModel,
    Clauses,
    Currency,
    CustomAttributes,
    Day,
    LongText,
    Money,
    PartId,
    PoNumber,
    PurchaseType,
    Quantity,
    Supplier,
    Text,
)
from purchasing.domain.purchase_orders import MAX_LINES


class LineFields(model.LineFields):
    """A line as a client sends it; its purchase type comes from its part."""

    # the domain's line fields, as a client must send them: a positive quantity, a sensible ETA

    quantity: Quantity = Field(description="greater than zero")
    eta: Day | None = None

    @model_validator(mode="after")
    def _positive_quantity(self) -> LineFields:
        if self.quantity <= 0:
            raise ValueError("quantity must be greater than zero")
        return self


class CreateLineRequest(LineFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "description": "M6 hex bolts, box of 100",
                    "quantity": "10",
                    "unitCost": "4.35",
                    "eta": "2026-12-15",
                    "partId": "BOLT-M6",
                    "paid": False,
                }
            ]
        }
    )
    pass


class CreatePoRequest(CamelModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "supplier": {"name": "Acme Metals", "email": "orders@acme.example.com"},
                    "currency": "USD",
                    "lines": [
                        {
                            "description": "M6 hex bolts, box of 100",
                            "quantity": "10",
                            "unitCost": "4.35",
                            "eta": "2026-12-15",
                        }
                    ],
                }
            ]
        }
    )
    supplier: Supplier
    currency: Currency
    number: PoNumber | None = None
    lines: list[LineFields] = Field(default=[], max_length=MAX_LINES)
    custom_attributes: CustomAttributes = {}


class UpdatePoRequest(Patch):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "supplier": {"name": "Acme Metals", "email": "orders@acme.example.com"},
                    "currency": "EUR",
                    "customAttributes": {"project": "P-17"},
                }
            ]
        }
    )
    supplier: Supplier | None = None
    currency: Currency | None = None
    number: PoNumber | None = None
    custom_attributes: CustomAttributes | None = None


class UpdateLineRequest(Patch):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"quantity": "12", "eta": "2026-12-20", "paid": True}]}
    )
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"part_id", "eta"})

    part_id: PartId | None = None
    description: LongText | None = None
    quantity: Quantity | None = None
    unit_cost: Money | None = None
    eta: Day | None = None
    paid: bool | None = None
    quality_clauses: Clauses | None = None
    term_requirements: Clauses | None = None
    custom_attributes: CustomAttributes | None = None

    @model_validator(mode="after")
    def _positive_quantity(self) -> UpdateLineRequest:
        if self.quantity is not None and self.quantity <= 0:
            raise ValueError("quantity must be greater than zero")
        return self


class PutPartRequest(CamelModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "M6 hex bolt", "purchaseType": "CREATES_INVENTORY"}]}
    )
    name: Text
    purchase_type: PurchaseType
