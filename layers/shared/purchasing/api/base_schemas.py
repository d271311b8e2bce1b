"""What every API module's schemas build on: partial updates, and the problem response.

Kept apart from the PO request bodies (`schemas`) so that a function serving other routes does
not build those models at every cold start.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, model_validator

from purchasing.domain.model import CamelModel


class Patch(CamelModel):
    """A partial update: only the fields sent change; null clears only the nullable ones."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_null_for_required(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                name = _field_name(cls, key)
                if value is None and name is not None and name not in cls.NULLABLE:
                    raise ValueError(f"'{key}' cannot be null")
        return data

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


def _field_name(cls: type[BaseModel], key: str) -> str | None:
    for name, info in cls.model_fields.items():
        if key in (name, info.alias):
            return name
    return None


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
