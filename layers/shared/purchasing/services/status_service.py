"""The stream consumer's work: a PO's stored status and totals follow its lines.

Per batch: group the records by PO; per PO one Query, then one conditional write if the status
or totals changed (with a history event per status change), and an SNS message per status
change. Idempotent by construction: a record delivered again finds the header already right,
so it writes and publishes nothing. A PO that fails fails alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from purchasing import config
from purchasing.data import (
    notifications,
    parts_repository,
    po_repository,
    secrets,
    settings_repository,
    workflows,
)
from purchasing.data.transactions import VersionConflict
from purchasing.domain import (
    approval_emails,
    approval_links,
    approval_route,
    approvals,
    deliveries,
    history,
    inventory,
)
from purchasing.domain.model import (
    ApprovalRequest,
    ApprovalRound,
    ApprovalStatus,
    PurchaseOrder,
    RoundStatus,
    Status,
    utc_now,
)
from purchasing.observability import logger, metrics
from purchasing.services.retry import retry_on_conflict

MAX_ATTEMPTS = 3
Rules = tuple[approval_route.ApprovalPolicy | None, approval_route.ExchangeRates | None]  # policy, rates


@dataclass(frozen=True)
class PoKey:
    org_id: str
    po_id: str


def po_key(record: dict[str, Any]) -> PoKey | None:
    """ORG#<org>#PO#<po> for items of a PO's partition; None for anything else."""
    keys = (record.get("dynamodb") or {}).get("Keys") or {}
    parts = str((keys.get("PK") or {}).get("S", "")).split("#")
    if len(parts) == 4 and parts[0] == "ORG" and parts[2] == "PO":
        return PoKey(parts[1], parts[3])
    return None


def line_ref(record: dict[str, Any]) -> str | None:
    sort_key = str(((record.get("dynamodb") or {}).get("Keys") or {}).get("SK", {}).get("S", ""))
    return sort_key.removeprefix("LINE#") if sort_key.startswith("LINE#") else None


def recompute_batch(records: Iterable[dict[str, Any]]) -> set[PoKey]:
    """Apply every PO the records touch; return the POs that failed (their records are retried)."""
    touched: dict[PoKey, set[str]] = defaultdict(set)
    for record in records:
        key = po_key(record)
        if key is not None:
            line = line_ref(record)
            touched[key].update([line] if line else [])
    failed = set()
    policies: dict[str, Rules] = {}  # read once per org per batch
    for key, lines in touched.items():
        try:
            recompute(key, lines, policies)
        except Exception:
            logger.exception("recompute failed", extra={"org_id": key.org_id, "po_id": key.po_id})
            failed.add(key)
    return failed


def recompute(key: PoKey, touched_lines: set[str], policies: dict[str, Rules] | None = None) -> None:
    def attempt() -> tuple[po_repository.StoredPo, approvals.Step] | None:
        stored = po_repository.get_stored(key.org_id, key.po_id)
        if stored is None:
            return None  # lines without a header: a create that failed part way, never visible
        live = approvals.retire_stale_requests(stored.po)
        _relay_decisions(key, stored, live)
        _notify_approvers(key, stored, live)
        _handle_unreachable(key, stored, live)
        policy, rates = _policy_if_needed(key, live, {} if policies is None else policies)
        step = approvals.next_step(live, policy, utc_now(), rates)
        after, events = step.po, list(step.events)
        if after.status is not stored.status:
            events.append(history.status_changed(after, stored.status, after.status))
        if after == stored.po and after.status is stored.status and after.totals.subtotal == stored.subtotal:
            return stored, step
        if after.status is not stored.status:
            _publish_status_change(key, after, stored.status)
        po_repository.materialize(key.org_id, stored, after, events)
        _count_expiries(stored.po, after)
        return stored, step

    done = retry_on_conflict(
        attempt,
        attempts=MAX_ATTEMPTS,
        conflicts=(VersionConflict,),  # the API (or the state machine) wrote meanwhile: read again
        gave_up=lambda: VersionConflict(f"PO {key.po_id} kept changing"),
    )
    if done is None:
        return
    stored, step = done
    after = step.po
    if step.start is not None:
        _start_round(key, step.start)
    _stop_superseded(key, stored.po, after)
    _write_lots(key, after, touched_lines)
    if after.status is stored.status:
        _publish_lines_closed(key, after, touched_lines)


def _count_expiries(before: PurchaseOrder, after: PurchaseOrder) -> None:
    """An expired round ends its execution SUCCEEDED (the state machine catches the timeout): this
    metric, counted once when the expiry is applied, is what the ApprovalRoundsExpired alarm sees."""
    for item in after.approval_rounds:
        old = before.round(item.round)
        if item.status is RoundStatus.EXPIRED and item.applied and old is not None and not old.applied:
            metrics.add_metric(name="ApprovalRoundsExpired", unit=MetricUnit.Count, value=1)


def _policy_if_needed(key: PoKey, po: PurchaseOrder, policies: dict[str, Rules]) -> Rules:
    """Read the org's policy and rates only for a submission that needs routing, once per org per
    batch."""
    current = po.round(po.current_round)
    waiting = current is None or current.status is not RoundStatus.RUNNING
    if waiting and any(line.status is Status.IN_REVIEW for line in po.lines):
        if key.org_id not in policies:
            org = key.org_id
            policies[org] = (settings_repository.get_policy(org), settings_repository.get_rates(org))
        return policies[key.org_id]
    return None, None


def _relay_decisions(key: PoKey, stored: po_repository.StoredPo, live: PurchaseOrder) -> None:
    """Tell the state machine each decision once (a redelivery finds it relayed)."""
    for request in live.approvals:
        if request.status not in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED):
            continue
        item = stored.requests.get(request.id)
        if item is None or item.relayed_at or not item.task_token:
            continue
        if po_repository.mark_request(key.org_id, key.po_id, request.id, "relayed_at", utc_now()):
            try:
                workflows.relay_decision(item.task_token, approved=request.status is ApprovalStatus.APPROVED)
            except Exception:
                po_repository.unmark_request(key.org_id, key.po_id, request.id, "relayed_at")
                raise


def _notify_approvers(key: PoKey, stored: po_repository.StoredPo, live: PurchaseOrder) -> None:
    """One email per approver of each request still pending in the running round, published once
    (`publishedAt`); the mailer records on the request what SES accepted and what became of it."""
    for request in live.approvals:
        item = stored.requests.get(request.id)
        if request.status is not ApprovalStatus.PENDING or item is None or item.published_at:
            continue
        if not po_repository.mark_request(key.org_id, key.po_id, request.id, "published_at", utc_now()):
            continue
        try:
            for approver in request.approvers:
                link = _link(key, request, approver)
                notifications.publish_email(
                    approval_emails.message(key.org_id, live, request, approver, link)
                )
        except Exception:
            po_repository.unmark_request(key.org_id, key.po_id, request.id, "published_at")
            raise


def _handle_unreachable(key: PoKey, stored: po_repository.StoredPo, live: PurchaseOrder) -> None:
    """A pending request every approver of which bounced: escalate its level (the state machine
    catches `Undeliverable` as it does a timeout) or tell the requester; once (`undeliverableAt`)."""
    for request in live.approvals:
        item = stored.requests.get(request.id)
        if request.status is not ApprovalStatus.PENDING or item is None or item.undeliverable_at:
            continue
        if not deliveries.unreachable(request) or not item.task_token:
            continue
        if not po_repository.mark_request(key.org_id, key.po_id, request.id, "undeliverable_at", utc_now()):
            continue
        try:
            if deliveries.can_escalate(live, request):
                workflows.escalate_undeliverable(item.task_token)
            else:
                notifications.publish_email(deliveries.requester_notice(key.org_id, live, request))
        except Exception:
            po_repository.unmark_request(key.org_id, key.po_id, request.id, "undeliverable_at")
            raise


def _link(key: PoKey, request: ApprovalRequest, approver: str) -> str:
    claims = approval_links.LinkClaims(
        org_id=key.org_id,
        po_id=key.po_id,
        request_id=request.id,
        approver=approver,
        expires_at=approval_emails.link_expiry(request),
    )
    base = config.get(config.Links).api_base_url
    return f"{base}/approvals/{approval_links.sign(claims, secrets.link_secret())}"


def _start_round(key: PoKey, started: ApprovalRound) -> None:
    pk = f"ORG#{key.org_id}#PO#{key.po_id}"
    workflows.start_round(f"{key.po_id}-r{started.round}", approvals.execution_input(pk, started))
    po_repository.mark_round_started(key.org_id, key.po_id, started.round)


def _stop_superseded(key: PoKey, before: PurchaseOrder, after: PurchaseOrder) -> None:
    """A round superseded since the last look: stop its execution (moto ignores it; AWS does not)."""
    old = {item.round: item for item in before.approval_rounds}
    for item in after.approval_rounds:
        if (
            item.status is RoundStatus.SUPERSEDED
            and item.applied
            and not old[item.round].applied
            and item.started
        ):
            workflows.stop_round(f"{key.po_id}-r{item.round}")


def _publish_status_change(key: PoKey, po: PurchaseOrder, old: Status) -> None:
    """Sent before the write: if the write then fails, the retry sends it again (at least once);
    once the write is in, a redelivered record finds nothing to change and sends nothing."""
    notifications.publish_po_event(
        org_id=key.org_id,
        po_id=key.po_id,
        event_type="po.status-changed",
        status=po.status.value,
        message={
            "eventId": f"{key.po_id}:v{po.version}:{po.status.value}",
            "number": po.number,
            "from": old.value,
            "to": po.status.value,
            "subtotal": str(po.totals.subtotal),
            "currency": po.currency,
            "at": po.updated_at,
        },
    )


def _publish_lines_closed(key: PoKey, po: PurchaseOrder, touched_lines: set[str]) -> None:
    """Lines canceled or closed short on a PO its supplier has, its status unchanged (no status
    event): the supplier's PDF function compares what the supplier was sent with the PO and sends
    one change notice. A redelivered record publishes again; that function then sends nothing."""
    if po.status not in (Status.ORDERED, Status.RECEIVED, Status.CANCELED):
        return
    closed = [
        line.id
        for line in po.lines
        if line.id in touched_lines and (line.status is Status.CANCELED or line.canceled_quantity)
    ]
    if closed:
        notifications.publish_po_event(
            org_id=key.org_id,
            po_id=key.po_id,
            event_type="po.lines-closed",
            status=po.status.value,
            message={
                "eventId": f"{key.po_id}:v{po.version}:lines-closed",
                "number": po.number,
                "lines": closed,
            },
        )


def _write_lots(key: PoKey, po: PurchaseOrder, touched_lines: set[str]) -> None:
    """The lot of each touched line of a part that creates inventory, stamped with the PO's own
    update time so that a replay writes the very same item. Lines in review or approved have
    never been ordered since their last revision: they hold no lot to write or remove."""
    lots = [
        (str(line.part_id), po.id, line.id, inventory.lot_for(po, line, po.updated_at))
        for line in po.lines
        if line.id in touched_lines
        and inventory.creates_inventory(line)
        and line.status not in (Status.IN_REVIEW, Status.APPROVED)
    ]
    if lots:
        parts_repository.write_lots(key.org_id, lots)
