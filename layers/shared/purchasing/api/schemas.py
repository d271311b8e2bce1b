"""The PO API's own models: list envelopes, and a receipt (the use case takes only its quantity).

The bodies the PO use cases take are domain inputs (`purchasing.domain.inputs.po`)."""

from __future__ import annotations

from pydantic import ConfigDict, Field, model_validator

from purchasing.domain.model import (
    CamelModel,
    HistoryEvent,
    Part,
    PoSummary,
    Quantity,
)


class PoList(CamelModel):
    items: list[PoSummary]
    next_cursor: str | None = None


class PartList(CamelModel):
    items: list[Part]
    next_cursor: str | None = None


class ReceiptRequest(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"quantity": "4"}]})
    quantity: Quantity = Field(description="how much arrived; receipts add up")

    @model_validator(mode="after")
    def _positive_quantity(self) -> ReceiptRequest:
        if self.quantity <= 0:
            raise ValueError("quantity must be greater than zero")
        return self


class HistoryList(CamelModel):
    items: list[HistoryEvent]
