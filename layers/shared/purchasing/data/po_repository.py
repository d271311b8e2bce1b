"""Purchase orders in the table: the only module that reads and writes them.

- Reading a PO with all its lines is one Query on its partition.
- Listing is a Query on a GSI, newest first, with an opaque cursor.
- Every write is a transaction whose header update is conditional on the version read, so a
  concurrent writer is never overwritten silently. A change of more than 100 items goes in
  chunks: the first carries the header, each later one re-checks the version it wrote.
- The API never writes the header's status: the stream consumer materializes it from the lines
  (`materialize`), so neither can clobber the other.
- History events live in their own partition, written in the same transaction as the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import GlobalSecondaryIndex

from purchasing.data import counters, documents_repository, paging, transactions
from purchasing.data.mapping import to_item, to_model
from purchasing.data.tables import (
    HEADER_SK,
    ApprovalItem,
    DocumentItem,
    HistoryEventItem,
    NumberItem,
    OwnerPartitionItem,
    PoHeaderItem,
    PoLineItem,
    RoundItem,
    history_pk,
    line_sk,
    org_pos_key,
    po_pk,
    status_key,
    supplier_key,
)
from purchasing.data.transactions import (
    TRANSACTION_LIMIT,
    Op,
    VersionConflict,
    failed_items,
    in_chunks,
    put,
    write_lines_then_head,
)
from purchasing.domain import deliveries
from purchasing.domain.errors import DuplicatePoNumber
from purchasing.domain.model import (
    ApprovalRequest,
    ApprovalRound,
    ApprovalStatus,
    ApprovedBaseline,
    Document,
    HistoryEvent,
    Line,
    PoSummary,
    PurchaseOrder,
    Status,
    Supplier,
    Totals,
    line_id,
    utc_timestamp,
)
from purchasing.domain.purchase_orders import recompute

CONSUMER = "status"  # writtenBy on the stream consumer's own line writes (its filter drops them)


@dataclass(frozen=True)
class StoredPo:
    """A PO as read, plus what only the stream consumer needs: what its header holds now, and
    the approval requests as stored (task tokens, whether approvers were notified)."""

    po: PurchaseOrder
    status: Status
    subtotal: Decimal
    requests: dict[str, ApprovalItem] = field(default_factory=dict)


def new_po_id() -> str:
    return uuid.uuid4().hex


def next_po_number(org_id: str) -> str:
    return counters.next_number(org_id, "PO")


def get(org_id: str, po_id: str) -> PurchaseOrder | None:
    stored = get_stored(org_id, po_id)
    return None if stored is None else stored.po


def get_stored(org_id: str, po_id: str) -> StoredPo | None:
    """One Query on the PO's partition; status and totals are derived from the lines read."""
    header: PoHeaderItem | None = None
    lines: list[PoLineItem] = []
    requests: dict[str, ApprovalItem] = {}
    rounds: list[RoundItem] = []
    docs: list[Document] = []
    # Newest key first, so the header ("PO") is read before the lines ("LINE#..."): each item is
    # read committed, so lines read after the header are at least as new as its version, and a
    # write conditional on that version fails rather than build on lines older than it.
    for item in OwnerPartitionItem.query(po_pk(org_id, po_id), scan_index_forward=False):
        if isinstance(item, PoHeaderItem):
            header = item
        elif isinstance(item, PoLineItem):
            lines.append(item)
        elif isinstance(item, ApprovalItem):
            requests[item.sk] = item
        elif isinstance(item, RoundItem):
            rounds.append(item)
        elif isinstance(item, DocumentItem):
            docs.append(documents_repository.to_domain(item))
    if header is None:
        return None
    po = recompute(_to_domain(header, lines, list(requests.values()), rounds))
    po.documents = sorted(docs, key=lambda document: (document.created_at, document.id))
    return StoredPo(po=po, status=Status(header.status), subtotal=header.subtotal, requests=requests)


def create(org_id: str, po: PurchaseOrder, events: Sequence[HistoryEvent] = ()) -> None:
    """Lines first, in chunks; the header and the number reservation last, in one transaction.

    Until the header exists the PO does not: a failure part way leaves only unreachable lines,
    which are removed before the error is raised.
    """
    lines = [put(_line_item(org_id, po.id, line)) for line in po.lines]
    final = [
        put(_header_item(org_id, po), PoHeaderItem.pk.does_not_exist()),
        put(NumberItem.of("PO", org_id, po.number, po.id), NumberItem.pk.does_not_exist()),
        *(put(_event_item(org_id, po.id, event)) for event in events),
    ]
    write_lines_then_head(lines, final, lambda chunk: _transact(chunk, number=po.number))


def save(
    org_id: str, before: PurchaseOrder, after: PurchaseOrder, events: Sequence[HistoryEvent] = ()
) -> None:
    """Write the header fields the API owns and every changed line, if still at `before.version`."""
    first = [_header_update(org_id, after, before.version, _api_header_actions(org_id, after))]
    if after.number.upper() != before.number.upper():
        first.append(put(NumberItem.of("PO", org_id, after.number, after.id), NumberItem.pk.does_not_exist()))
        first.append(Op("delete", NumberItem.of("PO", org_id, before.number)))
    _commit(org_id, after, first, _changed_lines_and_events(org_id, before, after, events))


def materialize(
    org_id: str, stored: StoredPo, after: PurchaseOrder, events: Sequence[HistoryEvent] = ()
) -> None:
    """The stream consumer's write: the header's status and totals from the lines, plus any line
    moves it made (an approval), conditional on the version it read."""
    actions: list[Action] = [
        PoHeaderItem.status.set(after.status.value),
        PoHeaderItem.gsi1pk.set(status_key(org_id, after.status.value)),
        PoHeaderItem.current_round.set(after.current_round),
    ]
    if after.approved_subtotal is not None:
        actions.append(PoHeaderItem.approved_subtotal.set(after.approved_subtotal))
    if after.approved_baseline is not None and after.approved_baseline != stored.po.approved_baseline:
        baseline = after.approved_baseline
        actions.append(PoHeaderItem.approved_baseline.set(baseline.model_dump(mode="json", by_alias=True)))
        actions.append(PoHeaderItem.approved_round.set(baseline.round))
    if after.version != stored.po.version:
        actions += _api_header_actions(org_id, after)  # it moved lines: the version moves too
    else:
        actions.append(PoHeaderItem.subtotal.set(after.totals.subtotal))
    header = _header_update(org_id, after, stored.po.version, actions)
    changes = _changed_lines_and_events(org_id, stored.po, after, events, written_by=CONSUMER)
    _commit(org_id, after, [header], changes)


def decide(org_id: str, po: PurchaseOrder, decided: ApprovalRequest, event: HistoryEvent) -> None:
    """Record an approver's decision: PENDING to APPROVED or REJECTED, once."""
    item = ApprovalItem(pk=po_pk(org_id, po.id), sk=decided.id)
    actions: list[Action] = [
        ApprovalItem.status.set(decided.status.value),
        ApprovalItem.decided_by.set(decided.decided_by or ""),
        ApprovalItem.decided_at.set(decided.decided_at or ""),
        ApprovalItem.comment.set(decided.comment or ""),
    ]
    pending = ApprovalItem.status == ApprovalStatus.PENDING.value
    try:
        _transact(
            [Op("update", item, pending, actions), put(_event_item(org_id, po.id, event))], number=po.number
        )
    except TransactWriteError as error:
        raise AlreadyDecided(decided.id) from error


class AlreadyDecided(Exception):
    """The request was decided (or superseded) by someone else first."""


def mark_request(org_id: str, po_id: str, request_id: str, attribute: str, at: str) -> bool:
    """Set publishedAt, relayedAt or undeliverableAt once; False when it was already set (a redelivery)."""
    item = ApprovalItem(pk=po_pk(org_id, po_id), sk=request_id)
    field_ = getattr(ApprovalItem, attribute)
    try:
        item.update(actions=[field_.set(at)], condition=field_.does_not_exist())
        return True
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def mark_round_started(org_id: str, po_id: str, round_number: int) -> None:
    RoundItem(pk=po_pk(org_id, po_id), sk=_round_sk(round_number)).update(
        actions=[RoundItem.started.set(True)]
    )


def unmark_request(org_id: str, po_id: str, request_id: str, attribute: str) -> None:
    ApprovalItem(pk=po_pk(org_id, po_id), sk=request_id).update(
        actions=[getattr(ApprovalItem, attribute).remove()]
    )


def append_history(org_id: str, po_id: str, event: HistoryEvent) -> None:
    """One event written alone; an event whose id and time are fixed by what happened is written
    once however often it is replayed."""
    _event_item(org_id, po_id, event).save()


def history(org_id: str, po_id: str) -> list[HistoryEvent]:
    return [_event_to_domain(item) for item in HistoryEventItem.query(history_pk(org_id, po_id))]


def list_summaries(
    org_id: str, *, status: Status | None, supplier: str | None, limit: int, cursor: str | None
) -> tuple[list[PoSummary], str | None]:
    condition = None
    index: GlobalSecondaryIndex[Any]
    if supplier is not None:
        index, hash_key = PoHeaderItem.by_supplier, supplier_key(org_id, supplier)
        condition = PoHeaderItem.status == status.value if status else None
        hash_attr = "GSI2PK"
    elif status is not None:
        index, hash_key, hash_attr = PoHeaderItem.by_status, status_key(org_id, status.value), "GSI1PK"
    else:
        index, hash_key, hash_attr = PoHeaderItem.by_updated, org_pos_key(org_id), "GSI3PK"
    items, next_cursor = paging.query_page(
        index, hash_key, hash_attr, limit=limit, cursor=cursor, condition=condition
    )
    return [_to_summary(item) for item in items], next_cursor


# --- transactions ------------------------------------------------------------------------------


def _header_update(org_id: str, po: PurchaseOrder, expected_version: int, actions: list[Action]) -> Op:
    return Op(
        "update",
        PoHeaderItem(pk=po_pk(org_id, po.id), sk=HEADER_SK),
        PoHeaderItem.version == expected_version,
        actions,
    )


def _changed_lines_and_events(
    org_id: str,
    before: PurchaseOrder,
    after: PurchaseOrder,
    events: Sequence[HistoryEvent],
    written_by: str | None = None,
) -> list[Op]:
    """Changed lines (put), rounds and requests (updates of the fields this code owns, each
    conditional on the status read: the state machine writes them too), and the events."""
    pk = po_pk(org_id, after.id)
    old_lines = {line.id: line for line in before.lines}
    # A new line must not exist yet: a writer whose read missed a line committed meanwhile (Query
    # is read-committed per item, not a snapshot) must not overwrite it under a new number.
    ops = [
        put(
            _line_item(org_id, after.id, line, written_by),
            None if line.id in old_lines else PoLineItem.sk.does_not_exist(),
        )
        for line in after.lines
        if old_lines.get(line.id) != line
    ]
    old_rounds = {item.round: item for item in before.approval_rounds}
    for new in after.approval_rounds:
        old = old_rounds.get(new.round)
        if old is None:
            ops.append(put(_round_item(pk, new), RoundItem.pk.does_not_exist()))
        elif old != new:
            actions: list[Action] = [
                RoundItem.status.set(new.status.value),
                RoundItem.started.set(new.started),
                RoundItem.applied.set(new.applied),
            ]
            round_item = RoundItem(pk=pk, sk=_round_sk(new.round))
            ops.append(Op("update", round_item, RoundItem.status == old.status.value, actions))
    old_requests = {request.id: request for request in before.approvals}
    for request in after.approvals:
        previous = old_requests.get(request.id)
        if previous is not None and previous != request:
            request_item = ApprovalItem(pk=pk, sk=request.id)
            status: list[Action] = [ApprovalItem.status.set(request.status.value)]
            ops.append(Op("update", request_item, ApprovalItem.status == previous.status.value, status))
    return ops + [put(_event_item(org_id, after.id, event)) for event in events]


def _commit(org_id: str, after: PurchaseOrder, first: list[Op], rest: list[Op]) -> None:
    """`first` (with the header) goes in one transaction; the rest follow in chunks of 100, each
    guarded by a check that the header still has the version the first one wrote."""
    room = TRANSACTION_LIMIT - len(first)
    _transact(first + rest[:room], number=after.number)
    guard = Op(
        "check", PoHeaderItem(pk=po_pk(org_id, after.id), sk=HEADER_SK), PoHeaderItem.version == after.version
    )
    for chunk in in_chunks(rest[room:], TRANSACTION_LIMIT - 1):
        _transact([guard, *chunk], number=after.number)


def _transact(ops: Sequence[Op], *, number: str) -> None:
    try:
        transactions.write(ops)
    except TransactWriteError as error:
        failed = failed_items(ops, error)
        reasons = {reason.code for reason in error.cancellation_reasons or [] if reason}
        if "TransactionConflict" in reasons:
            raise VersionConflict from error  # another transaction on one of the items: retry
        if any(isinstance(item, NumberItem) for item in failed):
            raise DuplicatePoNumber(
                f"PO number {number} is already used in this organization", field="number"
            ) from error
        if failed:  # the header, a round or a request changed since it was read
            raise VersionConflict from error
        raise


# --- conversion between table items and domain models ------------------------------------------


def _header_item(org_id: str, po: PurchaseOrder) -> PoHeaderItem:
    sort_key = f"{po.updated_at}#{po.id}"
    return PoHeaderItem(
        pk=po_pk(org_id, po.id),
        sk=HEADER_SK,
        po_id=po.id,
        number=po.number,
        status=po.status.value,
        supplier_name=po.supplier.name,
        supplier_email=po.supplier.email,
        currency=po.currency,
        subtotal=po.totals.subtotal,
        line_count=len(po.lines),
        custom_attributes=po.custom_attributes,
        version=po.version,
        created_at=po.created_at,
        updated_at=po.updated_at,
        created_by=po.created_by,
        gsi1pk=status_key(org_id, po.status.value),
        gsi1sk=sort_key,
        gsi2pk=supplier_key(org_id, po.supplier.name),
        gsi2sk=sort_key,
        gsi3pk=org_pos_key(org_id),
        gsi3sk=sort_key,
    )


def _api_header_actions(org_id: str, po: PurchaseOrder) -> list[Action]:
    """Every header field but the status (and its index key), which the consumer owns."""
    sort_key = f"{po.updated_at}#{po.id}"
    return [
        PoHeaderItem.number.set(po.number),
        PoHeaderItem.supplier_name.set(po.supplier.name),
        PoHeaderItem.supplier_email.set(po.supplier.email),
        PoHeaderItem.currency.set(po.currency),
        PoHeaderItem.subtotal.set(po.totals.subtotal),
        PoHeaderItem.line_count.set(len(po.lines)),
        PoHeaderItem.custom_attributes.set(po.custom_attributes),
        PoHeaderItem.version.set(po.version),
        PoHeaderItem.updated_at.set(po.updated_at),
        PoHeaderItem.submitted_by.set(po.submitted_by)
        if po.submitted_by
        else PoHeaderItem.submitted_by.remove(),
        PoHeaderItem.gsi1sk.set(sort_key),
        PoHeaderItem.gsi2pk.set(supplier_key(org_id, po.supplier.name)),
        PoHeaderItem.gsi2sk.set(sort_key),
        PoHeaderItem.gsi3sk.set(sort_key),
    ]


def _line_item(org_id: str, po_id: str, line: Line, written_by: str | None = None) -> PoLineItem:
    return to_item(
        PoLineItem,
        line,
        pk=po_pk(org_id, po_id),
        sk=line_sk(line.line_no),
        canceled_quantity=line.canceled_quantity or None,  # none closed short: no attribute
        written_by=written_by,
    )


def _event_item(org_id: str, po_id: str, event: HistoryEvent) -> HistoryEventItem:
    return to_item(
        HistoryEventItem,
        event,
        pk=history_pk(org_id, po_id),
        sk=f"EVENT#{event.at}#{event.id}",
        event_id=event.id,
        event_type=event.type,
    )


def _round_sk(number: int) -> str:
    return f"ROUND#{number:03d}"


def _round_item(pk: str, item: ApprovalRound) -> RoundItem:
    return to_item(RoundItem, item, pk=pk, sk=_round_sk(item.round))


def _request_to_domain(item: ApprovalItem) -> ApprovalRequest:
    approvers = sorted(item.approvers or [])
    return to_model(
        ApprovalRequest,
        item,
        id=item.sk,
        approvers=approvers,
        requested_at=_timestamp(item.requested_at),
        comment=item.comment or None,
        deliveries=deliveries.of_request(approvers, item.published_at, _plain_map(item.deliveries)),
    )


def _plain_map(value: Any) -> dict[str, Any]:
    return dict(value.as_dict()) if value is not None else {}


def _round_to_domain(item: RoundItem) -> ApprovalRound:
    return to_model(
        ApprovalRound, item, route=item.route or {}, requested_at=utc_timestamp(item.requested_at)
    )


def _to_domain(
    header: PoHeaderItem,
    lines: Sequence[PoLineItem],
    requests: Sequence[ApprovalItem] = (),
    rounds: Sequence[RoundItem] = (),
) -> PurchaseOrder:
    return to_model(
        PurchaseOrder,
        header,
        id=header.po_id,
        supplier=_supplier(header),
        lines=[_line_to_domain(item) for item in sorted(lines, key=lambda item: item.line_no)],
        totals=Totals(subtotal=header.subtotal),
        approvals=[_request_to_domain(item) for item in sorted(requests, key=lambda item: item.sk)],
        approval_rounds=[_round_to_domain(item) for item in sorted(rounds, key=lambda item: int(item.round))],
        approved_baseline=ApprovedBaseline.model_validate(header.approved_baseline)
        if header.approved_baseline
        else None,
    )


def _line_to_domain(item: PoLineItem) -> Line:
    return to_model(Line, item, id=line_id(int(item.line_no)))


def _event_to_domain(item: HistoryEventItem) -> HistoryEvent:
    return to_model(HistoryEvent, item, id=item.event_id, type=item.event_type)


def _to_summary(item: PoHeaderItem) -> PoSummary:
    return to_model(
        PoSummary, item, id=item.po_id, supplier=_supplier(item), totals=Totals(subtotal=item.subtotal)
    )


def _supplier(item: PoHeaderItem) -> Supplier:
    return Supplier(name=item.supplier_name, email=item.supplier_email)


def _timestamp(value: str | None) -> str | None:
    """The state machine writes `requestedAt` as Step Functions renders its clock: one shape out."""
    return utc_timestamp(value) if value else value
