"""Request bodies and the few response envelopes that are not domain models."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from purchasing.api.base_schemas import Patch
from purchasing.domain.model import (
    CamelModel,
    Clauses,
    Currency,
    CustomAttributes,
    Day,
    HistoryEvent,
    LongText,
    Money,
    PartId,
    PoNumber,
    PoSummary,
    PurchaseType,
    Quantity,
    Supplier,
    Text,
)
from purchasing.domain.purchase_orders import MAX_LINES


class LineFields(CamelModel):
    """A line as a client sends it; its purchase type comes from its part."""

    part_id: PartId | None = None
    description: LongText
    quantity: Quantity = Field(description="greater than zero")
    unit_cost: Money
    eta: Day | None = None
    paid: bool = False
    quality_clauses: Clauses = []
    term_requirements: Clauses = []
    custom_attributes: CustomAttributes = {}

    @model_validator(mode="after")
    def _positive_quantity(self) -> LineFields:
        if self.quantity <= 0:
            raise ValueError("quantity must be greater than zero")
        return self


class CreateLineRequest(LineFields):
    pass


class CreatePoRequest(CamelModel):
    supplier: Supplier
    currency: Currency
    number: PoNumber | None = None
    lines: list[LineFields] = Field(default=[], max_length=MAX_LINES)
    custom_attributes: CustomAttributes = {}


class UpdatePoRequest(Patch):
    supplier: Supplier | None = None
    currency: Currency | None = None
    number: PoNumber | None = None
    custom_attributes: CustomAttributes | None = None


class UpdateLineRequest(Patch):
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


class PoList(CamelModel):
    items: list[PoSummary]
    next_cursor: str | None = None


class ReceiptRequest(CamelModel):
    quantity: Quantity = Field(description="how much arrived; receipts add up")

    @model_validator(mode="after")
    def _positive_quantity(self) -> ReceiptRequest:
        if self.quantity <= 0:
            raise ValueError("quantity must be greater than zero")
        return self


class PutPartRequest(CamelModel):
    name: Text
    purchase_type: PurchaseType


class HistoryList(CamelModel):
    items: list[HistoryEvent]
