"""Purchase templates in the table: the header (SK TEMPLATE) and its lines (SK TLINE#00001, never
LINE#: the status stream listens to LINE# items) in the template's own partition.

- Reading a template with all its lines is one Query on its partition.
- Listing is a Query on ByUpdated (GSI3PK ORG#o#TEMPLATES), newest first, with an opaque cursor.
- Creating writes the lines in transactions of at most 100 items, the header last: until the
  header exists the template does not, and a failure part way removes the lines written.
"""

from __future__ import annotations

import uuid

from purchasing.data import paging, transactions
from purchasing.data.mapping import to_item, to_model
from purchasing.data.tables import OwnerPartitionItem, TemplateItem, TemplateLineItem, org_list_key
from purchasing.domain.model import Supplier
from purchasing.domain.templates import PurchaseTemplate, TemplateLine, TemplateSummary

HEADER_SK = "TEMPLATE"
LIST = "TEMPLATES"


def template_pk(org_id: str, template_id: str) -> str:
    return f"ORG#{org_id}#TEMPLATE#{template_id}"


def tline_sk(line_no: int) -> str:
    return f"TLINE#{line_no:05d}"


def new_template_id() -> str:
    return uuid.uuid4().hex


def create(org_id: str, template: PurchaseTemplate) -> None:
    lines = [_new(_line_item(org_id, template.id, line)) for line in template.lines]
    transactions.write_lines_then_head(lines, [_new(_header_item(org_id, template))])


def get(org_id: str, template_id: str) -> PurchaseTemplate | None:
    header: TemplateItem | None = None
    lines: list[TemplateLine] = []
    for item in OwnerPartitionItem.query(template_pk(org_id, template_id)):
        if isinstance(item, TemplateItem):
            header = item
        elif isinstance(item, TemplateLineItem):
            lines.append(TemplateLine.model_validate({**item.line, "lineNo": int(item.line_no)}))
    if header is None:
        return None
    summary = _to_summary(header)
    return PurchaseTemplate(**dict(summary), lines=sorted(lines, key=lambda line: line.line_no))


def list_summaries(
    org_id: str, *, limit: int, cursor: str | None
) -> tuple[list[TemplateSummary], str | None]:
    hash_key = org_list_key(org_id, LIST)
    items, next_cursor = paging.query_page(
        TemplateItem.by_updated, hash_key, "GSI3PK", limit=limit, cursor=cursor
    )
    return [_to_summary(item) for item in items], next_cursor


def _new(item: TemplateItem | TemplateLineItem) -> transactions.Op:
    return transactions.Op("put", item, type(item).sk.does_not_exist())


def _header_item(org_id: str, template: PurchaseTemplate) -> TemplateItem:
    return to_item(
        TemplateItem,
        template,
        pk=template_pk(org_id, template.id),
        sk=HEADER_SK,
        template_id=template.id,
        supplier_name=template.supplier.name if template.supplier else None,
        supplier_email=str(template.supplier.email) if template.supplier else None,
        line_count=len(template.lines),
        gsi3pk=org_list_key(org_id, LIST),
        gsi3sk=f"{template.created_at}#{template.id}",
    )


def _line_item(org_id: str, template_id: str, line: TemplateLine) -> TemplateLineItem:
    return TemplateLineItem(
        template_pk(org_id, template_id),
        tline_sk(line.line_no),
        line_no=line.line_no,
        line=line.model_dump(mode="json", by_alias=True, exclude={"line_no"}),
    )


def _to_summary(item: TemplateItem) -> TemplateSummary:
    supplier = (
        Supplier(name=item.supplier_name, email=item.supplier_email)
        if item.supplier_name and item.supplier_email
        else None
    )
    return to_model(TemplateSummary, item, id=item.template_id, supplier=supplier)
