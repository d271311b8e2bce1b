"""Table items <-> domain models, by matching names.

An item attribute and a model field of the same (Python) name hold the same value: the mapper
carries those, and each repository names only the few that differ (keys, index keys, values
stored under another name or shape). The stored attribute names (`attr_name`) are the table
models' own and are not touched here.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel
from pynamodb.models import Model

DomainModel = TypeVar("DomainModel", bound=BaseModel)
Item = TypeVar("Item", bound=Model)


def to_model(model: type[DomainModel], item: Model, /, **overrides: Any) -> DomainModel:
    """The domain model of an item: its fields from the attributes of the same name (one the item
    lacks takes the model's default), then `overrides` (fields named otherwise in the table)."""
    return model.model_validate(fields(model, item, **overrides))


def fields(model: type[BaseModel], item: Model, /, **overrides: Any) -> dict[str, Any]:
    """`to_model`'s field values, for a model that takes more than the item holds."""
    attributes = item.get_attributes()
    values = {
        name: getattr(item, name)
        for name in model.model_fields
        if name in attributes and name not in overrides and getattr(item, name) is not None
    }
    return {**values, **overrides}


def to_item(item: type[Item], model: BaseModel, /, **overrides: Any) -> Item:
    """The table item of a domain model: its attributes from the fields of the same name, as the
    table stores them (enums as their values, dates in ISO 8601), then `overrides`."""
    attributes = item.get_attributes()
    values = {
        name: _stored(getattr(model, name))
        for name in type(model).model_fields
        if name in attributes and name not in overrides
    }
    return item(**values, **overrides)


def _stored(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_stored(entry) for entry in value]
    return value
