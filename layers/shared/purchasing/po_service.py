"""Use cases for purchase orders: load, apply a pure change, write back under optimistic locking.

Without `If-Match` a write that loses a race is retried on the fresh PO (nothing is lost);
with `If-Match` the caller asked for that exact version, so a mismatch is a 412.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from purchasing.api.auth import Principal
from purchasing.api.schemas import CreateLineRequest, CreatePoRequest, UpdateLineRequest, UpdatePoRequest
from purchasing.data import po_repository as repository
from purchasing.data.idempotency import once
from purchasing.domain import purchase_orders
from purchasing.domain.errors import ConcurrentUpdate, DuplicatePoNumber, NotFound, VersionMismatch
from purchasing.domain.model import Line, PoSummary, PurchaseOrder, Status, utc_now

MAX_ATTEMPTS = 5


def get(principal: Principal, po_id: str) -> PurchaseOrder:
    po = repository.get(principal.org_id, po_id)
    if po is None:
        raise NotFound(f"PO {po_id} not found")
    return po


def list_summaries(
    principal: Principal, *, status: Status | None, supplier: str | None, limit: int, cursor: str | None
) -> tuple[list[PoSummary], str | None]:
    return repository.list_summaries(
        principal.org_id, status=status, supplier=supplier, limit=limit, cursor=cursor
    )


def create(principal: Principal, request: CreatePoRequest, idempotency_key: str | None) -> PurchaseOrder:
    if idempotency_key is None:
        return _create(principal, request)
    data = {
        "org": principal.org_id,
        "key": idempotency_key,
        "user": principal.email,
        "body": request.model_dump(mode="json", by_alias=True),
    }
    return PurchaseOrder.model_validate(_create_once(data=data))


def _create(principal: Principal, request: CreatePoRequest) -> PurchaseOrder:
    for _ in range(MAX_ATTEMPTS):
        number = request.number or repository.next_po_number(principal.org_id)
        po = purchase_orders.new_purchase_order(
            po_id=repository.new_po_id(),
            number=number,
            supplier=request.supplier,
            currency=request.currency,
            lines=[line.model_dump() for line in request.lines],
            custom_attributes=request.custom_attributes,
            created_by=principal.email,
            now=utc_now(),
        )
        try:
            repository.create(principal.org_id, po)
            return po
        except DuplicatePoNumber:
            if request.number:
                raise  # the client chose it: a 409. An allocated one collided with a manual one: next.
    raise ConcurrentUpdate("could not allocate a free PO number; retry")


@once
def _create_once(*, data: dict[str, Any]) -> dict[str, Any]:
    principal = Principal(org_id=data["org"], user_id="", email=data["user"], roles=frozenset())
    po = _create(principal, CreatePoRequest.model_validate(data["body"]))
    return po.model_dump(mode="json", by_alias=True)


def update_header(
    principal: Principal, po_id: str, request: UpdatePoRequest, if_match: int | None
) -> PurchaseOrder:
    return _write(
        principal, po_id, if_match, lambda po, now: purchase_orders.change_header(po, request.changes(), now)
    )


def add_line(
    principal: Principal, po_id: str, request: CreateLineRequest, if_match: int | None
) -> tuple[PurchaseOrder, Line]:
    after = _write(
        principal, po_id, if_match, lambda po, now: purchase_orders.add_line(po, request.model_dump(), now)
    )
    return after, after.lines[-1]


def update_line(
    principal: Principal, po_id: str, line_id: str, request: UpdateLineRequest, if_match: int | None
) -> tuple[PurchaseOrder, Line]:
    after = _write(
        principal,
        po_id,
        if_match,
        lambda po, now: purchase_orders.change_line(po, line_id, request.changes(), now),
    )
    return after, purchase_orders.find_line(after, line_id)


def _write(
    principal: Principal,
    po_id: str,
    if_match: int | None,
    change: Callable[[PurchaseOrder, str], PurchaseOrder],
) -> PurchaseOrder:
    for _ in range(MAX_ATTEMPTS):
        before = get(principal, po_id)
        if if_match is not None and if_match != before.version:
            raise VersionMismatch(
                f"PO {po_id} is at version {before.version}, not {if_match}", field="If-Match"
            )
        after = change(before, utc_now())
        if after is before:
            return after
        try:
            repository.save(principal.org_id, before, after)
            return after
        except repository.VersionConflict:
            if if_match is not None:
                raise VersionMismatch(
                    f"PO {po_id} changed while this request ran", field="If-Match"
                ) from None
    raise ConcurrentUpdate(f"PO {po_id} kept changing; retry")
