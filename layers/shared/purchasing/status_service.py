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

from purchasing.data import notifications, parts_repository, po_repository
from purchasing.domain import history, inventory, lifecycle
from purchasing.domain.model import PurchaseOrder, Status, utc_now
from purchasing.observability import logger

MAX_ATTEMPTS = 3


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
    for key, lines in touched.items():
        try:
            recompute(key, lines)
        except Exception:
            logger.exception("recompute failed", extra={"org_id": key.org_id, "po_id": key.po_id})
            failed.add(key)
    return failed


def recompute(key: PoKey, touched_lines: set[str]) -> None:
    after: PurchaseOrder | None = None
    for _ in range(MAX_ATTEMPTS):
        stored = po_repository.get_stored(key.org_id, key.po_id)
        if stored is None:
            return  # lines without a header: a create that failed part way, never visible
        after, events = _next_state(stored)
        if after is stored.po and after.status is stored.status and after.totals.subtotal == stored.subtotal:
            break
        if after.status is not stored.status:
            _publish_status_change(key, after, stored.status)
        try:
            po_repository.materialize(key.org_id, stored, after, events)
            break
        except po_repository.VersionConflict:
            continue  # the API wrote meanwhile: read again
    else:
        raise po_repository.VersionConflict(f"PO {key.po_id} kept changing")
    if after is not None:
        _write_lots(key, after, touched_lines)


def _next_state(stored: po_repository.StoredPo) -> tuple[PurchaseOrder, list[Any]]:
    """Lines in review are approved at once while the org has no approval policy (API.md)."""
    po, events = stored.po, []
    if any(line.status is Status.IN_REVIEW for line in po.lines):
        approved = lifecycle.approve(po, utc_now())
        events.append(
            history.lines_moved("approved", "approved (no approval policy)", po, approved, history.SYSTEM)
        )
        po = approved
    if po.status is not stored.status:
        events.append(history.status_changed(po, stored.status, po.status))
    return po, events


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


def _write_lots(key: PoKey, po: PurchaseOrder, touched_lines: set[str]) -> None:
    now = utc_now()
    lots = [
        (str(line.part_id), po.id, line.id, inventory.lot_for(po, line, now))
        for line in po.lines
        if line.id in touched_lines and inventory.creates_inventory(line)
    ]
    if lots:
        parts_repository.write_lots(key.org_id, lots)
