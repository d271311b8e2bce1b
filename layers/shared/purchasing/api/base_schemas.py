"""The problem response every API function answers with.

Kept apart from the PO API's models (`schemas`) so that a function serving other routes does
not build those models at every cold start.
"""

from __future__ import annotations

from pydantic import BaseModel


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
