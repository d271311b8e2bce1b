"""Request bodies and list envelopes of the customer orders, blanket POs and partner APIs."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StrictInt, StringConstraints

from purchasing.api.base_schemas import Patch
from purchasing.api.upload_schemas import UploadDocumentRequest
from purchasing.domain import partner_links
from purchasing.domain.blanket_pos import BlanketPoSummary, Customer
from purchasing.domain.model import CamelModel, Currency, Day, LongText, Money, PoNumber
from purchasing.domain.orders import OrderStatus, OrderSummary, PoMode

ResourceId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class CreateOrderRequest(CamelModel):
    customer: Customer
    amount: Money
    currency: Currency
    description: LongText | None = None
    number: PoNumber | None = Field(default=None, description="else allocated (SO-000001, ...)")


class UpdateOrderRequest(Patch):
    """A status transition and/or, while the order is a QUOTE, its amount, customer, description."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset({"description"})

    status: OrderStatus | None = None
    amount: Money | None = None
    customer: Customer | None = None
    description: LongText | None = None


class SetPoRequest(CamelModel):
    mode: PoMode
    po_number: PoNumber | None = Field(default=None, description="optional for BLANKET (then the blanket's)")
    document_id: ResourceId | None = Field(default=None, description="FULL_UPLOAD: an accepted document")
    blanket_po_id: ResourceId | None = Field(default=None, description="BLANKET: the blanket PO")


class PartnerUploadRequest(UploadDocumentRequest):
    po_number: PoNumber


class CreateBlanketPoRequest(CamelModel):
    po_number: PoNumber
    customer: Customer
    currency: Currency
    cap: Money | None = Field(default=None, description="what all orders together may draw; none: no cap")
    end_date: Day | None = Field(default=None, description="the last day (UTC) an order may draw on it")


class CreatePartnerLinkRequest(CamelModel):
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
