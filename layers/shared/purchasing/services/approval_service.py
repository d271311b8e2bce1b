"""Use cases of approvals at the API: the org's policy and exchange rates, a PO's route, and
approvers' links."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from purchasing.data import po_repository, secrets, settings_repository
from purchasing.domain import approval_links, approvals, history
from purchasing.domain.approval_route import (
    ApprovalPolicy,
    ApprovalRoute,
    ExchangeRates,
    Resubmission,
    requesters,
    resubmission,
    route,
)
from purchasing.domain.caller import Principal
from purchasing.domain.errors import VersionMismatch
from purchasing.domain.model import ApprovalRequest, ApprovalStatus, PurchaseOrder, utc_now
from purchasing.services.po_service import get


class RouteView(ApprovalRoute):
    resubmission: Resubmission | None = None


def get_policy(principal: Principal) -> ApprovalPolicy:
    return settings_repository.get_policy(principal.org_id) or ApprovalPolicy()


def put_policy(principal: Principal, policy: ApprovalPolicy, expected: int | None = None) -> ApprovalPolicy:
    """Replace the policy; `expected` (If-Match) or a `version` in the body must be the current one."""
    current = get_policy(principal)
    _check_version("the approval policy", current.version, policy, expected)
    stored = policy.model_copy(
        update={"version": current.version + 1, "updated_at": utc_now(), "updated_by": principal.email}
    )
    settings_repository.put_policy(principal.org_id, stored)
    return stored


def get_rates(principal: Principal) -> ExchangeRates:
    """The org's exchange rates (none yet: to the policy's currency, empty)."""
    stored = settings_repository.get_rates(principal.org_id)
    return stored or ExchangeRates(base_currency=get_policy(principal).currency)


def put_rates(principal: Principal, rates: ExchangeRates, expected: int | None = None) -> ExchangeRates:
    """Replace the rates; `expected` (If-Match) or a `version` in the body must be the current one."""
    current = settings_repository.get_rates(principal.org_id)
    version = current.version if current else 0
    _check_version("the exchange rates", version, rates, expected)
    stored = rates.model_copy(
        update={
            "version": version + 1,
            "updated_at": utc_now(),
            "updated_by": principal.email,
        }
    )
    settings_repository.put_rates(principal.org_id, stored)
    return stored


def _check_version(
    what: str, current: int, replacement: ApprovalPolicy | ExchangeRates, expected: int | None
) -> None:
    """A settings write names the version it replaces by If-Match or by a `version` in its body
    (If-Match wins); naming neither replaces whatever is there."""
    if "version" in replacement.model_fields_set and expected is None:
        expected = replacement.version
    if expected is not None and expected != current:
        raise VersionMismatch(f"{what} is at version {current}, not {expected}")


def route_of(principal: Principal, po_id: str) -> RouteView:
    """The levels and approvers this PO would go through if submitted now, and why; for a PO
    approved before, whether it would be approved again at once or which change needs a round."""
    po = get(principal, po_id)
    policy, rates = get_policy(principal), settings_repository.get_rates(principal.org_id)
    planned = route(policy, po.totals.subtotal, po.currency, rates, requesters(po, principal.email))
    return RouteView(**dict(planned), resubmission=resubmission(policy, po, rates))


def sample_route(principal: Principal, amount: Decimal, currency: str | None) -> ApprovalRoute:
    """The route a PO of `amount` in `currency` (the policy's unless told) would take now."""
    policy, rates = get_policy(principal), settings_repository.get_rates(principal.org_id)
    return route(policy, amount, currency, rates)


@dataclass(frozen=True)
class Opened:
    """A link that may be decided: the PO, the request, and who is deciding."""

    org_id: str
    po: PurchaseOrder
    request: ApprovalRequest
    approver: str


def open_link(token: str) -> Opened:
    """Raises LinkForged (403), LinkExpired (410), approvals.LinkDead (410), approvals.NotYours (403)."""
    claims = approval_links.verify(token, secrets.link_secret(), now=int(time.time()))
    po = po_repository.get(claims.org_id, claims.po_id)
    request = next((r for r in po.approvals if r.id == claims.request_id), None) if po else None
    if po is None or request is None:
        raise approvals.LinkDead("gone", "this approval request no longer exists")
    live = approvals.retire_stale_requests(po)
    live_request = next(r for r in live.approvals if r.id == request.id)
    approvals.check_decision(live, live_request, claims.approver)
    return Opened(org_id=claims.org_id, po=po, request=live_request, approver=claims.approver)


def decide(token: str, approve: bool, comment: str) -> Opened:
    """Apply the decision once; a concurrent or repeated one finds the request decided."""
    opened = open_link(token)
    status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    decided = opened.request.model_copy(
        update={
            "status": status,
            "decided_by": opened.approver,
            "decided_at": utc_now(),
            "comment": comment or None,
        }
    )
    verb = "approved" if approve else "rejected"
    summary = f"Level {decided.level} ({decided.level_name}) {verb} by {opened.approver}"
    summary += f': "{comment}"' if comment else ""
    event = history.event(
        f"level-{verb}", opened.approver, summary, decided.decided_at or utc_now(),
        {"round": decided.round, "level": decided.level, "comment": comment},
    )  # fmt: skip
    try:
        po_repository.decide(opened.org_id, opened.po, decided, event)
    except po_repository.AlreadyDecided as error:
        raise approvals.LinkDead("decided", "this request was decided a moment ago") from error
    return Opened(org_id=opened.org_id, po=opened.po, request=decided, approver=opened.approver)
