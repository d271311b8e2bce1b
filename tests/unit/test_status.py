"""The PO status derivation: the seed's statuses table row by row, and its invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purchasing.domain.model import Status
from purchasing.domain.status import derive_po_status

D, R, A, OR, V, C = (
    Status.DRAFT,
    Status.IN_REVIEW,
    Status.APPROVED,
    Status.ORDERED,
    Status.RECEIVED,
    Status.CANCELED,
)
lines = st.lists(st.sampled_from(list(Status)), max_size=12)


@pytest.mark.parametrize(
    ("line_statuses", "expected"),
    [
        ([], D),  # no lines yet: a draft
        ([D, V, OR], D),  # Draft: any line is in Draft
        ([R, A, OR], R),  # In Review: a line has been requested for approval
        ([A, A], A),  # Approved: all reviewers have approved
        ([A, C], A),  # ... canceled lines do not hold it back
        ([OR, A], OR),  # Ordered: the PO has been placed
        ([OR, V], OR),  # ... and stays Ordered after some lines are received
        ([V, V], V),  # Received: all lines received
        ([V, C], V),  # ... or canceled
        ([C, C], C),  # Canceled: all lines canceled
    ],
)
def test_the_seed_statuses_table(line_statuses: list[Status], expected: Status) -> None:
    assert derive_po_status(line_statuses) is expected


@given(lines)
def test_draft_exactly_when_empty_or_any_line_is_draft(statuses: list[Status]) -> None:
    assert (derive_po_status(statuses) is D) == (not statuses or D in statuses)


@given(lines, st.randoms())
def test_the_order_of_lines_does_not_matter(statuses: list[Status], random: object) -> None:
    shuffled = list(statuses)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert derive_po_status(shuffled) is derive_po_status(statuses)


@given(st.sampled_from(list(Status)), st.integers(min_value=1, max_value=5))
def test_lines_all_in_one_status_give_that_status(status: Status, count: int) -> None:
    assert derive_po_status([status] * count) is status


@given(lines.filter(lambda statuses: any(status is not C for status in statuses)))
def test_a_canceled_line_never_changes_a_po_that_has_live_lines(statuses: list[Status]) -> None:
    assert derive_po_status([*statuses, C]) is derive_po_status(statuses)


@given(lines)
def test_received_means_nothing_is_left_to_receive(statuses: list[Status]) -> None:
    if derive_po_status(statuses) is V:
        assert set(statuses) <= {V, C} and V in statuses


@given(lines.filter(bool))
def test_in_review_wins_over_everything_but_draft(statuses: list[Status]) -> None:
    if R in statuses and D not in statuses:
        assert derive_po_status(statuses) is R
