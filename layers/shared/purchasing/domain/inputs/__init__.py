"""What the use cases take: inputs validated as the domain needs them, whoever sends them.

The API's routes receive these as request bodies; `purchasing.services` takes them as they are.
A partial update (`Patch`) is the base of every update input.
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
