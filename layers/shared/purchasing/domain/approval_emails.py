"""The email an approver gets: what to approve, at which level, and their own link."""

from __future__ import annotations

from datetime import UTC, datetime

from purchasing.domain.approvals import NO_TIMEOUT_SECONDS
from purchasing.domain.model import ApprovalRequest, PurchaseOrder, format_decimal


def compose(po: PurchaseOrder, request: ApprovalRequest, approver: str, link: str) -> tuple[str, str]:
    total = f"{format_decimal(po.totals.subtotal)} {po.currency}"
    lines = len(po.lines)
    level = f"level {request.level} ({request.level_name})" + (
        ", escalated to you" if request.escalation else ""
    )
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
