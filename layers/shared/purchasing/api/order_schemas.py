"""The customer orders, blanket POs and partner APIs' own models: a partner link asked for and
handed out, and the list envelopes (the bodies the use cases take: `purchasing.domain.inputs.orders`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StrictInt

from purchasing.domain import partner_links
from purchasing.domain.blanket_pos import BlanketPoSummary
from purchasing.domain.model import CamelModel
from purchasing.domain.orders import OrderSummary


class CreatePartnerLinkRequest(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"expiresInDays": 14}]})
    expires_in_days: Annotated[StrictInt, Field(ge=partner_links.MIN_DAYS, le=partner_links.MAX_DAYS)] = (
        partner_links.DEFAULT_DAYS
    )


class PartnerLink(CamelModel):
    url: str
    token: str
    expires_at: str


class OrderList(CamelModel):
    items: list[OrderSummary]
    next_cursor: str | None = None


class BlanketPoList(CamelModel):
    items: list[BlanketPoSummary]
    next_cursor: str | None = None
