"""Purchase templates: a common order kept to be placed again, as new DRAFT POs.

A template holds what a buyer would type into a new PO: an optional supplier, the currency,
custom attributes and lines (part, description, quantity, unit cost, clauses, terms). It never
holds what belongs to one PO's life: statuses, receipts, etas or payment. Nothing here touches AWS.
"""

from __future__ import annotations

from typing import Any

from purchasing.domain.errors import InvalidRequest
from purchasing.domain.model import (
    CamelModel,
    CustomAttributes,
    LineFields,
    LineNumber,
    PurchaseOrder,
    Status,
    Supplier,
)
from purchasing.domain.purchase_orders import MAX_LINES

MAX_TEMPLATE_LINES = MAX_LINES  # a template becomes a PO: it may hold what a PO may

# What of a PO's line a template keeps (the fields of a new line, less eta and paid).
COPIED_LINE_FIELDS = (
    "part_id",
    "description",
    "quantity",
    "unit_cost",
    "quality_clauses",
    "term_requirements",
    "custom_attributes",
)


class TemplateLine(LineFields, LineNumber):  # a PO line's own fields, numbered
    pass


class TemplateSummary(CamelModel):
    """A template as a list shows it: without its lines."""

    id: str
    name: str
    supplier: Supplier | None = None
    currency: str
    line_count: int
    custom_attributes: CustomAttributes = {}
    source_po_id: str | None = None
    created_at: str
    created_by: str


class PurchaseTemplate(TemplateSummary):
    lines: list[TemplateLine] = []


def new_template(
    *,
    template_id: str,
    name: str,
    supplier: Supplier | None,
    currency: str,
    lines: list[dict[str, Any]],
    custom_attributes: dict[str, Any],
    created_by: str,
    now: str,
    source_po_id: str | None = None,
) -> PurchaseTemplate:
    """Lines are numbered from 1 in the order given."""
    if not lines:
        raise InvalidRequest("a template needs at least one line", field="lines")
    if len(lines) > MAX_TEMPLATE_LINES:
        raise InvalidRequest(f"a template has at most {MAX_TEMPLATE_LINES} lines", field="lines")
    return PurchaseTemplate(
        id=template_id,
        name=name,
        supplier=supplier,
        currency=currency,
        line_count=len(lines),
        custom_attributes=custom_attributes,
        source_po_id=source_po_id,
        created_at=now,
        created_by=created_by,
        lines=[TemplateLine(line_no=no, **fields) for no, fields in enumerate(lines, start=1)],
    )


def lines_of(po: PurchaseOrder) -> list[dict[str, Any]]:
    """The PO's lines as template lines, in order; canceled lines are not reordered."""
    return [
        {name: getattr(line, name) for name in COPIED_LINE_FIELDS}
        for line in po.lines
        if line.status is not Status.CANCELED
    ]


def line_fields(template: PurchaseTemplate) -> list[dict[str, Any]]:
    """Each line as a new PO line takes it (camelCase, as a client would send it)."""
    return [line.model_dump(mode="json", by_alias=True, exclude={"line_no"}) for line in template.lines]
