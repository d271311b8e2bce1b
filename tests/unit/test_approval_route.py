"""The approval route and the reset threshold: examples and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from purchasing.domain.approval_route import ApprovalPolicy, ResetThreshold, route, within_reset_threshold

amounts = st.decimals(min_value=0, max_value=10**9, places=2)


def policy(**threshold: str) -> ApprovalPolicy:
    return ApprovalPolicy.model_validate(
        {
            "levels": [
                {
                    "name": "Manager",
                    "approvers": ["Ann@Example.com"],
                    "timeoutHours": "24",
                    "escalateTo": ["boss@example.com"],
                },
                {"name": "Finance", "approvers": ["fin@example.com"], "minAmount": "1000"},
                {"name": "CFO", "approvers": ["cfo@example.com"], "minAmount": "10000"},
            ],
            "resetThreshold": threshold,
        }
    )


def test_levels_apply_by_amount_and_say_why() -> None:
    result = route(policy(), Decimal("1500.00"))
    assert [(level.name, level.applies, level.level) for level in result.levels] == [
        ("Manager", True, 1),
        ("Finance", True, 2),
        ("CFO", False, 0),
    ]
    assert [level.reason for level in result.levels] == [
        "applies to every PO",
        "subtotal 1500.00 is at least 1000",
        "subtotal 1500.00 is below 10000",
    ]
    assert result.levels[0].approvers == ["ann@example.com"]
    assert result.levels[0].timeout_seconds == 86400
    assert result.summary == "2 levels of approval"


def test_no_policy_means_no_level() -> None:
    assert route(ApprovalPolicy(), Decimal(5)).summary == "approved at once: no level applies"


@given(amounts, amounts)
def test_a_larger_subtotal_never_needs_fewer_levels(low: Decimal, high: Decimal) -> None:
    low, high = sorted((low, high))
    applied = {level.name for level in route(policy(), low).levels if level.applies}
    assert applied <= {level.name for level in route(policy(), high).levels if level.applies}


@pytest.mark.parametrize(
    "body",
    [
        {"levels": [{"name": "A", "approvers": []}]},
        {
            "levels": [
                {"name": "A", "approvers": ["a@example.com"]},
                {"name": "a", "approvers": ["b@example.com"]},
            ]
        },
        {"levels": [{"name": "A", "approvers": ["a@example.com"], "escalateTo": ["b@example.com"]}]},
        {"levels": [{"name": "A", "approvers": ["a@example.com"], "timeoutHours": "0"}]},
        {"levels": [{"name": "A", "approvers": ["not-an-email"]}]},
        {"resetThreshold": {"percent": "-1"}},
    ],
)
def test_invalid_policies_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ApprovalPolicy.model_validate(body)


def test_threshold_examples() -> None:
    both = ResetThreshold(amount=Decimal(100), percent=Decimal(5))
    assert within_reset_threshold(both, Decimal(1000), Decimal(1040))[0]
    assert not within_reset_threshold(both, Decimal(1000), Decimal(1060))[0]  # +6%
    assert not within_reset_threshold(ResetThreshold(amount=Decimal(10)), Decimal(1000), Decimal(1011))[0]
    assert within_reset_threshold(ResetThreshold(), Decimal(1000), Decimal(900)) == (
        True,
        "subtotal 900 is not above the approved 1000",
    )
    assert not within_reset_threshold(ResetThreshold(), Decimal(1000), Decimal("1000.01"))[0]
    reason = within_reset_threshold(both, Decimal(1000), Decimal(1040))[1]
    assert reason == (
        "within the reset threshold over the approved 1000: "
        "+40 against a limit of 100; +4.00% against a limit of 5%"
    )


@given(amounts, amounts, amounts)
def test_decreases_are_always_within_and_the_threshold_is_monotonic(
    baseline: Decimal, a: Decimal, b: Decimal
) -> None:
    threshold = ResetThreshold(amount=Decimal(50), percent=Decimal(10))
    assert within_reset_threshold(threshold, baseline, min(baseline, a))[0]
    low, high = sorted((a, b))
    if within_reset_threshold(threshold, baseline, high)[0]:
        assert within_reset_threshold(threshold, baseline, low)[0]
