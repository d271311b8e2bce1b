"""Use cases for purchase templates: keep a common order, list them, place one again as a DRAFT PO.

A PO made from a template goes through the very path a client's `POST /pos` takes
(`po_service.create`): numbering, the parts' purchase types, limits and history all apply.
"""

from __future__ import annotations

from purchasing.data import po_repository, templates_repository
from purchasing.domain import templates
from purchasing.domain.caller import Principal
from purchasing.domain.errors import InvalidRequest, NotFound
from purchasing.domain.inputs.po import CreatePoRequest, LineFields
from purchasing.domain.inputs.templates import CreatePoFromTemplateRequest, CreateTemplateRequest
from purchasing.domain.model import PurchaseOrder, Supplier, utc_now
from purchasing.domain.templates import PurchaseTemplate, TemplateSummary
from purchasing.services import parts_service, po_service


def create(principal: Principal, request: CreateTemplateRequest) -> PurchaseTemplate:
    supplier: Supplier | None
    if request.from_po_id is not None:
        po = po_repository.get(principal.org_id, request.from_po_id)
        if po is None:
            raise InvalidRequest(f"no PO {request.from_po_id} to copy", field="fromPoId")
        supplier, currency, attributes = po.supplier, po.currency, po.custom_attributes
        lines = templates.lines_of(po)
        if not lines:
            raise InvalidRequest(f"PO {po.number} has no lines to copy", field="fromPoId")
    else:
        supplier, currency, attributes = request.supplier, str(request.currency), request.custom_attributes
        lines = [line.model_dump() for line in request.lines]
        refs = [(f"lines[{index}].partId", line.part_id) for index, line in enumerate(request.lines)]
        parts_service.purchase_types(principal.org_id, refs)  # every part named must exist
    template = templates.new_template(
        template_id=templates_repository.new_template_id(),
        name=request.name,
        supplier=supplier,
        currency=currency,
        lines=lines,
        custom_attributes=attributes,
        created_by=principal.email,
        now=utc_now(),
        source_po_id=request.from_po_id,
    )
    templates_repository.create(principal.org_id, template)
    return template


def get(principal: Principal, template_id: str) -> PurchaseTemplate:
    template = templates_repository.get(principal.org_id, template_id)
    if template is None:
        raise NotFound(f"template {template_id} not found")
    return template


def list_summaries(
    principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[TemplateSummary], str | None]:
    return templates_repository.list_summaries(principal.org_id, limit=limit, cursor=cursor)


def create_po(
    principal: Principal,
    template_id: str,
    request: CreatePoFromTemplateRequest,
    idempotency_key: str | None,
) -> PurchaseOrder:
    """A new DRAFT PO with copies of the template's lines."""
    template = get(principal, template_id)
    supplier = request.supplier or template.supplier
    if supplier is None:
        raise InvalidRequest("this template names no supplier: give one", field="supplier")
    po_request = CreatePoRequest(
        supplier=supplier,
        currency=template.currency,
        number=request.number,
        lines=[LineFields.model_validate(fields) for fields in templates.line_fields(template)],
        custom_attributes=template.custom_attributes,
    )
    try:
        return po_service.create(principal, po_request, idempotency_key)
    except InvalidRequest as error:  # a part deleted since the template was made
        raise InvalidRequest(f"the template cannot be copied: {error.detail}", field=error.field) from error
