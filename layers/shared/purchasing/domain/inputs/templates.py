"""The inputs of the purchase template use cases: a new template, and a PO made from one."""

from __future__ import annotations

from pydantic import ConfigDict, Field, model_validator

from purchasing.domain.inputs.po import LineFields
from purchasing.domain.model import CamelModel, Currency, CustomAttributes, PoNumber, Supplier, Text
from purchasing.domain.templates import MAX_TEMPLATE_LINES

HEX32 = r"^[0-9a-f]{32}$"
_COPIED = {
    "supplier": "supplier",
    "currency": "currency",
    "lines": "lines",
    "custom_attributes": "customAttributes",
}


class CreateTemplateRequest(CamelModel):
    """From scratch (`currency`, `lines`, optional `supplier` and `customAttributes`), or from an
    existing PO (`fromPoId` alone: the rest is copied from the PO)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Monthly bolts",
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
                },
                {"name": "Like PO 2026-0042", "fromPoId": "0d9c8b7a6f5e4d3c2b1a09f8e7d6c5b4"},
            ]
        }
    )
    name: Text
    from_po_id: str | None = Field(default=None, pattern=HEX32, description="copy this PO")
    supplier: Supplier | None = None
    currency: Currency | None = None
    lines: list[LineFields] = Field(default=[], max_length=MAX_TEMPLATE_LINES)
    custom_attributes: CustomAttributes = {}

    @model_validator(mode="after")
    def _one_source(self) -> CreateTemplateRequest:
        if self.from_po_id is not None:
            sent = sorted(alias for name, alias in _COPIED.items() if name in self.model_fields_set)
            if sent:
                raise ValueError(
                    f"with fromPoId everything is copied from the PO: leave out {', '.join(sent)}"
                )
        elif self.currency is None:
            raise ValueError("give currency and lines, or fromPoId")
        elif not self.lines:
            raise ValueError("a template needs at least one line")
        return self


class CreatePoFromTemplateRequest(CamelModel):
    """Optional: the supplier (required when the template has none) and the PO number."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"number": "2026-0107"}]})
    supplier: Supplier | None = None
    number: PoNumber | None = None
