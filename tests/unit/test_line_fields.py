"""A line's fields are declared once (domain.model.LineFields): the PO's line, the template's
line and the request's line hold the same fields, in the same order on the wire."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from purchasing.domain import model, templates
from purchasing.domain.inputs import po as po_inputs

OWN = list(model.LineFields.model_fields)


@pytest.mark.parametrize("kind", [model.Line, templates.TemplateLine, po_inputs.LineFields])
def test_every_kind_of_line_holds_the_domains_line_fields_in_order(kind: type[model.CamelModel]) -> None:
    assert issubclass(kind, model.LineFields)
    fields = list(kind.model_fields)
    assert [name for name in fields if name in OWN] == OWN
    assert fields[fields.index(OWN[0]) : fields.index(OWN[-1]) + 1] == OWN  # together, nothing between


def test_a_line_and_a_template_line_lead_with_their_key() -> None:
    assert list(model.Line.model_fields)[:2] == ["id", "line_no"]
    assert list(templates.TemplateLine.model_fields)[0] == "line_no"


def test_only_the_request_narrows_what_a_client_may_send() -> None:
    stored = {"description": "Bolts", "quantity": "0", "unitCost": "1.00", "eta": "1999-12-31"}

    assert model.LineFields.model_validate(stored).eta == date(1999, 12, 31)  # stored lines read as they are
    with pytest.raises(ValidationError) as refused:
        po_inputs.LineFields.model_validate(stored)
    assert {str(error["loc"][0]) for error in refused.value.errors()} >= {"eta"}
