"""One generic mapper between table items and domain models: fields carried by name, the
table's stored attribute names and shapes unchanged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from purchasing.data.mapping import fields, to_item, to_model
from purchasing.data.tables import OrgUserItem, PoLineItem
from purchasing.domain.model import Line, PurchaseType, Status
from purchasing.domain.orgs import OrgUser, Role

LINE = Line(
    id="00002", line_no=2, part_id="BOLT-M6", description="Bolts", quantity=Decimal("10"),
    unit_cost=Decimal("4.35"), eta=date(2026, 12, 15), purchase_type=PurchaseType.CREATES_INVENTORY,
    quality_clauses=["ISO 9001"], custom_attributes={"bin": "A1"}, status=Status.ORDERED,
    received_quantity=Decimal("4"),
)  # fmt: skip


def test_an_item_holds_the_models_fields_under_the_tables_attribute_names() -> None:
    item = to_item(PoLineItem, LINE, pk="ORG#acme#PO#p", sk="LINE#00002", canceled_quantity=None)

    stored = item.serialize()
    assert stored["unitCost"] == {"N": "4.35"}
    assert stored["lineNo"] == {"N": "2"}
    assert stored["eta"] == {"S": "2026-12-15"}  # a date as ISO 8601 text
    assert stored["purchaseType"] == {"S": "CREATES_INVENTORY"}  # an enum as its value
    assert stored["status"] == {"S": "ORDERED"}
    assert stored["qualityClauses"] == {"L": [{"S": "ISO 9001"}]}
    assert "canceledQuantity" not in stored  # an override wins over the field of the same name
    assert "id" not in stored and "amount" not in stored  # fields the item has no attribute for


def test_a_model_read_back_from_its_item_is_the_same_model() -> None:
    item = to_item(PoLineItem, LINE, pk="ORG#acme#PO#p", sk="LINE#00002")

    assert to_model(Line, item, id="00002") == LINE


def test_an_attribute_the_item_lacks_takes_the_models_default() -> None:
    item = PoLineItem(
        line_no=1, description="Nuts", quantity=Decimal(1), unit_cost=Decimal(1), paid=False,
        purchase_type="PHYSICAL_NO_INVENTORY", quality_clauses=[], term_requirements=[], status="DRAFT",
        received_quantity=Decimal(0),
    )  # fmt: skip

    line = to_model(Line, item, id="00001")

    assert (line.custom_attributes, line.canceled_quantity, line.eta, line.part_id) == ({}, 0, None, None)


def test_overrides_name_what_the_table_holds_otherwise() -> None:
    user = OrgUser(
        id="u-1", email="pat@acme.example.com", roles=[Role.BUYER, Role.ADMIN], created_at="t0",
        updated_at="t1", created_by="admin@acme.example.com",
    )  # fmt: skip
    item = to_item(OrgUserItem, user, pk="ORG#acme", sk="USER#u-1", username="pat")

    assert item.roles == ["buyer", "admin"] and item.username == "pat"
    assert to_model(OrgUser, item, id="u-1") == user
    assert fields(OrgUser, item, id="u-1")["enabled"] is True
