"""The purchase order as the domain sees it: a header, its lines, derived totals.

These models are also what the API returns (camelCase on the wire, decimals as strings).
The table models in `purchasing.data` are separate; conversion happens there.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel


class Status(StrEnum):
    """Line statuses; a PO's status takes the same values (derived from its lines)."""

    DRAFT = "DRAFT"
    IN_REVIEW = "IN_REVIEW"
    APPROVED = "APPROVED"
    ORDERED = "ORDERED"
    RECEIVED = "RECEIVED"
    CANCELED = "CANCELED"


class PurchaseType(StrEnum):
    CREATES_INVENTORY = "CREATES_INVENTORY"
    PHYSICAL_NO_INVENTORY = "PHYSICAL_NO_INVENTORY"
    DIGITAL_NO_INVENTORY = "DIGITAL_NO_INVENTORY"


# --- decimals: strings on the wire, Decimal inside, never float -------------------------------

_DECIMAL = re.compile(r"^(0|[1-9]\d{0,11})(\.\d{1,4})?$")
DECIMAL_PATTERN = _DECIMAL.pattern


def _parse_decimal(value: Any) -> Decimal:
    """A decimal string, whole (no sign, space or newline around it); a JSON number never: it
    would pass through a float in many clients. Decimals the code itself holds pass as they are."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f'must be a decimal string such as "{value}", not a JSON number')
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise ValueError('must be a decimal string such as "12.50" (up to 12 digits and 4 decimals)')
    try:
        return Decimal(value)
    except InvalidOperation as error:  # pragma: no cover - the pattern already excludes it
        raise ValueError("not a decimal number") from error


def format_decimal(value: Decimal) -> str:
    """At least two decimals for money-like values, without losing precision: 12 -> "12.00"."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return f"{value:f}"


def format_quantity(value: Decimal) -> str:
    normalized = value.normalize()
    return f"{normalized:f}" if normalized == normalized.to_integral() else f"{normalized:f}".rstrip("0")


_decimal_schema = WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN, "examples": ["12.50"]})
Money = Annotated[
    Decimal,
    BeforeValidator(_parse_decimal),
    PlainSerializer(format_decimal, return_type=str),
    _decimal_schema,
]
Quantity = Annotated[
    Decimal,
    BeforeValidator(_parse_decimal),
    PlainSerializer(format_quantity, return_type=str),
    _decimal_schema,
]

# Computed amounts (line amounts, subtotals) can outgrow what a client may send: no digit limit.
Amount = Annotated[
    Decimal,
    PlainSerializer(format_decimal, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?$", "examples": ["1234.50"]}),
]

# ISO 4217 currencies whose minor unit is not 2 (everything else rounds to cents).
_MINOR_UNITS = {"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
                "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
                "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3}  # fmt: skip


def round_money(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-_MINOR_UNITS.get(currency, 2)), rounding=ROUND_HALF_UP)


# --- small value types ------------------------------------------------------------------------

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Clause = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
# ISO 4217's active codes (list one, 2024), without the funds, precious metals, test and "no
# currency" codes (XAU, XTS, XXX, ...): a PO is priced in money a supplier can be paid in.
ISO_4217 = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
    GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
    KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
    NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
    SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS
    VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG""".split()
)


def _currency(value: str) -> str:
    if value not in ISO_4217:
        raise ValueError(f"{value} is not an active ISO 4217 currency code (such as USD, EUR, JPY)")
    return value


Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    AfterValidator(_currency),
    WithJsonSchema({"type": "string", "enum": sorted(ISO_4217), "examples": ["USD"]}),
]
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2100, 12, 31)


def _sensible_date(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"must be a date between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


Day = Annotated[date, AfterValidator(_sensible_date)]
"""A calendar date a client sends (an ETA, an end date): ISO 8601, within a sensible window."""
PoNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
]
PartId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
AttributeName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]
AttributeValue = (
    Annotated[str, StringConstraints(max_length=500)]
    | StrictBool
    | Annotated[StrictInt, Field(ge=-(10**15), le=10**15)]
)
CustomAttributes = Annotated[dict[AttributeName, AttributeValue], Field(max_length=50)]
Clauses = Annotated[list[Clause], Field(max_length=50)]


def utc_now() -> str:
    return utc_timestamp(datetime.now(UTC))


def utc_timestamp(value: datetime | str) -> str:
    """The one shape of a timestamp: ISO 8601, UTC, milliseconds, Z ("2026-01-02T03:04:05.678Z"),
    from a datetime or any ISO 8601 text (Step Functions' `EnteredTime`, with or without a Z)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Supplier(CamelModel):
    name: Text
    email: EmailStr


class Totals(CamelModel):
    subtotal: Amount = Decimal(0)


LINE_EXAMPLE: dict[str, Any] = {
    "id": "00001",
    "lineNo": 1,
    "partId": "BOLT-M6",
    "description": "M6 hex bolts, box of 100",
    "quantity": "10",
    "unitCost": "4.35",
    "eta": "2026-12-15",
    "paid": False,
    "purchaseType": "CREATES_INVENTORY",
    "qualityClauses": [],
    "termRequirements": [],
    "customAttributes": {},
    "status": "ORDERED",
    "receivedQuantity": "4",
    "canceledQuantity": "0",
    "amount": "43.50",
}


class LineFields(CamelModel):
    """A line's own fields, declared once: what a buyer writes on a line, as a PO's line
    (`Line`), a template's line (`templates.TemplateLine`) and a request's line
    (`domain.inputs.po.LineFields`, which adds how a client must send them) all hold them."""

    part_id: PartId | None = None
    description: LongText
    quantity: Quantity
    unit_cost: Money
    eta: date | None = None
    paid: bool = False
    quality_clauses: Clauses = []
    term_requirements: Clauses = []
    custom_attributes: CustomAttributes = {}


class LineNumber(CamelModel):
    line_no: int


class LineId(CamelModel):
    id: str


# pydantic orders fields by reverse MRO: id, line_no, the line's own fields, then the derived ones.
class Line(LineFields, LineNumber, LineId):
    model_config = ConfigDict(json_schema_extra={"examples": [LINE_EXAMPLE]})
    purchase_type: PurchaseType = PurchaseType.PHYSICAL_NO_INVENTORY
    status: Status = Status.DRAFT
    received_quantity: Quantity = Decimal(0)
    canceled_quantity: Quantity = Field(
        default=Decimal(0), description="what was closed short: canceled after part of it was received"
    )
    amount: Amount = Decimal(0)

    @property
    def open_quantity(self) -> Decimal:
        """What the line still buys: its quantity less what was closed short."""
        return self.quantity - self.canceled_quantity


class ApprovalStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    SUPERSEDED = "SUPERSEDED"


class RoundStatus(StrEnum):
    RUNNING = "RUNNING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    SUPERSEDED = "SUPERSEDED"


class Delivery(CamelModel):
    """What became of one approver's email: `status` is the latest news (pending: not published
    yet; published: on the topic, not yet accepted by SES; sent: accepted by SES; delivered: the
    recipient's server took it; bounced, complained; failed: SES refused it, retried)."""

    to: str
    status: str
    mail_id: str | None = None
    sent_at: str | None = None
    delivered_at: str | None = None
    bounced_at: str | None = None
    bounce_type: str | None = None
    bounce_reason: str | None = None
    complained_at: str | None = None
    failed_at: str | None = None
    failure: str | None = None


class ApprovalRequest(CamelModel):
    """A level's request to its approvers in one round (an escalation is a request of its own)."""

    id: str
    round: int
    level: int
    level_name: str
    approvers: list[str]
    status: ApprovalStatus
    escalation: bool = False
    requested_at: str | None = None
    timeout_seconds: int | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    comment: str | None = None
    published_at: str | None = None
    deliveries: list[Delivery] = []


class ApprovalRound(CamelModel):
    round: int
    status: RoundStatus
    subtotal: Amount
    policy_version: int
    route: dict[str, Any]
    requested_by: str
    requested_at: str
    decided_at: str | None = None
    started: bool = False
    applied: bool = False


class Document(CamelModel):
    """A document attached, or being attached, to a PO, an order or a blanket PO."""

    id: str
    file_name: str
    content_type: str
    size: int
    status: str  # purchasing.domain.documents.DocumentStatus
    reason: str | None = None  # why it was rejected, or why an accepted one was not applied
    source: str = "BUYER"  # BUYER, PARTNER or SYSTEM (a generated PDF)
    uploaded_by: str
    po_number: str | None = None  # a partner's upload names the customer PO it carries
    created_at: str
    updated_at: str


class BaselineLine(CamelModel):
    """A line as people approved it (its description kept as a digest: the header stays small)."""

    part_id: str | None = None
    description_digest: str
    purchase_type: PurchaseType
    quantity: Quantity
    unit_cost: Money
    amount: Amount


class ApprovedBaseline(CamelModel):
    """What the last human-approved round approved: whom it pays, in what, and for what."""

    round: int
    supplier: Supplier
    currency: str
    subtotal: Amount
    lines: dict[str, BaselineLine]


class PurchaseOrder(CamelModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "7c0e5d1a2b3c4d5e6f708192a3b4c5d6",
                    "number": "2026-0042",
                    "status": "ORDERED",
                    "supplier": {"name": "Acme Metals", "email": "orders@acme.example.com"},
                    "currency": "USD",
                    "lines": [LINE_EXAMPLE],
                    "totals": {"subtotal": "43.50"},
                    "customAttributes": {"project": "P-17"},
                    "version": 6,
                    "createdAt": "2026-12-01T09:30:12.345Z",
                    "updatedAt": "2026-12-01T10:02:47.120Z",
                    "createdBy": "pat@acme.example.com",
                    "submittedBy": "pat@acme.example.com",
                    "approvals": [],
                    "approvalRounds": [],
                    "currentRound": 1,
                    "approvedSubtotal": "43.50",
                    "documents": [],
                }
            ]
        }
    )
    id: str
    number: str
    status: Status = Status.DRAFT
    supplier: Supplier
    currency: str
    lines: list[Line] = []
    totals: Totals = Totals()
    custom_attributes: CustomAttributes = {}
    version: int = 1
    created_at: str
    updated_at: str
    created_by: str
    submitted_by: str | None = None
    approvals: list[ApprovalRequest] = []
    approval_rounds: list[ApprovalRound] = []
    current_round: int = 0
    approved_subtotal: Amount | None = None
    approved_baseline: ApprovedBaseline | None = Field(default=None, exclude=True)  # internal
    documents: list[Document] = []

    def round(self, number: int) -> ApprovalRound | None:
        return next((item for item in self.approval_rounds if item.round == number), None)


class PoSummary(CamelModel):
    """A PO as a list shows it: the header without its lines."""

    id: str
    number: str
    status: Status
    supplier: Supplier
    currency: str
    totals: Totals
    line_count: int
    version: int
    created_at: str
    updated_at: str
    created_by: str


def line_id(line_no: int) -> str:
    return f"{line_no:05d}"


def with_totals(po: PurchaseOrder) -> PurchaseOrder:
    """Line amounts rounded to the currency's minor unit (a unit cost may be finer than it); a line
    closed short counts what was received; the subtotal skips canceled lines."""
    lines = [
        line.model_copy(update={"amount": round_money(line.open_quantity * line.unit_cost, po.currency)})
        for line in po.lines
    ]
    subtotal = sum((line.amount for line in lines if line.status is not Status.CANCELED), Decimal(0))
    return po.model_copy(
        update={"lines": lines, "totals": Totals(subtotal=round_money(subtotal, po.currency))}
    )


class HistoryEvent(CamelModel):
    """One entry of a PO's audit trail."""

    id: str
    at: str
    type: str
    actor: str
    actor_id: str | None = None  # the user's Cognito sub; none for the system or an email approver
    summary: str
    data: dict[str, Any] = {}


class LotStatus(StrEnum):
    ON_ORDER = "ON_ORDER"
    PARTIALLY_RECEIVED = "PARTIALLY_RECEIVED"
    IN_STOCK = "IN_STOCK"


class Part(CamelModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "BOLT-M6",
                    "name": "M6 hex bolt",
                    "purchaseType": "CREATES_INVENTORY",
                    "updatedAt": "2026-12-01T09:30:12.345Z",
                }
            ]
        }
    )
    id: PartId
    name: Text
    purchase_type: PurchaseType
    updated_at: str


class InventoryLot(CamelModel):
    """What one PO line brings of a part that creates inventory: on order, then in stock."""

    po_id: str
    po_number: str
    line_id: str
    status: LotStatus
    on_order_quantity: Quantity
    in_stock_quantity: Quantity
    updated_at: str


class PartInventory(CamelModel):
    part: Part
    on_order_quantity: Quantity
    in_stock_quantity: Quantity
    lots: list[InventoryLot]
