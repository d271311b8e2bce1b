"""Purchase templates as pure data: what a template keeps of a PO, and its limits."""

from __future__ import annotations

from typing import Any

import pytest

from purchasing.domain import templates
from purchasing.domain.errors import InvalidRequest
from purchasing.domain.model import Line, PurchaseOrder, Status, Supplier


def make(lines: list[dict[str, Any]]) -> templates.PurchaseTemplate:
    return templates.new_template(
        template_id="t" * 32,
        name="T",
        supplier=None,
        currency="EUR",
        lines=lines,
        custom_attributes={},
        created_by="buyer@acme.example.com",
        now="2026-01-01T00:00:00.000Z",
    )


@pytest.mark.parametrize("count", [0, templates.MAX_TEMPLATE_LINES + 1])
def test_a_template_holds_one_to_a_thousand_lines(count: int) -> None:
    with pytest.raises(InvalidRequest) as raised:
        make([{"description": "x", "quantity": "1", "unitCost": "1"}] * count)
    assert raised.value.field == "lines"


def test_the_lines_of_a_po_leave_its_life_behind() -> None:
    po = PurchaseOrder(
        id="p" * 32,
        number="PO-1",
        supplier=Supplier(name="S", email="s@example.com"),
        currency="EUR",
        created_at="x",
        updated_at="x",
        created_by="b",
        lines=[
            Line(id="00001", line_no=1, description="A", quantity="2", unit_cost="3", status=Status.RECEIVED,
                 received_quantity="2", paid=True, eta="2026-02-01", quality_clauses=["CoC"]),
            Line(id="00002", line_no=2, description="B", quantity="1", unit_cost="1", status=Status.CANCELED),
        ],
    )  # fmt: skip

    template = make(templates.lines_of(po))

    (line,) = template.lines
    assert (line.line_no, line.description, str(line.quantity), line.quality_clauses) == (
        1,
        "A",
        "2",
        ["CoC"],
    )
    assert (line.paid, line.eta) == (False, None)
    assert templates.line_fields(template) == [
        {
            "partId": None,
            "description": "A",
            "quantity": "2",
            "unitCost": "3.00",
            "eta": None,
            "paid": False,
            "qualityClauses": ["CoC"],
            "termRequirements": [],
            "customAttributes": {},
        }
    ]
