"""The approval flow, decided in one place (Step Functions only sequences the levels).

A submission (lines IN_REVIEW with no round running) gets a route from the org's policy:
- no material change since the last human-approved baseline and within its reset threshold:
  approved automatically (see approval_route);
- a level no one may approve (its approvers requested the PO, no eligible escalation): sent back
  to draft saying so (the API refuses such a submit; this covers a policy changed since);
- no level applies (or no policy): approved at once;
- otherwise a round starts: its route is pinned on it, so later policy edits never change it.
A finished round is applied once: APPROVED moves its lines to APPROVED and records the baseline
(what was approved: supplier, currency, lines),
REJECTED and EXPIRED send them back to DRAFT with the reason. Revising, canceling or submitting
again while a round runs supersedes it: its requests die, and so do their links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from purchasing.domain import history, lifecycle
from purchasing.domain.approval_route import (
    ApprovalPolicy,
    ExchangeRates,
    baseline_of,
    requesters,
    resubmission,
    route,
)
from purchasing.domain.errors import NoApprover
from purchasing.domain.model import (
    ApprovalRequest,
    ApprovalRound,
    ApprovalStatus,
    HistoryEvent,
    PurchaseOrder,
    RoundStatus,
    Status,
)

NO_TIMEOUT_SECONDS = 30 * 24 * 3600
FINISHED = (RoundStatus.APPROVED, RoundStatus.REJECTED, RoundStatus.EXPIRED)


class LinkDead(Exception):
    """The request can no longer be decided: decided, superseded or expired (a 410)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class NotYours(Exception):
    """This approver may not decide this request (a 403)."""


@dataclass
class Step:
    po: PurchaseOrder
    events: list[HistoryEvent] = field(default_factory=list)
    start: ApprovalRound | None = None


def next_step(
    po: PurchaseOrder, policy: ApprovalPolicy | None, now: str, rates: ExchangeRates | None = None
) -> Step:
    """What the stream consumer does next for this PO (the PO returned is unchanged if nothing)."""
    current = po.round(po.current_round)
    if current is not None and current.status in FINISHED and not current.applied:
        return _apply_outcome(po, current, now)
    if current is not None and current.status is RoundStatus.SUPERSEDED and not current.applied:
        rounds = _replace_round(po, current.model_copy(update={"applied": True}))
        po = po.model_copy(update={"approval_rounds": rounds})  # the old execution is stopped once
    if any(line.status is Status.IN_REVIEW for line in po.lines) and (
        current is None or current.status is not RoundStatus.RUNNING
    ):
        return _route_submission(po, policy or ApprovalPolicy(), rates, now)
    if current is not None and current.status is RoundStatus.RUNNING and not current.started:
        return Step(po, start=current)  # started before, but the execution start did not go through
    return Step(po)


def check_routable(po: PurchaseOrder, policy: ApprovalPolicy, rates: ExchangeRates | None) -> None:
    """Refuse (a 409) a submission that would wait for ever: a level no one may approve."""
    again = resubmission(policy, po, rates)
    if again is not None and not again.new_round:
        return  # approved again at once: no level is asked
    planned = route(policy, po.totals.subtotal, po.currency, rates, requesters(po))
    for level in planned.levels:
        if level.applies and level.blocked:
            raise NoApprover(f"{level.blocked}: add an approver or an escalateTo to the policy")


def execution_input(pk: str, approval_round: ApprovalRound) -> dict[str, Any]:
    """The state machine's input: the levels pinned on the round, keys of their request items."""
    number = approval_round.round
    levels = [
        {
            "level": level["level"],
            "name": level["name"],
            "approvers": level["approvers"],
            "timeoutSeconds": level.get("timeoutSeconds") or NO_TIMEOUT_SECONDS,
            "escalateTo": level.get("escalateTo") or [],
            "sk": request_id(number, level["level"]),
            "escalationSk": request_id(number, level["level"], escalation=True),
        }
        for level in approval_round.route["levels"]
        if level["applies"]
    ]
    return {"pk": pk, "round": number, "roundSk": f"ROUND#{number:03d}", "levels": levels}


def request_id(round_number: int, level: int, *, escalation: bool = False) -> str:
    return f"APPROVAL#{round_number:03d}#{level:02d}" + ("#E" if escalation else "")


def supersede(po: PurchaseOrder, now: str) -> PurchaseOrder:
    """The running round (if any) no longer counts: the PO changed under it."""
    current = po.round(po.current_round)
    if current is None or current.status is not RoundStatus.RUNNING:
        return po
    requests = [
        request.model_copy(update={"status": ApprovalStatus.SUPERSEDED})
        if request.round == current.round and request.status is ApprovalStatus.PENDING
        else request
        for request in po.approvals
    ]
    rounds = _replace_round(
        po, current.model_copy(update={"status": RoundStatus.SUPERSEDED, "decided_at": now})
    )
    return po.model_copy(update={"approvals": requests, "approval_rounds": rounds})


def retire_stale_requests(po: PurchaseOrder) -> PurchaseOrder:
    """Requests that can no longer be decided: those of other rounds, or of finished ones, and a
    level's first request once its escalation was sent (that task has timed out)."""
    current = po.round(po.current_round)
    escalated = {(request.round, request.level) for request in po.approvals if request.escalation}
    requests = []
    for request in po.approvals:
        if request.status is ApprovalStatus.PENDING:
            if current is None or request.round != current.round or current.status is not RoundStatus.RUNNING:
                request = request.model_copy(update={"status": _dead_status(current, request)})
            elif not request.escalation and (request.round, request.level) in escalated:
                request = request.model_copy(update={"status": ApprovalStatus.EXPIRED})
        requests.append(request)
    return po.model_copy(update={"approvals": requests})


def check_decision(po: PurchaseOrder, request: ApprovalRequest, approver: str) -> None:
    """Raise unless `approver` may decide `request` now."""
    current = po.round(po.current_round)
    if request.status is ApprovalStatus.APPROVED or request.status is ApprovalStatus.REJECTED:
        verb = request.status.value.lower()
        raise LinkDead(
            "decided", f"this request was already {verb} by {request.decided_by} on {request.decided_at}"
        )
    if request.status is ApprovalStatus.EXPIRED:
        raise LinkDead("expired", "this request expired before a decision was made")
    if (
        request.status is ApprovalStatus.SUPERSEDED
        or current is None
        or request.round != current.round
        or current.status is not RoundStatus.RUNNING
    ):
        raise LinkDead("superseded", "the PO changed or was decided since this request was sent")
    if approver.lower() in {po.created_by.lower(), (po.submitted_by or "").lower()}:
        raise NotYours("you requested this PO: someone else must approve it")
    if approver.lower() not in {email.lower() for email in request.approvers}:
        raise NotYours("this request is for another approver")


def _route_submission(
    po: PurchaseOrder, policy: ApprovalPolicy, rates: ExchangeRates | None, now: str
) -> Step:
    again = resubmission(policy, po, rates)
    if again is not None and not again.new_round:
        return _approve_at_once(po, f"approved automatically: {again.reason}", now)
    planned = route(policy, po.totals.subtotal, po.currency, rates, requesters(po))
    blocked = [level.blocked for level in planned.levels if level.applies and level.blocked]
    if blocked:
        after = lifecycle.reject(po, now)
        why = f"sent back to draft: {'; '.join(item for item in blocked if item)}"
        return Step(after, [history.lines_moved("round-blocked", why, po, after, history.SYSTEM)])
    if not any(level.applies for level in planned.levels):
        why = "no approval policy" if not policy.levels else "no approval level applies"
        return _approve_at_once(po, f"approved at once: {why}", now)
    number = po.current_round + 1
    new_round = ApprovalRound(
        round=number,
        status=RoundStatus.RUNNING,
        subtotal=po.totals.subtotal,
        policy_version=policy.version,
        route=planned.model_dump(mode="json", by_alias=True),
        requested_by=po.submitted_by or po.created_by,
        requested_at=now,
    )
    names = ", ".join(level.name for level in planned.levels if level.applies)
    after = po.model_copy(
        update={"approval_rounds": [*po.approval_rounds, new_round], "current_round": number}
    )
    trigger = f"; {again.reason}" if again is not None else ""
    data: dict[str, Any] = {
        "round": number,
        "policyVersion": policy.version,
        "subtotal": str(po.totals.subtotal),
    }
    if again is not None:
        data["trigger"] = again.material_changes or [again.reason]
    event = history.event(
        "approval-requested", history.SYSTEM,
        f"Approval round {number}: {planned.summary} ({names}){trigger}", now, data,
    )  # fmt: skip
    return Step(after, [event], start=new_round)


def _approve_at_once(po: PurchaseOrder, why: str, now: str) -> Step:
    after = lifecycle.approve(po, now)
    return Step(after, [history.lines_moved("approved", why, po, after, history.SYSTEM)])


def _apply_outcome(po: PurchaseOrder, current: ApprovalRound, now: str) -> Step:
    done = current.model_copy(update={"applied": True})
    in_review = any(line.status is Status.IN_REVIEW for line in po.lines)
    if current.status is RoundStatus.APPROVED:
        after = lifecycle.approve(po, now) if in_review else po
        baseline = baseline_of(after, current.round, current.subtotal)
        after = after.model_copy(
            update={"approved_subtotal": current.subtotal, "approved_baseline": baseline}
        )
        verb = f"approved at every level (round {current.round})"
    else:
        after = lifecycle.reject(po, now) if in_review else po
        verb = _why_not_approved(po, current)
    after = retire_stale_requests(after.model_copy(update={"approval_rounds": _replace_round(after, done)}))
    return Step(
        after, [history.lines_moved(f"round-{current.status.value.lower()}", verb, po, after, history.SYSTEM)]
    )


def _why_not_approved(po: PurchaseOrder, current: ApprovalRound) -> str:
    if current.status is RoundStatus.EXPIRED:
        return f"sent back to draft: approval round {current.round} expired without a decision"
    rejected = [r for r in po.approvals if r.round == current.round and r.status is ApprovalStatus.REJECTED]
    if not rejected:
        return f"sent back to draft: approval round {current.round} was rejected"
    request = rejected[-1]
    comment = f': "{request.comment}"' if request.comment else ""
    return f"sent back to draft: {request.level_name} rejected by {request.decided_by}{comment}"


def _dead_status(current: ApprovalRound | None, request: ApprovalRequest) -> ApprovalStatus:
    if current is not None and request.round == current.round and current.status is RoundStatus.EXPIRED:
        return ApprovalStatus.EXPIRED
    return ApprovalStatus.SUPERSEDED


def _replace_round(po: PurchaseOrder, changed: ApprovalRound) -> list[ApprovalRound]:
    return [changed if item.round == changed.round else item for item in po.approval_rounds]
