"""The email an approver gets: what to approve, at which level, and their own link."""

from __future__ import annotations

from datetime import UTC, datetime

from purchasing.domain import emails
from purchasing.domain.approvals import NO_TIMEOUT_SECONDS
from purchasing.domain.model import ApprovalRequest, PurchaseOrder, format_decimal


def message(
    org_id: str, po: PurchaseOrder, request: ApprovalRequest, approver: str, link: str
) -> emails.EmailMessage:
    """The approver's email as published: their own link, the PO's lines and total, the level."""
    subject, text = compose(po, request, approver, link)
    return emails.EmailMessage(
        kind="approval-request",
        org_id=org_id,
        po_id=po.id,
        to=approver,
        subject=subject,
        text=text,
        po=emails.po_summary(po, po.lines, po.totals.subtotal, level=_level(request)),
        level=request.level,
        target=emails.Target(kind="approval", ref=request.id),
    )


def _level(request: ApprovalRequest) -> str:
    return f"level {request.level} ({request.level_name})"


def compose(po: PurchaseOrder, request: ApprovalRequest, approver: str, link: str) -> tuple[str, str]:
    total = f"{format_decimal(po.totals.subtotal)} {po.currency}"
    lines = len(po.lines)
    level = _level(request) + (", escalated to you" if request.escalation else "")
    subject = f"Approval needed: {po.number} from {po.supplier.name}, {total}"
    requester = po.submitted_by or po.created_by
    until = _when(link_expiry(request))
    body = "\n".join(
        [
            f"Hello {approver},",
            "",
            f"Purchase order {po.number} for {po.supplier.name} needs your approval at {level}.",
            f"Total: {total}, {lines} line{'s' * (lines != 1)}. Requested by {requester}.",
            "",
            "Review it and approve or reject, with a comment:",
            link,
            "",
            f"This link is yours alone; it works until {until} or until the request is decided.",
        ]
    )
    return subject, body


def link_expiry(request: ApprovalRequest) -> int:
    """A link lives as long as its request: the level's timeout from when it was sent."""
    sent = (
        datetime.fromisoformat(request.requested_at.replace("Z", "+00:00")) if request.requested_at else None
    )
    start = int(sent.timestamp()) if sent else int(datetime.now(UTC).timestamp())
    return start + (request.timeout_seconds or NO_TIMEOUT_SECONDS)


def _when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
