"""Request bodies and envelopes of the purchase templates API."""

from __future__ import annotations

from pydantic import Field, model_validator

from purchasing.api.schemas import LineFields
from purchasing.domain.model import CamelModel, Currency, CustomAttributes, PoNumber, Supplier, Text
from purchasing.domain.templates import MAX_TEMPLATE_LINES, TemplateSummary

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

    supplier: Supplier | None = None
    number: PoNumber | None = None


class TemplateList(CamelModel):
    items: list[TemplateSummary]
    next_cursor: str | None = None
