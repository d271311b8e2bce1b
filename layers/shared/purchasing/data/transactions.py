"""Transactions on the table, for every repository: one item operation (`Op`), one transaction
(`write`), which items' conditions failed (`failed_items`), and a partition written lines first,
head last (`write_lines_then_head`).

A transaction holds at most 100 items (`TRANSACTION_LIMIT`). One that DynamoDB cancels wrote
nothing: the repositories turn a lost race into `VersionConflict`, and the use cases read again
and retry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from purchasing import config
from purchasing.data.tables import OwnerPartitionItem

TRANSACTION_LIMIT = 100


class VersionConflict(Exception):
    """What was read changed before the write (its version or status moved), or another
    transaction raced this one on an item: nothing was written, read again and retry."""


@dataclass
class Op:
    """One item operation of a transaction."""

    kind: Literal["put", "update", "delete", "check"]
    item: Model
    condition: Condition | None = None
    actions: list[Action] = field(default_factory=list)


def put(item: Model, condition: Condition | None = None) -> Op:
    return Op("put", item, condition)


@cache
def connection() -> Connection:
    """One connection (one botocore client) per process: building one costs tens of ms."""
    return Connection(region=config.region())


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
    with OwnerPartitionItem.batch_write() as batch:
        for item in items:
            batch.delete(item)


def in_chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def write_lines_then_head(
    lines: list[Op], head: list[Op], run: Callable[[list[Op]], None] | None = None
) -> None:
    """Lines first, in transactions of at most 100 items, `head` (the header and what goes with it)
    in the last one. Until the header exists its partition does not: a failure part way removes
    the lines already written before the error is raised. `run` writes one transaction (`write`
    unless told)."""
    run = run or write
    head_count = max(0, len(lines) + len(head) - TRANSACTION_LIMIT)
    chunks = in_chunks(lines[:head_count], TRANSACTION_LIMIT) + [lines[head_count:] + head]
    written: list[Model] = []
    try:
        for chunk in chunks:
            run(chunk)
            written.extend(op.item for op in chunk)
    except Exception:
        _delete_quietly(written)
        raise
