"""Use cases of approvals at the API: the org's policy, a PO's route, and approvers' links."""

from __future__ import annotations

import time
from dataclasses import dataclass

from purchasing.api.auth import Principal
from purchasing.data import po_repository, secrets, settings_repository
from purchasing.domain import approval_links, approvals, history
from purchasing.domain.approval_route import ApprovalPolicy, ApprovalRoute, route, within_reset_threshold
from purchasing.domain.model import ApprovalRequest, ApprovalStatus, CamelModel, PurchaseOrder, utc_now
from purchasing.po_service import get


class Resubmission(CamelModel):
    approved_subtotal: str
    within_reset_threshold: bool
    reason: str


class RouteView(ApprovalRoute):
    resubmission: Resubmission | None = None


def get_policy(principal: Principal) -> ApprovalPolicy:
    return settings_repository.get_policy(principal.org_id) or ApprovalPolicy()


def put_policy(principal: Principal, policy: ApprovalPolicy) -> ApprovalPolicy:
    current = get_policy(principal)
    stored = policy.model_copy(
        update={"version": current.version + 1, "updated_at": utc_now(), "updated_by": principal.email}
    )
    settings_repository.put_policy(principal.org_id, stored)
    return stored


def route_of(principal: Principal, po_id: str) -> RouteView:
    """The levels and approvers this PO would go through now, and why."""
    po = get(principal, po_id)
    policy = get_policy(principal)
    view = RouteView.model_validate(route(policy, po.totals.subtotal).model_dump())
    if po.approved_subtotal is not None:
        within, reason = within_reset_threshold(
            policy.reset_threshold, po.approved_subtotal, po.totals.subtotal
        )
        view.resubmission = Resubmission(
            approved_subtotal=str(po.approved_subtotal), within_reset_threshold=within, reason=reason
        )
    return view


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
