"""Money and totals: decimals end to end, never floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from purchasing.domain.inputs.po import CreateLineRequest
from purchasing.domain.model import (
    Line,
    PurchaseOrder,
    Status,
    Supplier,
    format_decimal,
    format_quantity,
    round_money,
    with_totals,
)

decimals = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("999999"), places=4)


def po(*lines: Line, currency: str = "USD") -> PurchaseOrder:
    return PurchaseOrder(
        id="a" * 32,
        number="PO-1",
        supplier=Supplier(name="Acme", email="a@acme.example.com"),
        currency=currency,
        lines=list(lines),
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
        created_by="b@acme.example.com",
    )


def line(no: int, quantity: str, unit_cost: str, status: Status = Status.DRAFT) -> Line:
    return Line(
        id=f"{no:05d}", line_no=no, description="x", quantity=quantity, unit_cost=unit_cost, status=status
    )


@pytest.mark.parametrize("value", ["12.50", "0", "3", "999999999999.9999"])
def test_decimal_strings_are_accepted_exactly(value: object) -> None:
    parsed = CreateLineRequest.model_validate({"description": "x", "quantity": "1", "unitCost": value})
    assert parsed.unit_cost == Decimal(str(value))


@pytest.mark.parametrize("value", [12.5, "1e3", "-1", "1.23456", "01", "abc", True, None, "1234567890123"])
def test_floats_and_anything_not_a_plain_decimal_string_are_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="unitCost"):
        CreateLineRequest.model_validate({"description": "x", "quantity": "1", "unitCost": value})


def test_quantity_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="greater than zero"):
        CreateLineRequest.model_validate({"description": "x", "quantity": "0", "unitCost": "1"})


def test_money_is_written_with_at_least_two_decimals_and_never_loses_precision() -> None:
    assert format_decimal(Decimal("12")) == "12.00"
    assert format_decimal(Decimal("12.5")) == "12.50"
    assert format_decimal(Decimal("0.0125")) == "0.0125"
    assert format_quantity(Decimal("2.500")) == "2.5"
    assert format_quantity(Decimal("10")) == "10"


def test_line_amounts_round_half_up_to_the_currency_minor_unit() -> None:
    assert round_money(Decimal("3.765"), "USD") == Decimal("3.77")
    assert round_money(Decimal("3.5"), "JPY") == Decimal("4")
    assert round_money(Decimal("1.0005"), "KWD") == Decimal("1.001")


def test_subtotal_is_the_sum_of_rounded_line_amounts_without_canceled_lines() -> None:
    result = with_totals(po(line(1, "3", "1.255"), line(2, "1", "10"), line(3, "5", "100", Status.CANCELED)))
    assert [str(item.amount) for item in result.lines] == ["3.77", "10.00", "500.00"]
    assert result.totals.subtotal == Decimal("13.77")
    assert result.model_dump(mode="json", by_alias=True)["totals"] == {"subtotal": "13.77"}


@given(st.lists(st.tuples(decimals, decimals), min_size=0, max_size=20))
def test_subtotal_is_exact_and_never_goes_through_float(pairs: list[tuple[Decimal, Decimal]]) -> None:
    lines = [line(n, str(q), str(c)) for n, (q, c) in enumerate(pairs, start=1)]
    result = with_totals(po(*lines))
    expected = sum((round_money(q * c, "USD") for q, c in pairs), Decimal(0))
    assert result.totals.subtotal == expected
    assert all(isinstance(item.amount, Decimal) for item in result.lines)


# --- one shape per value (issue 10) -----------------------------------------------------------------


@pytest.mark.parametrize("value", [5, 0.35, "1\n", " 1", "1 ", "+1", "1e3", True])
def test_money_and_quantities_are_decimal_strings_only(value: object) -> None:
    with pytest.raises(ValidationError) as raised:
        CreateLineRequest.model_validate({"description": "Bolt", "quantity": value, "unitCost": "1.00"})
    if isinstance(value, int | float) and not isinstance(value, bool):
        assert "not a JSON number" in str(raised.value)


@pytest.mark.parametrize("currency", ["XXX", "XTS", "XAU", "ABC", "HRK"])
def test_a_currency_is_an_active_iso_4217_code(currency: str) -> None:
    from purchasing.domain.inputs.po import CreatePoRequest

    body = {"supplier": {"name": "S", "email": "s@example.com"}, "currency": currency, "lines": []}
    with pytest.raises(ValidationError, match="ISO 4217"):
        CreatePoRequest.model_validate(body)


@pytest.mark.parametrize("eta", ["1900-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
def test_an_eta_is_within_a_sensible_window(eta: str) -> None:
    with pytest.raises(ValidationError, match="between 2000-01-01 and 2100-12-31"):
        CreateLineRequest.model_validate(
            {"description": "Bolt", "quantity": "1", "unitCost": "1", "eta": eta}
        )


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2026-01-02T03:04:05.314443+00:00", "2026-01-02T03:04:05.314Z"),
        ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.000Z"),
        ("2026-01-02T05:04:05.5+02:00", "2026-01-02T03:04:05.500Z"),
        ("2026-01-02T03:04:05", "2026-01-02T03:04:05.000Z"),
    ],
)
def test_every_timestamp_has_one_shape(text: str, expected: str) -> None:
    from purchasing.domain.model import utc_now, utc_timestamp

    assert utc_timestamp(text) == expected
    now = utc_now()
    assert utc_timestamp(now) == now and now.endswith("Z") and len(now) == len("2026-01-02T03:04:05.678Z")
