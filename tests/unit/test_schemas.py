"""Request models: partial updates and the limits that keep items inside DynamoDB's bounds."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from purchasing.domain.inputs.po import CreatePoRequest, UpdateLineRequest, UpdatePoRequest

ROOT = Path(__file__).resolve().parents[2]


def test_a_patch_reports_only_the_fields_sent() -> None:
    assert UpdateLineRequest.model_validate({"paid": True, "eta": None}).changes() == {
        "paid": True,
        "eta": None,
    }


@pytest.mark.parametrize("body", [{"description": None}, {"quantity": None}, {"paid": None}])
def test_null_only_clears_nullable_fields(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="cannot be null"):
        UpdateLineRequest.model_validate(body)


def test_a_header_patch_cannot_null_the_supplier() -> None:
    with pytest.raises(ValidationError):
        UpdatePoRequest.model_validate({"supplier": None})


@pytest.mark.parametrize(
    "overrides",
    [
        {"currency": "usd"},
        {"number": "has space"},
        {"lines": [{"description": "x", "quantity": "1", "unitCost": "1", "extra": 1}]},
        {"customAttributes": {"k": 1.5}},
        {"customAttributes": {f"k{n}": "v" for n in range(51)}},
        {"lines": [{"description": "x" * 2001, "quantity": "1", "unitCost": "1"}]},
    ],
)
def test_out_of_bounds_input_is_refused(overrides: dict[str, object]) -> None:
    body = {"supplier": {"name": "A", "email": "a@a.example.com"}, "currency": "USD", **overrides}
    with pytest.raises(ValidationError):
        CreatePoRequest.model_validate(body)


def test_every_documented_example_is_accepted_by_its_model() -> None:
    """The examples in the OpenAPI document are what a client copies: each must pass its model."""
    import purchasing.api.order_schemas
    import purchasing.domain.inputs.orders
    import purchasing.domain.inputs.templates
    import purchasing.domain.inputs.uploads
    import purchasing.domain.inputs.users  # noqa: F401 (imported for their models)
    from purchasing.domain.model import CamelModel

    def subclasses(cls: type[CamelModel]) -> list[type[CamelModel]]:
        return [cls, *(sub for child in cls.__subclasses__() for sub in subclasses(child))]

    checked = 0
    for model in set(subclasses(CamelModel)):
        extra = model.model_config.get("json_schema_extra")
        examples = extra.get("examples") if isinstance(extra, dict) else None
        for example in examples if isinstance(examples, list) else []:
            model.model_validate(example)
            checked += 1
    assert checked >= 20
