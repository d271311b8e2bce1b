"""Who approves a PO, in which order, and when a change needs approving again.

- Levels run in the policy's order. A level with `minAmount` applies only when the PO's
  subtotal is at least that amount; one without applies to every PO.
- Re-approval: a PO keeps the subtotal last approved by people (its baseline). A resubmission
  whose subtotal is not above the baseline by more than the reset threshold (amount and/or
  percent, every one set must hold, measured against the baseline so small changes cannot add
  up unseen) is approved automatically; past it, a new round starts at level 1.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

from pydantic import EmailStr, Field, field_validator, model_validator

from purchasing.domain.model import Amount, CamelModel, Money, Text

MAX_LEVELS = 10


class PolicyLevel(CamelModel):
    name: Text
    approvers: list[EmailStr] = Field(min_length=1, max_length=20)
    min_amount: Money | None = None
    timeout_hours: Decimal | None = Field(
        default=None, gt=0, le=24 * 30, description="hours; fractions allowed"
    )
    escalate_to: list[EmailStr] = Field(default=[], max_length=20)

    @field_validator("approvers", "escalate_to")
    @classmethod
    def _lower_case(cls, emails: list[str]) -> list[str]:
        return [email.lower() for email in emails]

    @model_validator(mode="after")
    def _escalation_needs_a_timeout(self) -> PolicyLevel:
        if self.escalate_to and self.timeout_hours is None:
            raise ValueError("escalateTo needs timeoutHours: escalation happens when the level times out")
        return self


class ResetThreshold(CamelModel):
    amount: Money | None = None
    percent: Decimal | None = Field(default=None, ge=0, le=1000)


class ApprovalPolicy(CamelModel):
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


class RouteLevel(CamelModel):
    level: int
    name: str
    applies: bool
    reason: str
    approvers: list[str]
    timeout_seconds: int | None = None
    escalate_to: list[str] = []


class ApprovalRoute(CamelModel):
    policy_version: int
    subtotal: Amount
    levels: list[RouteLevel]
    summary: str


def route(policy: ApprovalPolicy, subtotal: Decimal) -> ApprovalRoute:
    levels, number = [], 0
    for level in policy.levels:
        applies = level.min_amount is None or subtotal >= level.min_amount
        if level.min_amount is None:
            reason = "applies to every PO"
        elif applies:
            reason = f"subtotal {subtotal} is at least {level.min_amount}"
        else:
            reason = f"subtotal {subtotal} is below {level.min_amount}"
        number += applies
        levels.append(
            RouteLevel(
                level=number if applies else 0,
                name=level.name,
                applies=applies,
                reason=reason,
                approvers=list(level.approvers),
                timeout_seconds=math.ceil(level.timeout_hours * 3600) if level.timeout_hours else None,
                escalate_to=list(level.escalate_to),
            )
        )
    summary = (
        f"{number} level{'s' * (number != 1)} of approval" if number else "approved at once: no level applies"
    )
    return ApprovalRoute(policy_version=policy.version, subtotal=subtotal, levels=levels, summary=summary)


def within_reset_threshold(
    threshold: ResetThreshold, baseline: Decimal, subtotal: Decimal
) -> tuple[bool, str]:
    """Whether a resubmission at `subtotal` may skip approval, and why (for the history)."""
    increase = subtotal - baseline
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
        checks.append((increase <= threshold.amount, f"+{increase} against a limit of {threshold.amount}"))
    if threshold.percent is not None:
        ok = percent is not None and percent <= threshold.percent
        checks.append(
            (ok, f"+{percent if percent is not None else 'inf'}% against a limit of {threshold.percent}%")
        )
    within = all(ok for ok, _ in checks)
    detail = "; ".join(text for _, text in checks)
    verdict = "within" if within else "past"
    return within, f"{verdict} the reset threshold over the approved {baseline}: {detail}"
