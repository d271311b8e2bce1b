"""What became of the approvers' emails, and what a request nobody can receive leads to.

A request whose every approver's address bounced permanently cannot be decided: its level is
escalated when the route gives it escalation approvers (and it is not the escalation already),
else its requester is told (the request keeps waiting until its timeout, as any other).
"""

from __future__ import annotations

from typing import Any

from purchasing.domain import emails
from purchasing.domain.model import ApprovalRequest, Delivery, PurchaseOrder

_FIELDS = {
    "mailId": "mail_id",
    "sentAt": "sent_at",
    "deliveredAt": "delivered_at",
    "bouncedAt": "bounced_at",
    "bounceType": "bounce_type",
    "bounceReason": "bounce_reason",
    "complainedAt": "complained_at",
    "failedAt": "failed_at",
    "failure": "failure",
}


def of_request(approvers: list[str], published_at: str | None, stored: dict[str, Any]) -> list[Delivery]:
    """One delivery per approver, from the request's stored `deliveries` map."""
    found = []
    for approver in approvers:
        entry = {
            _FIELDS[key]: str(value) for key, value in (stored.get(approver) or {}).items() if key in _FIELDS
        }
        found.append(Delivery(to=approver, status=_status(entry, published_at), **entry))
    return found


def _status(entry: dict[str, str], published_at: str | None) -> str:
    for field, status in (
        ("complained_at", "complained"),
        ("bounced_at", "bounced"),
        ("delivered_at", "delivered"),
        ("sent_at", "sent"),
        ("failed_at", "failed"),
    ):
        if entry.get(field):
            return status
    return "published" if published_at else "pending"


def unreachable(request: ApprovalRequest) -> bool:
    """Every approver's email bounced permanently: nobody can decide this request."""
    return bool(request.deliveries) and all(
        item.bounced_at and item.bounce_type == "Permanent" for item in request.deliveries
    )


def can_escalate(po: PurchaseOrder, request: ApprovalRequest) -> bool:
    """The level of this (first, not escalation) request has escalation approvers in its route."""
    approval_round = po.round(request.round)
    if request.escalation or approval_round is None:
        return False
    levels = approval_round.route.get("levels") or []
    level = next((item for item in levels if item.get("level") == request.level), None)
    return bool(level and level.get("escalateTo"))


def requester_notice(org_id: str, po: PurchaseOrder, request: ApprovalRequest) -> emails.EmailMessage:
    """Tell whoever submitted the PO that nobody at this level can receive the request."""
    requester = po.submitted_by or po.created_by
    bounced = "\n".join(f"- {item.to}: {item.bounce_reason or 'bounced'}" for item in request.deliveries)
    text = "\n".join(
        [
            f"Hello {requester},",
            "",
            f"The approval request for purchase order {po.number} at level {request.level} "
            f"({request.level_name}) could not be delivered to anyone:",
            bounced,
            "",
            "Nobody can approve this level until the approval policy names a reachable approver. "
            "Ask an admin to correct it, then edit and submit the PO again (or cancel it).",
        ]
    )
    return emails.EmailMessage(
        kind="approval-undeliverable",
        org_id=org_id,
        po_id=po.id,
        to=requester,
        subject=f"Approval request for {po.number} could not be delivered",
        text=text,
        po=emails.po_summary(po, po.lines, po.totals.subtotal, level=f"level {request.level}"),
    )
