"""Who approves a PO, in which order, and when a change needs approving again.

- Amounts of the policy (a level's `minAmount`, the threshold's `amount`) are in its `currency`,
  the org's base currency. A PO in another currency is converted with the org's exchange rates;
  with no rate for it, every amount-gated level applies (fail closed) and the route says why.
- Levels run in the policy's order. A level with `minAmount` applies only when the PO's
  (converted) subtotal is at least that amount; one without applies to every PO.
- Nobody approves their own PO: a level whose every approver requested the PO asks its
  `escalateTo` people at once, or, with none eligible either, is blocked (refused at submit).
- Re-approval: a PO keeps a baseline of what people last approved (supplier, currency, and per
  line what it buys, how many, at what cost). A material change (supplier, currency, a line's
  part, description or purchase type) always starts a new round from level 1. Otherwise the
  increase over the baseline (baseline lines' net change, plus every line not in it at its whole
  amount) is approved automatically within the reset threshold (amount and/or percent, every one
  set must hold, measured against the baseline so small changes cannot add up unseen).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from purchasing.domain.model import (
    Amount,
    ApprovedBaseline,
    BaselineLine,
    CamelModel,
    Currency,
    Money,
    PurchaseOrder,
    Status,
    Text,
    round_money,
)

MAX_LEVELS = 10
MIN_TIMEOUT_HOURS = Decimal("0.25")
STORED = {"stored": True}  # validation context of what was stored: limits added later don't apply

_RATE = re.compile(r"^(0|[1-9]\d{0,11})(\.\d{1,10})?$")


def _parse_rate(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str) or not _RATE.match(value) or Decimal(value) <= 0:
        raise ValueError('must be a positive decimal string such as "1.0825" (up to 10 decimals)')
    return Decimal(value)


Rate = Annotated[
    Decimal,
    BeforeValidator(_parse_rate),
    PlainSerializer(lambda value: f"{value:f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": _RATE.pattern, "examples": ["1.0825"]}),
]


class PolicyLevel(CamelModel):
    name: Text
    approvers: list[EmailStr] = Field(min_length=1, max_length=20)
    min_amount: Money | None = Field(default=None, description="in the policy's currency")
    timeout_hours: Decimal | None = Field(
        default=None, gt=0, le=24 * 30, description="hours, at least 0.25; fractions allowed"
    )
    escalate_to: list[EmailStr] = Field(default=[], max_length=20)

    @field_validator("approvers", "escalate_to")
    @classmethod
    def _lower_case(cls, emails: list[str]) -> list[str]:
        return [email.lower() for email in emails]

    @field_validator("timeout_hours")
    @classmethod
    def _long_enough_to_act(cls, hours: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if hours is not None and hours < MIN_TIMEOUT_HOURS and not (info.context or {}).get("stored"):
            raise ValueError(f"timeoutHours must be at least {MIN_TIMEOUT_HOURS} (15 minutes)")
        return hours

    @model_validator(mode="after")
    def _escalation_needs_a_timeout(self) -> PolicyLevel:
        if self.escalate_to and self.timeout_hours is None:
            raise ValueError("escalateTo needs timeoutHours: escalation happens when the level times out")
        return self


class ResetThreshold(CamelModel):
    amount: Money | None = Field(default=None, description="in the policy's currency")
    percent: Decimal | None = Field(default=None, ge=0, le=1000)


class ApprovalPolicy(CamelModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "currency": "USD",
                    "levels": [
                        {"name": "Manager", "approvers": ["manager@acme.example.com"], "timeoutHours": "48"},
                        {
                            "name": "Finance",
                            "approvers": ["fin@acme.example.com"],
                            "minAmount": "5000",
                            "timeoutHours": "72",
                            "escalateTo": ["cfo@acme.example.com"],
                        },
                    ],
                    "resetThreshold": {"amount": "500", "percent": "10"},
                    "version": 3,
                }
            ]
        }
    )
    currency: Currency = Field(
        default="USD", description="the org's base currency: level minAmount and threshold amount are in it"
    )
    levels: list[PolicyLevel] = Field(default=[], max_length=MAX_LEVELS)
    reset_threshold: ResetThreshold = ResetThreshold()
    version: int = 0
    updated_at: str | None = None
    updated_by: str | None = None

    @model_validator(mode="after")
    def _unique_level_names(self) -> ApprovalPolicy:
        names = [level.name.casefold() for level in self.levels]
        if len(names) != len(set(names)):
            raise ValueError("level names must be unique")
        return self


class ExchangeRates(CamelModel):
    """What one unit of each currency is worth in the base currency (which must be the policy's)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"baseCurrency": "USD", "rates": {"EUR": "1.0850", "GBP": "1.2700"}, "version": 2},
            ]
        }
    )
    base_currency: Currency
    rates: dict[Currency, Rate] = Field(default={}, max_length=200)
    version: int = 0
    updated_at: str | None = None
    updated_by: str | None = None


# --- conversion --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    """How a PO's amounts compare with the policy's: the rate (1 when the currency is the base
    one), or None with the reason when there is no usable rate."""

    currency: str
    base_currency: str
    rate: Decimal | None
    missing: str = ""

    def to_base(self, amount: Decimal) -> Decimal | None:
        if self.rate is None:
            return None
        with localcontext(prec=60):
            return round_money(amount * self.rate, self.base_currency)


def conversion(policy: ApprovalPolicy, currency: str, rates: ExchangeRates | None) -> Conversion:
    base = policy.currency
    if currency == base:
        return Conversion(currency, base, Decimal(1))
    if rates is None or currency not in rates.rates:
        why = f"no exchange rate from {currency} to {base}"
        return Conversion(currency, base, None, why)
    if rates.base_currency != base:
        why = f"the exchange rates are to {rates.base_currency}, not to the policy's {base}"
        return Conversion(currency, base, None, why)
    return Conversion(currency, base, rates.rates[currency])


# --- the route ---------------------------------------------------------------------------------


class RouteLevel(CamelModel):
    level: int
    name: str
    applies: bool
    reason: str
    approvers: list[str]
    timeout_seconds: int | None = None
    escalate_to: list[str] = []
    blocked: str | None = Field(default=None, description="why no one may approve this PO at this level")


class ApprovalRoute(CamelModel):
    policy_version: int
    subtotal: Amount
    currency: str | None = None
    base_currency: str | None = None
    base_subtotal: Amount | None = Field(default=None, description="the subtotal in the base currency")
    exchange_rate: Rate | None = None
    conversion: str | None = Field(default=None, description="how the subtotal was compared, or why not")
    levels: list[RouteLevel]
    summary: str


def route(
    policy: ApprovalPolicy,
    subtotal: Decimal,
    currency: str | None = None,
    rates: ExchangeRates | None = None,
    requesters: Collection[str] = (),
) -> ApprovalRoute:
    """The levels a PO of `subtotal` in `currency` (the policy's unless told) goes through."""
    convert = conversion(policy, currency or policy.currency, rates)
    base = convert.to_base(subtotal)
    shown = _compared(subtotal, convert, base)
    levels, number = [], 0
    for level in policy.levels:
        if level.min_amount is None:
            applies, reason = True, "applies to every PO"
        elif base is None:
            applies, reason = True, f"applies: {convert.missing}, so every amount-gated level does"
        elif base >= level.min_amount:
            applies, reason = True, f"subtotal {shown} is at least {level.min_amount}"
        else:
            applies, reason = False, f"subtotal {shown} is below {level.min_amount}"
        number += applies
        levels.append(_with_eligible(level, number if applies else 0, applies, reason, requesters))
    summary = (
        f"{number} level{'s' * (number != 1)} of approval" if number else "approved at once: no level applies"
    )
    blocked = [level.name for level in levels if level.applies and level.blocked]
    if blocked:
        summary += f"; blocked: no one may approve at {', '.join(blocked)}"
    return ApprovalRoute(
        policy_version=policy.version,
        subtotal=subtotal,
        currency=convert.currency,
        base_currency=convert.base_currency,
        base_subtotal=base,
        exchange_rate=convert.rate if convert.currency != convert.base_currency else None,
        conversion=_conversion_note(subtotal, convert, base),
        levels=levels,
        summary=summary,
    )


def _compared(subtotal: Decimal, convert: Conversion, base: Decimal | None) -> str:
    if convert.currency == convert.base_currency:
        return str(subtotal)
    return f"{subtotal} {convert.currency} = {base} {convert.base_currency}"


def _conversion_note(subtotal: Decimal, convert: Conversion, base: Decimal | None) -> str | None:
    if convert.currency == convert.base_currency:
        return None
    if base is None:
        return f"{convert.missing}: every amount-gated level applies"
    return f"{subtotal} {convert.currency} at {convert.rate:f} = {base} {convert.base_currency}"


def _with_eligible(
    level: PolicyLevel, number: int, applies: bool, reason: str, requesters: Collection[str]
) -> RouteLevel:
    """The level as routed: if every approver requested the PO, its eligible escalation people are
    asked at once; with none, the level is blocked."""
    mine = {email.lower() for email in requesters}
    approvers, escalate_to, blocked = list(level.approvers), list(level.escalate_to), None
    if mine and not set(approvers) - mine:
        eligible = [email for email in escalate_to if email not in mine]
        if eligible:
            reason += f"; its approvers requested this PO, so its escalation ({', '.join(eligible)}) is asked"
            approvers, escalate_to = eligible, []
        else:
            blocked = (
                f"level '{level.name}' has no one who may approve this PO: its approvers"
                f" ({', '.join(approvers)}) requested it"
                + (", and so did its escalation" if escalate_to else ", and it has no escalateTo")
            )
    timeout = math.ceil(level.timeout_hours * 3600) if level.timeout_hours else None
    return RouteLevel(
        level=number,
        name=level.name,
        applies=applies,
        reason=reason,
        approvers=approvers,
        timeout_seconds=timeout,
        escalate_to=escalate_to,
        blocked=blocked,
    )


def requesters(po: PurchaseOrder, submitter: str | None = None) -> set[str]:
    """Who asked for this PO: they may never approve it."""
    return {email.lower() for email in (po.created_by, submitter or po.submitted_by) if email}


# --- re-approval -------------------------------------------------------------------------------


def baseline_of(po: PurchaseOrder, round_number: int, subtotal: Decimal) -> ApprovedBaseline:
    """What people approved: the PO's supplier, currency and every line not canceled."""
    return ApprovedBaseline(
        round=round_number,
        supplier=po.supplier,
        currency=po.currency,
        subtotal=subtotal,
        lines={
            line.id: BaselineLine(
                part_id=line.part_id,
                description_digest=digest(line.description),
                purchase_type=line.purchase_type,
                quantity=line.quantity,
                unit_cost=line.unit_cost,
                amount=line.amount,
            )
            for line in po.lines
            if line.status is not Status.CANCELED
        },
    )


def digest(text: str) -> str:
    """A line's description as the baseline keeps it (a header item must stay small)."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def material_changes(baseline: ApprovedBaseline | None, po: PurchaseOrder) -> list[str]:
    """What changed since the approval that no amount threshold may excuse."""
    if baseline is None:
        return ["the last approval predates the record of what it approved"]
    changes = []
    if po.supplier.name != baseline.supplier.name:
        changes.append(f"supplier name changed ({baseline.supplier.name} -> {po.supplier.name})")
    if po.supplier.email.lower() != baseline.supplier.email.lower():
        changes.append(f"supplier email changed ({baseline.supplier.email} -> {po.supplier.email})")
    if po.currency != baseline.currency:
        changes.append(f"currency changed ({baseline.currency} -> {po.currency})")
    for line in _open(po.lines):
        approved = baseline.lines.get(line.id)
        if approved is None:
            continue  # a new line: counted with its whole amount
        if line.part_id != approved.part_id:
            changes.append(f"line {line.id} part changed ({approved.part_id} -> {line.part_id})")
        if digest(line.description) != approved.description_digest:
            changes.append(f"line {line.id} description changed")
        if line.purchase_type is not approved.purchase_type:
            changes.append(
                f"line {line.id} purchase type changed ({approved.purchase_type} -> {line.purchase_type})"
            )
    return changes


def increase_over(baseline: ApprovedBaseline, po: PurchaseOrder) -> Decimal:
    """The baseline lines' net change (never below zero) plus every new line's whole amount."""
    lines = _open(po.lines)
    kept = sum((line.amount for line in lines if line.id in baseline.lines), Decimal(0))
    added = sum((line.amount for line in lines if line.id not in baseline.lines), Decimal(0))
    return max(kept - baseline.subtotal, Decimal(0)) + added


def _open(lines: Iterable[Any]) -> list[Any]:
    return [line for line in lines if line.status is not Status.CANCELED]


class Resubmission(CamelModel):
    """How a PO approved before compares with what was approved, and what that means."""

    approved_subtotal: str
    within_reset_threshold: bool
    new_round: bool
    material_changes: list[str] = Field(description="the changes that need a new round whatever the amounts")
    reason: str


def resubmission(
    policy: ApprovalPolicy, po: PurchaseOrder, rates: ExchangeRates | None
) -> Resubmission | None:
    """None for a PO people never approved; else whether it is approved again automatically."""
    if po.approved_subtotal is None:
        return None
    approved = str(po.approved_subtotal)
    changes = material_changes(po.approved_baseline, po)
    if changes:
        why = f"a new round from level 1: {'; '.join(changes)}"
        return Resubmission(
            approved_subtotal=approved, within_reset_threshold=False, new_round=True,
            material_changes=changes, reason=why,
        )  # fmt: skip
    assert po.approved_baseline is not None  # no baseline is a material change
    convert = conversion(policy, po.currency, rates)
    within, reason = within_reset_threshold(
        policy.reset_threshold,
        po.approved_baseline.subtotal,
        po.totals.subtotal,
        increase=increase_over(po.approved_baseline, po),
        in_base=convert.to_base if convert.currency != convert.base_currency else None,
        missing=convert.missing,
    )
    return Resubmission(
        approved_subtotal=approved, within_reset_threshold=within, new_round=not within,
        material_changes=[], reason=reason,
    )  # fmt: skip


def within_reset_threshold(
    threshold: ResetThreshold,
    baseline: Decimal,
    subtotal: Decimal,
    *,
    increase: Decimal | None = None,
    in_base: Callable[[Decimal], Decimal | None] | None = None,
    missing: str = "",
) -> tuple[bool, str]:
    """Whether a resubmission may skip approval, and why (for the history). `increase` defaults to
    the subtotal's; `in_base` converts it for the amount limit (None: no rate, fail closed)."""
    increase = subtotal - baseline if increase is None else increase
    if increase <= 0:
        return True, f"subtotal {subtotal} is not above the approved {baseline}"
    if threshold.amount is None and threshold.percent is None:
        return (
            False,
            f"subtotal rose by {increase} over the approved {baseline} and no reset threshold is set",
        )
    with localcontext(prec=60):  # any stored amount, however large, gives a percent (never a 500)
        percent = (increase / baseline * 100).quantize(Decimal("0.01")) if baseline > 0 else None
    checks = []
    if threshold.amount is not None:
        base = in_base(increase) if in_base is not None else increase
        if base is None:
            checks.append(
                (False, f"+{increase}: {missing} to check it against a limit of {threshold.amount}")
            )
        else:
            shown = f"+{increase} (= {base})" if in_base is not None else f"+{increase}"
            checks.append((base <= threshold.amount, f"{shown} against a limit of {threshold.amount}"))
    if threshold.percent is not None:
        ok = percent is not None and percent <= threshold.percent
        checks.append(
            (ok, f"+{percent if percent is not None else 'inf'}% against a limit of {threshold.percent}%")
        )
    within = all(ok for ok, _ in checks)
    detail = "; ".join(text for _, text in checks)
    verdict = "within" if within else "past"
    return within, f"{verdict} the reset threshold over the approved {baseline}: {detail}"
