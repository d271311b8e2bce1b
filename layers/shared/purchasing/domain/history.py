"""What goes into a PO's history: one event per change, saying who did what, in words and data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_camel

from purchasing.domain.model import HistoryEvent, Line, PurchaseOrder, Status

SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """A signed-in user: the email people read, and the Cognito `sub`, which never changes."""

    email: str
    sub: str


Who = Actor | str  # a user, or a name: SYSTEM, an approver who decided through an email link


def name_of(actor: Who) -> str:
    return actor.email if isinstance(actor, Actor) else actor


def event(
    event_type: str,
    actor: Who,
    summary: str,
    at: str,
    data: dict[str, Any] | None = None,
    *,
    id_: str | None = None,
) -> HistoryEvent:
    return HistoryEvent(
        id=id_ or uuid.uuid4().hex,
        at=at,
        type=event_type,
        actor=name_of(actor),
        actor_id=actor.sub if isinstance(actor, Actor) else None,
        summary=summary,
        data=data or {},
    )


def created(po: PurchaseOrder, actor: Who) -> HistoryEvent:
    lines = len(po.lines)
    summary = f"PO {po.number} created with {lines} line{'s' * (lines != 1)}"
    data = {"number": po.number, "lines": lines, "subtotal": str(po.totals.subtotal)}
    return event("created", actor, summary, po.created_at, data)


def updated(before: PurchaseOrder, after: PurchaseOrder, actor: Who) -> HistoryEvent:
    changes = _diff(before, after, ("number", "supplier", "currency", "custom_attributes"))
    return event(
        "updated", actor, f"PO updated: {_describe(changes)}", after.updated_at, {"changes": changes}
    )


def line_added(after: PurchaseOrder, line: Line, actor: Who) -> HistoryEvent:
    summary = f"Line {line.id} added: {line.description} x {line.quantity} at {line.unit_cost}"
    return event("line-added", actor, summary, after.updated_at, {"lineId": line.id})


def line_updated(before: Line, after_po: PurchaseOrder, after: Line, actor: Who) -> HistoryEvent:
    changes = _diff(before, after, tuple(Line.model_fields))
    summary = f"Line {after.id} updated: {_describe(changes)}"
    return event(
        "line-updated", actor, summary, after_po.updated_at, {"lineId": after.id, "changes": changes}
    )


def lines_moved(
    event_type: str, verb: str, before: PurchaseOrder, after: PurchaseOrder, actor: Who
) -> HistoryEvent:
    """Submitted, approved, rejected, ordered, revised, canceled: which lines moved, to what."""
    old = {line.id: line.status for line in before.lines}
    moved = {line.id: line.status.value for line in after.lines if old.get(line.id) is not line.status}
    count = len(moved)
    summary = f"{count} line{'s' * (count != 1)} {verb}"
    return event(event_type, actor, summary, after.updated_at, {"lines": moved})


def canceled(event_type: str, before: PurchaseOrder, after: PurchaseOrder, actor: Who) -> HistoryEvent:
    """Which lines were canceled, and which were closed short at what was received, by whom."""
    moved = lines_moved(event_type, "canceled", before, after, actor)
    old = {line.id: line for line in before.lines}
    short = [line for line in after.lines if line.canceled_quantity != old[line.id].canceled_quantity]
    if not short:
        return moved
    gone = sum(
        1 for line in after.lines if line.status is Status.CANCELED and old[line.id].status is not line.status
    )
    parts = [f"{gone} line{'s' * (gone != 1)} canceled"] if gone else []
    parts += [
        f"line {line.id} closed short at {line.received_quantity} of {line.quantity}"
        f" ({line.canceled_quantity} canceled)"
        for line in short
    ]
    data = moved.data | {
        "closedShort": {
            line.id: {"received": str(line.received_quantity), "canceled": str(line.canceled_quantity)}
            for line in short
        }
    }
    return moved.model_copy(update={"summary": f"{'; '.join(parts)} by {name_of(actor)}", "data": data})


def received(after: PurchaseOrder, line: Line, quantity: str, actor: Who) -> HistoryEvent:
    summary = f"Line {line.id}: received {quantity} ({line.received_quantity} of {line.quantity})"
    return event("received", actor, summary, after.updated_at, {"lineId": line.id, "quantity": quantity})


def status_changed(po: PurchaseOrder, old: Status, new: Status) -> HistoryEvent:
    """Written by the stream consumer; its id is fixed by the change, so a redelivery adds nothing."""
    data = {"from": old.value, "to": new.value}
    return event(
        "status-changed",
        SYSTEM,
        f"Status {old} -> {new}",
        po.updated_at,
        data,
        id_=f"status-v{po.version}-{new.value}",
    )


def _diff(before: Any, after: Any, fields: tuple[str, ...]) -> dict[str, list[Any]]:
    changes = {}
    for name in fields:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes[to_camel(name)] = [_plain(old), _plain(new)]
    return changes


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, (str, int, bool, float)) or value is None:
        return value
    if isinstance(value, (list, dict)):
        return value
    return str(value)


def _describe(changes: dict[str, list[Any]]) -> str:
    return ", ".join(f"{name} {old} -> {new}" for name, (old, new) in changes.items()) or "no change"
