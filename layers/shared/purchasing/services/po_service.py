"""Use cases for purchase orders: load, apply a pure change, write it back with its history under
optimistic locking.

Without `If-Match` a write that loses a race is retried on the fresh PO (nothing is lost);
with `If-Match` the caller asked for that exact version, so a mismatch is a 412.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from purchasing.data import po_repository, settings_repository
from purchasing.data.idempotency import once
from purchasing.data.transactions import VersionConflict
from purchasing.domain import approvals, history, lifecycle, purchase_orders
from purchasing.domain.approval_route import ApprovalPolicy
from purchasing.domain.caller import Principal
from purchasing.domain.errors import (
    ConcurrentUpdate,
    DuplicatePoNumber,
    NotFound,
    VersionMismatch,
)
from purchasing.domain.inputs.po import CreateLineRequest, CreatePoRequest, UpdateLineRequest, UpdatePoRequest
from purchasing.domain.model import (
    HistoryEvent,
    Line,
    PoSummary,
    PurchaseOrder,
    Status,
    utc_now,
)
from purchasing.services import parts_service
from purchasing.services.retry import retry_on_conflict

MAX_ATTEMPTS = 5

Change = Callable[[PurchaseOrder, str], PurchaseOrder]
Describe = Callable[[PurchaseOrder, PurchaseOrder], Sequence[HistoryEvent]]


# --- reads -------------------------------------------------------------------------------------


def get(principal: Principal, po_id: str) -> PurchaseOrder:
    po = po_repository.get(principal.org_id, po_id)
    if po is None:
        raise NotFound(f"PO {po_id} not found")
    return po


def list_summaries(
    principal: Principal, *, status: Status | None, supplier: str | None, limit: int, cursor: str | None
) -> tuple[list[PoSummary], str | None]:
    return po_repository.list_summaries(
        principal.org_id, status=status, supplier=supplier, limit=limit, cursor=cursor
    )


def history_of(principal: Principal, po_id: str) -> list[HistoryEvent]:
    get(principal, po_id)  # another org's PO is a 404, not an empty history
    return po_repository.history(principal.org_id, po_id)


# --- create and edit ---------------------------------------------------------------------------


def create(principal: Principal, request: CreatePoRequest, idempotency_key: str | None) -> PurchaseOrder:
    if idempotency_key is None:
        return _create(principal, request)
    data = {
        "org": principal.org_id,
        "key": idempotency_key,
        "user": principal.email,
        "body": request.model_dump(mode="json", by_alias=True),
    }
    return get(principal, _create_once(data=data)["poId"])


def _create(principal: Principal, request: CreatePoRequest) -> PurchaseOrder:
    refs = [(f"lines[{index}].partId", line.part_id) for index, line in enumerate(request.lines)]
    types = parts_service.purchase_types(principal.org_id, refs)
    lines = [
        line.model_dump() | {"purchase_type": kind} for line, kind in zip(request.lines, types, strict=True)
    ]

    def attempt() -> PurchaseOrder:
        number = request.number or po_repository.next_po_number(principal.org_id)
        po = purchase_orders.new_purchase_order(
            po_id=po_repository.new_po_id(),
            number=number,
            supplier=request.supplier,
            currency=request.currency,
            lines=lines,
            custom_attributes=request.custom_attributes,
            created_by=principal.email,
            now=utc_now(),
        )
        po_repository.create(principal.org_id, po, [history.created(po, principal.actor)])
        return po

    return retry_on_conflict(
        attempt,
        attempts=MAX_ATTEMPTS,
        # The client chose the number: a 409. An allocated one collided with a manual one: the next.
        conflicts=() if request.number else (DuplicatePoNumber,),
        gave_up=lambda: ConcurrentUpdate("could not allocate a free PO number; retry"),
    )


@once
def _create_once(*, data: dict[str, Any]) -> dict[str, Any]:
    principal = Principal(org_id=data["org"], user_id="", email=data["user"], roles=frozenset())
    po = _create(principal, CreatePoRequest.model_validate(data["body"]))
    return {"poId": po.id}  # the record stays small whatever the PO's size; a replay reads the PO


def update_header(
    principal: Principal, po_id: str, request: UpdatePoRequest, if_match: int | None
) -> PurchaseOrder:
    return _write(
        principal,
        po_id,
        if_match,
        lambda po, now: purchase_orders.change_header(po, request.changes(), now),
        lambda before, after: [history.updated(before, after, principal.actor)],
    )


def add_line(
    principal: Principal, po_id: str, request: CreateLineRequest, if_match: int | None
) -> tuple[PurchaseOrder, Line]:
    (kind,) = parts_service.purchase_types(principal.org_id, [("partId", request.part_id)])
    fields = request.model_dump() | {"purchase_type": kind}
    after = _write(
        principal,
        po_id,
        if_match,
        lambda po, now: purchase_orders.add_line(po, fields, now),
        lambda _, after: [history.line_added(after, after.lines[-1], principal.actor)],
    )
    return after, after.lines[-1]


def update_line(
    principal: Principal, po_id: str, line_id: str, request: UpdateLineRequest, if_match: int | None
) -> tuple[PurchaseOrder, Line]:
    changes = request.changes()
    if "part_id" in changes:
        refs = [("partId", changes["part_id"])]
        (changes["purchase_type"],) = parts_service.purchase_types(principal.org_id, refs)
    after = _write(
        principal,
        po_id,
        if_match,
        lambda po, now: purchase_orders.change_line(po, line_id, changes, now),
        lambda before, after: [
            history.line_updated(
                purchase_orders.find_line(before, line_id),
                after,
                purchase_orders.find_line(after, line_id),
                principal.actor,
            )
        ],
    )
    return after, purchase_orders.find_line(after, line_id)


# --- the workflow ------------------------------------------------------------------------------


def submit(principal: Principal, po_id: str, if_match: int | None) -> PurchaseOrder:
    """Request approval for the DRAFT lines; a round already running for others is superseded.
    Refused (409) when a level of the route would have no one allowed to approve."""
    policy = settings_repository.get_policy(principal.org_id) or ApprovalPolicy()
    rates = settings_repository.get_rates(principal.org_id)

    def change(po: PurchaseOrder, now: str) -> PurchaseOrder:
        submitted = approvals.supersede(lifecycle.submit(po, now), now)
        submitted = submitted.model_copy(update={"submitted_by": principal.email})
        approvals.check_routable(submitted, policy, rates)
        return submitted

    return _move(principal, po_id, if_match, change, "submitted", "submitted for approval")


def revise(principal: Principal, po_id: str, if_match: int | None) -> PurchaseOrder:
    change = _superseding(lifecycle.revise)
    return _move(principal, po_id, if_match, change, "revised", "brought back to draft for changes")


def place_order(principal: Principal, po_id: str, if_match: int | None) -> PurchaseOrder:
    return _move(principal, po_id, if_match, lifecycle.place_order, "ordered", "ordered from the supplier")


def cancel(principal: Principal, po_id: str, if_match: int | None) -> PurchaseOrder:
    return _cancel(principal, po_id, if_match, _superseding(lifecycle.cancel_po), "canceled")


def cancel_line(principal: Principal, po_id: str, line_id: str, if_match: int | None) -> PurchaseOrder:
    change = _superseding(lambda po, now: lifecycle.cancel_line(po, line_id, now))
    return _cancel(principal, po_id, if_match, change, "line-canceled")


def _cancel(
    principal: Principal, po_id: str, if_match: int | None, change: Change, kind: str
) -> PurchaseOrder:
    return _write(
        principal,
        po_id,
        if_match,
        change,
        lambda before, after: [history.canceled(kind, before, after, principal.actor)],
    )


def _superseding(change: Change) -> Change:
    """A change made while a round runs takes the ground from under it: the round is superseded."""
    return lambda po, now: approvals.supersede(change(po, now), now)


def receive(
    principal: Principal, po_id: str, line_id: str, quantity: Decimal, if_match: int | None
) -> PurchaseOrder:
    return _write(
        principal,
        po_id,
        if_match,
        lambda po, now: lifecycle.receive(po, line_id, quantity, now),
        lambda _, after: [
            history.received(after, purchase_orders.find_line(after, line_id), str(quantity), principal.actor)
        ],
    )


def _move(
    principal: Principal, po_id: str, if_match: int | None, change: Change, kind: str, verb: str
) -> PurchaseOrder:
    return _write(
        principal,
        po_id,
        if_match,
        change,
        lambda before, after: [history.lines_moved(kind, verb, before, after, principal.actor)],
    )


# --- shared machinery --------------------------------------------------------------------------


def _write(
    principal: Principal, po_id: str, if_match: int | None, change: Change, describe: Describe
) -> PurchaseOrder:
    def attempt() -> PurchaseOrder:
        before = get(principal, po_id)
        if if_match is not None and if_match != before.version:
            raise VersionMismatch(
                f"PO {po_id} is at version {before.version}, not {if_match}", field="If-Match"
            )
        after = change(before, utc_now())
        if after is before:
            return after
        try:
            po_repository.save(principal.org_id, before, after, describe(before, after))
        except VersionConflict:
            if if_match is not None:
                raise VersionMismatch(
                    f"PO {po_id} changed while this request ran", field="If-Match"
                ) from None
            raise
        return after

    return retry_on_conflict(
        attempt,
        attempts=MAX_ATTEMPTS,
        conflicts=(VersionConflict,),
        gave_up=lambda: ConcurrentUpdate(f"PO {po_id} kept changing; retry"),
    )
