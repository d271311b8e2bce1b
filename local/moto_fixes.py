"""Patches for the embedded moto (5.2.x) that keep the local cloud usable over a long session.

TransactWriteItems: moto backs up a table for rollback by deep-copying it once per item of the
transaction, not once per table, and the copy includes every stream record ever written. A
100-line PO on a table with a few hundred items took 25 s. Here the backup is made once per
table per transaction; what is copied, and the rollback, are unchanged.

TransactWriteItems rollback and streams: a canceled transaction puts the backup copy of each
table in place of the live one, and with it a copy of the table's stream shard. Shard iterators
handed out before still read the old shard, which no longer grows: a stream reader (the local
cloud's stream pump) would see nothing written after the first canceled transaction. Here the
restored table keeps the live shard object, holding the records it had before the transaction
(a canceled transaction writes nothing to the stream, as in DynamoDB).

GetShardIterator (DynamoDB Streams): moto keeps an AT_/AFTER_SEQUENCE_NUMBER iterator's sequence
number as the string it was sent, and fails on the first GetRecords; an unknown shard fails an
assertion. Here the number is an integer, and an unknown shard is DynamoDB's
ResourceNotFoundException (what `local.repair` meets for a failure record whose shard is gone).
"""

from __future__ import annotations

import copy
import threading
from functools import wraps
from types import ModuleType
from typing import Any

_applied = False


class _OneCopyPerTable:
    """Stands in for the `copy` module inside moto.dynamodb.models: inside a TransactWriteItems
    call a table is deep-copied once; everything else is the copy module itself."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type
        self._local = threading.local()

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        copies: dict[int, Any] | None = getattr(self._local, "copies", None)
        if copies is None or not isinstance(value, self._table_type):
            return copy.deepcopy(value, memo)
        if id(value) not in copies:
            copies[id(value)] = copy.deepcopy(value, memo)
        return copies[id(value)]

    def transaction(self, function: Any) -> Any:
        @wraps(function)
        def transact_write_items(backend: Any, *args: Any, **kwargs: Any) -> Any:
            self._local.copies = {}
            try:
                return function(backend, *args, **kwargs)
            finally:
                self._local.copies = None

        return transact_write_items

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _keeping_stream_shards(function: Any) -> Any:
    @wraps(function)
    def transact_write_items(backend: Any, *args: Any, **kwargs: Any) -> Any:
        live = dict(backend.tables)
        try:
            return function(backend, *args, **kwargs)
        finally:
            for name, table in live.items():
                restored = backend.tables.get(name)
                shard = getattr(table, "stream_shard", None)
                if restored is None or restored is table or shard is None:
                    continue
                copied = getattr(restored, "stream_shard", None)
                shard.items[:] = copied.items if copied is not None else []
                shard.table = restored
                restored.stream_shard = shard

    return transact_write_items


def _stream_iterators(function: Any) -> Any:
    from moto.core.exceptions import JsonRESTError

    @wraps(function)
    def get_shard_iterator(
        backend: Any, arn: str, shard_id: str, iterator_type: str, sequence_number: Any = None
    ) -> Any:
        shard = getattr(backend._get_table_from_arn(arn), "stream_shard", None)
        if shard is None or shard.id != shard_id:
            raise JsonRESTError(
                "ResourceNotFoundException", f"Requested resource not found: Shard: {shard_id}"
            )
        number = int(sequence_number) if sequence_number is not None else None
        return function(backend, arn, shard_id, iterator_type, number)

    return get_shard_iterator


def apply() -> None:
    """Idempotent; call before moto serves requests."""
    global _applied
    if _applied:
        return
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    if not isinstance(getattr(models, "copy", None), ModuleType):
        return  # moto changed: leave it alone rather than guess
    shim = _OneCopyPerTable(Table)
    models.copy = shim  # type: ignore[assignment]
    backend = models.DynamoDBBackend
    backend.transact_write_items = _keeping_stream_shards(shim.transaction(backend.transact_write_items))  # type: ignore[method-assign]
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    DynamoDBStreamsBackend.get_shard_iterator = _stream_iterators(DynamoDBStreamsBackend.get_shard_iterator)  # type: ignore[method-assign]
    _applied = True
