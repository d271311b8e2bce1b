"""Editability follows the PO's status, never the line's own."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purchasing.domain.editability import (
    ALWAYS_EDITABLE_LINE_FIELDS,
    check_can_add_line,
    check_header_changes,
    check_line_changes,
)
from purchasing.domain.errors import PoNotEditable
from purchasing.domain.model import Status

LINE_FIELDS = [
    "partId", "description", "quantity", "unitCost", "eta", "paid", "purchaseType",
    "qualityClauses", "termRequirements", "customAttributes",
]  # fmt: skip
NOT_DRAFT = [status for status in Status if status is not Status.DRAFT]


def test_in_draft_every_line_field_is_editable() -> None:
    check_line_changes(Status.DRAFT, LINE_FIELDS)
    check_header_changes(Status.DRAFT, ["supplier", "currency", "number", "customAttributes"])
    check_can_add_line(Status.DRAFT)


@pytest.mark.parametrize("status", NOT_DRAFT)
def test_outside_draft_only_eta_paid_and_custom_attributes_change(status: Status) -> None:
    check_line_changes(status, ["eta", "paid", "customAttributes"])
    with pytest.raises(PoNotEditable) as refused:
        check_line_changes(status, ["eta", "quantity"])
    assert refused.value.field == "quantity"
    assert status.value in refused.value.detail


@pytest.mark.parametrize("status", NOT_DRAFT)
def test_outside_draft_no_line_can_be_added_and_the_header_keeps_its_terms(status: Status) -> None:
    with pytest.raises(PoNotEditable):
        check_can_add_line(status)
    with pytest.raises(PoNotEditable) as refused:
        check_header_changes(status, ["supplier"])
    assert refused.value.field == "supplier"
    check_header_changes(status, ["customAttributes"])


@given(st.sampled_from(NOT_DRAFT), st.sets(st.sampled_from(LINE_FIELDS)))
def test_a_change_is_refused_exactly_when_it_touches_a_locked_field(status: Status, fields: set[str]) -> None:
    locked = fields - ALWAYS_EDITABLE_LINE_FIELDS
    try:
        check_line_changes(status, fields)
    except PoNotEditable as error:
        assert error.field == min(locked)
    else:
        assert not locked
