"""The approval route and the reset threshold: examples and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from purchasing.domain.approval_route import (
    STORED,
    ApprovalPolicy,
    ApprovalRoute,
    ExchangeRates,
    ResetThreshold,
    route,
    within_reset_threshold,
)

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


# --- currency (issue 9, point 2) ---------------------------------------------------------------


def gated(currency: str = "USD") -> ApprovalPolicy:
    return ApprovalPolicy.model_validate(
        {
            "currency": currency,
            "levels": [
                {"name": "Manager", "approvers": ["ann@example.com"]},
                {"name": "Director", "approvers": ["dir@example.com"], "minAmount": "5000"},
            ],
        }
    )


RATES = ExchangeRates.model_validate({"baseCurrency": "USD", "rates": {"KWD": "3.25", "JPY": "0.0067"}})


def applies(result: ApprovalRoute) -> list[str]:
    return [level.name for level in result.levels if level.applies]


def test_amounts_are_compared_in_the_policys_currency() -> None:
    kwd = route(gated(), Decimal("4999.000"), "KWD", RATES)
    assert applies(kwd) == ["Manager", "Director"]  # 16246.75 USD
    assert (kwd.base_subtotal, kwd.exchange_rate, kwd.base_currency) == (
        Decimal("16246.75"),
        Decimal("3.25"),
        "USD",
    )
    assert kwd.conversion == "4999.000 KWD at 3.25 = 16246.75 USD"
    assert kwd.levels[1].reason == "subtotal 4999.000 KWD = 16246.75 USD is at least 5000"
    jpy = route(gated(), Decimal(6000), "JPY", RATES)
    assert applies(jpy) == ["Manager"]  # 40.20 USD
    same = route(gated(), Decimal(6000), "USD", RATES)
    assert (same.exchange_rate, same.conversion, applies(same)) == (None, None, ["Manager", "Director"])


def test_without_a_rate_every_amount_gated_level_applies_and_the_route_says_why() -> None:
    result = route(gated(), Decimal(1), "CHF", RATES)
    assert applies(result) == ["Manager", "Director"]
    assert result.base_subtotal is None
    assert result.conversion == "no exchange rate from CHF to USD: every amount-gated level applies"
    assert "no exchange rate from CHF to USD" in result.levels[1].reason
    other_base = route(gated("EUR"), Decimal(1), "KWD", RATES)
    assert applies(other_base) == ["Manager", "Director"]
    assert (
        other_base.conversion is not None
        and "rates are to USD, not to the policy's EUR" in other_base.conversion
    )


@given(st.decimals(min_value=0, max_value=10**9, places=3), st.sampled_from(["KWD", "JPY", "CHF", "USD"]))
def test_a_missing_rate_never_needs_fewer_levels_than_any_rate(amount: Decimal, currency: str) -> None:
    without = set(applies(route(gated(), amount, currency, None)))
    assert without >= set(applies(route(gated(), amount, currency, RATES)))


def test_rates_must_be_positive_decimal_strings() -> None:
    for rates in ({"KWD": "0"}, {"KWD": "-1"}, {"KWD": 3.25}, {"kwd": "1"}):
        with pytest.raises(ValidationError):
            ExchangeRates.model_validate({"baseCurrency": "USD", "rates": rates})
    fine = ExchangeRates.model_validate({"baseCurrency": "USD", "rates": {"KRW": "0.0007215000"}})
    assert fine.model_dump(mode="json", by_alias=True)["rates"] == {"KRW": "0.0007215000"}


# --- who may approve (issue 9, point 8) -----------------------------------------------------------


def test_a_timeout_below_a_quarter_hour_is_refused_but_a_stored_one_still_reads() -> None:
    body = {"levels": [{"name": "A", "approvers": ["a@example.com"], "timeoutHours": "0.2"}]}
    with pytest.raises(ValidationError, match="at least 0.25"):
        ApprovalPolicy.model_validate(body)
    assert ApprovalPolicy.model_validate(body, context=STORED).levels[0].timeout_hours == Decimal("0.2")
    body["levels"][0]["timeoutHours"] = "0.25"
    assert route(ApprovalPolicy.model_validate(body), Decimal(1)).levels[0].timeout_seconds == 900


def test_a_level_only_the_requester_approves_asks_its_escalation_at_once_or_is_blocked() -> None:
    escalating = ApprovalPolicy.model_validate(
        {"levels": [{"name": "Manager", "approvers": ["Me@example.com"], "timeoutHours": "1",
                     "escalateTo": ["me@example.com", "boss@example.com"]}]}
    )  # fmt: skip
    (level,) = route(escalating, Decimal(1), requesters=["me@example.com"]).levels
    assert (level.approvers, level.escalate_to, level.blocked) == (["boss@example.com"], [], None)
    assert "its escalation (boss@example.com) is asked" in level.reason
    alone = ApprovalPolicy.model_validate({"levels": [{"name": "Manager", "approvers": ["me@example.com"]}]})
    blocked = route(alone, Decimal(1), requesters=["ME@example.com"])
    assert blocked.levels[0].blocked == (
        "level 'Manager' has no one who may approve this PO: its approvers (me@example.com) requested it,"
        " and it has no escalateTo"
    )
    assert blocked.summary.endswith("blocked: no one may approve at Manager")
    shared = ApprovalPolicy.model_validate(
        {"levels": [{"name": "Manager", "approvers": ["me@example.com", "ann@example.com"]}]}
    )
    assert route(shared, Decimal(1), requesters=["me@example.com"]).levels[0].blocked is None
