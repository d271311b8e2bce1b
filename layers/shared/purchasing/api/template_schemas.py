"""The purchase templates API's list envelope (its request bodies: `purchasing.domain.inputs.templates`)."""

from __future__ import annotations

from purchasing.domain.model import CamelModel
from purchasing.domain.templates import TemplateSummary


class TemplateList(CamelModel):
    items: list[TemplateSummary]
    next_cursor: str | None = None
