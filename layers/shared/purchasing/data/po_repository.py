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

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from purchasing.config import settings
from purchasing.data import documents_repository
from purchasing.data.mapping import to_item, to_model
from purchasing.data.tables import (
    HEADER_SK,
    ApprovalItem,
    CounterItem,
    DocumentItem,
    HistoryEventItem,
    PoHeaderItem,
    PoLineItem,
    PoNumberItem,
    PoPartitionItem,
    RoundItem,
    history_pk,
    line_sk,
    org_pos_key,
    po_pk,
    status_key,
    supplier_key,
)
from purchasing.domain import deliveries
from purchasing.domain.errors import DuplicatePoNumber, InvalidCursor
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

TRANSACTION_LIMIT = 100
CONSUMER = "status"  # writtenBy on the stream consumer's own line writes (its filter drops them)


class VersionConflict(Exception):
    """The header changed since it was read."""


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
    return next_number(org_id, "PO")


def next_number(org_id: str, prefix: str) -> str:
    """The org's next number of a kind (PO-000001, SO-000001...), from its counter item."""
    counter = CounterItem(pk=f"ORG#{org_id}", sk=f"COUNTER#{prefix}")
    counter.update(actions=[CounterItem.value.add(1)])
    return f"{prefix}-{int(counter.value):06d}"


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
    for item in PoPartitionItem.query(po_pk(org_id, po_id), scan_index_forward=False):
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
    lines = [_put(_line_item(org_id, po.id, line)) for line in po.lines]
    final = [
        _put(_header_item(org_id, po), PoHeaderItem.pk.does_not_exist()),
        _put(
            PoNumberItem(pk=PoNumberItem.key(org_id, po.number), po_id=po.id),
            PoNumberItem.pk.does_not_exist(),
        ),
        *(_put(_event_item(org_id, po.id, event)) for event in events),
    ]
    write_lines_then_head(lines, final, lambda chunk: _transact(chunk, number=po.number))


def write_lines_then_head(
    lines: list[Op], head: list[Op], run: Callable[[list[Op]], None] | None = None
) -> None:
    """Lines first, in transactions of at most 100 items, `head` (the header and what goes with it)
    in the last one. Until the header exists its partition does not: a failure part way removes
    the lines already written before the error is raised. `run` writes one transaction (`write`
    unless told)."""
    run = run or write
    head_count = max(0, len(lines) + len(head) - TRANSACTION_LIMIT)
    chunks = _chunks(lines[:head_count], TRANSACTION_LIMIT) + [lines[head_count:] + head]
    written: list[Model] = []
    try:
        for chunk in chunks:
            run(chunk)
            written.extend(op.item for op in chunk)
    except Exception:
        _delete_quietly(written)
        raise


def save(
    org_id: str, before: PurchaseOrder, after: PurchaseOrder, events: Sequence[HistoryEvent] = ()
) -> None:
    """Write the header fields the API owns and every changed line, if still at `before.version`."""
    first = [_header_update(org_id, after, before.version, _api_header_actions(org_id, after))]
    if after.number.upper() != before.number.upper():
        first.append(
            _put(
                PoNumberItem(pk=PoNumberItem.key(org_id, after.number), po_id=after.id),
                PoNumberItem.pk.does_not_exist(),
            )
        )
        first.append(Op("delete", PoNumberItem(pk=PoNumberItem.key(org_id, before.number))))
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
            [Op("update", item, pending, actions), _put(_event_item(org_id, po.id, event))], number=po.number
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
    items, next_cursor = query_page(
        index, hash_key, hash_attr, limit=limit, cursor=cursor, condition=condition
    )
    return [_to_summary(item) for item in items], next_cursor


def query_page(
    index: GlobalSecondaryIndex[Any],
    hash_key: str,
    hash_attr: str,
    *,
    limit: int,
    cursor: str | None,
    condition: Condition | None = None,
) -> tuple[list[Any], str | None]:
    """One page of an index's partition, newest first, and the opaque cursor of the next page."""
    result = index.query(
        hash_key,
        filter_condition=condition,
        scan_index_forward=False,
        limit=limit,
        page_size=limit,
        last_evaluated_key=_decode_cursor(cursor, hash_attr, hash_key),
    )
    items = list(result)
    return items, _encode_cursor(result.last_evaluated_key)


# --- transactions ------------------------------------------------------------------------------


@dataclass
class Op:
    """One item operation of a transaction."""

    kind: Literal["put", "update", "delete", "check"]
    item: Model
    condition: Condition | None = None
    actions: list[Action] = field(default_factory=list)


def _put(item: Model, condition: Condition | None = None) -> Op:
    return Op("put", item, condition)


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
        _put(
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
            ops.append(_put(_round_item(pk, new), RoundItem.pk.does_not_exist()))
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
    return ops + [_put(_event_item(org_id, after.id, event)) for event in events]


def _commit(org_id: str, after: PurchaseOrder, first: list[Op], rest: list[Op]) -> None:
    """`first` (with the header) goes in one transaction; the rest follow in chunks of 100, each
    guarded by a check that the header still has the version the first one wrote."""
    room = TRANSACTION_LIMIT - len(first)
    _transact(first + rest[:room], number=after.number)
    guard = Op(
        "check", PoHeaderItem(pk=po_pk(org_id, after.id), sk=HEADER_SK), PoHeaderItem.version == after.version
    )
    for chunk in _chunks(rest[room:], TRANSACTION_LIMIT - 1):
        _transact([guard, *chunk], number=after.number)


@cache
def connection() -> Connection:
    """One connection (one botocore client) per process: building one costs tens of ms."""
    return Connection(region=settings().region)


def write(ops: Sequence[Op]) -> None:
    """The ops as one TransactWriteItems (TransactWriteError when it is canceled).

    A call whose answer was lost (a timeout, a 500) may have committed. botocore retries it with the
    same ClientRequestToken (an idempotency token it fills in), which DynamoDB answers with success
    without writing again: the retry's conditions never fail on what the first call wrote, so the
    caller never takes its own write for a concurrent change and applies it twice. Only a canceled
    transaction (which wrote nothing) is retried on fresh data, by the callers."""
    with TransactWrite(connection=connection()) as transaction:
        for op in ops:
            if op.kind == "put":
                transaction.save(op.item, condition=op.condition)
            elif op.kind == "update":
                transaction.update(op.item, actions=op.actions, condition=op.condition)
            elif op.kind == "delete":
                transaction.delete(op.item, condition=op.condition)
            else:
                transaction.condition_check(type(op.item), op.item.pk, op.item.sk, condition=op.condition)  # type: ignore[attr-defined]


def _transact(ops: Sequence[Op], *, number: str) -> None:
    try:
        write(ops)
    except TransactWriteError as error:
        failed = failed_items(ops, error)
        reasons = {reason.code for reason in error.cancellation_reasons or [] if reason}
        if "TransactionConflict" in reasons:
            raise VersionConflict from error  # another transaction on one of the items: retry
        if any(isinstance(item, PoNumberItem) for item in failed):
            raise DuplicatePoNumber(
                f"PO number {number} is already used in this organization", field="number"
            ) from error
        if failed:  # the header, a round or a request changed since it was read
            raise VersionConflict from error
        raise


def failed_items(ops: Sequence[Op], error: TransactWriteError) -> list[Model]:
    """pynamodb sends checks, deletes, puts, then updates; the reasons come back in that order."""
    order = {"check": 0, "delete": 1, "put": 2, "update": 3}
    sent = [op.item for op in sorted(ops, key=lambda op: order[op.kind])]
    reasons = [reason.code if reason else None for reason in (error.cancellation_reasons or [])]
    return [item for item, code in zip(sent, reasons, strict=False) if code == "ConditionalCheckFailed"]


def _delete_quietly(items: Sequence[Model]) -> None:
    """Items of any type in the table, in batches."""
    if not items:
        return
    with PoPartitionItem.batch_write() as batch:
        for item in items:
            batch.delete(item)


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


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


# --- cursors -----------------------------------------------------------------------------------


def _encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None, hash_attr: str, hash_key: str) -> dict[str, Any] | None:
    """A cursor is only good for the query it came from: same index, same org, same filter."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidCursor("cursor is not one this API issued", field="cursor") from error
    range_attr = hash_attr.replace("PK", "SK")
    expected = {"PK", "SK", hash_attr, range_attr}
    if (
        not isinstance(key, dict)
        or set(key) != expected
        or not all(isinstance(value, dict) and set(value) == {"S"} for value in key.values())
        or not all(isinstance(value["S"], str) and value["S"] for value in key.values())
        or key[hash_attr]["S"] != hash_key
    ):
        raise InvalidCursor("cursor does not belong to this listing", field="cursor")
    return key


def _timestamp(value: str | None) -> str | None:
    """The state machine writes `requestedAt` as Step Functions renders its clock: one shape out."""
    return utc_timestamp(value) if value else value
