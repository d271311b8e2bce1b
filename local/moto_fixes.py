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

TransactWriteItems backup, and Query, in proportion to the request (issue 12, big POs): the one
backup copy per table still deep-copied every item and every stream record ever written, so each
transaction got slower as the table and its stream grew (a 1,000-line PO's cancel took over a
minute). The backup now deep-copies only the partitions the transaction names (the only ones it
can change) and takes a new list of the same stream records (a record never changes once written);
the rest is shared with the live table, which the transaction does not change, so a rollback puts
back exactly what the full copy would. A Query on the table's own key sorted every item of the
table to keep its partition's: it now runs the same code on that partition's items alone (the
same items, order and pages). Both were bench.harness.faster_moto, bench-only until then.

DynamoDB reads answered as plain JSON: moto's generic response serializer walks the output shape
value by value (a 1,000-line PO's Query spent most of its seconds there). For Query, GetItem,
BatchGetItem and Scan, whose results are already DynamoDB's wire format (attribute-value maps,
numbers as strings), the result is written with json.dumps; a result that holds bytes or
timestamps (binary attributes) still goes through the serializer. So is DynamoDB Streams'
GetRecords, whose records are the same attribute-value maps (a 1,000-line PO's stream batches spent
half of a test's 30 seconds in the serializer); its timestamp is written as the serializer would.

GetShardIterator (DynamoDB Streams): moto keeps an AT_/AFTER_SEQUENCE_NUMBER iterator's sequence
number as the string it was sent, and fails on the first GetRecords; an unknown shard fails an
assertion. Here the number is an integer, and an unknown shard is DynamoDB's
ResourceNotFoundException (what `local.repair` meets for a failure record whose shard is gone).

TransactWriteItems isolation: moto applies a transaction's items one by one and undoes a
canceled one by putting back a copy of the whole table taken before it. Under concurrent
requests (the threaded server, threads in tests) that loses and invents data: a reader saw the
items of a transaction that was then canceled (a writer numbered its line after a line that never
existed), and the copy put back erased what other writers committed meanwhile, or brought back
what a canceled transaction had half written. DynamoDB never shows a canceled transaction's
writes and never undoes another writer's. Here every write to the tables is serialized, and a
transaction checks all its conditions before it writes anything: a canceled transaction writes
nothing, so there is nothing to undo.

TransactWriteItems ClientRequestToken: DynamoDB answers a repeated call with the same token
(within 10 minutes) with success and writes nothing again; that is what makes a retry after a
lost answer safe. moto ignores the token and applies the transaction twice.
"""

from __future__ import annotations

import calendar
import copy
import datetime
import json
import threading
import time
from functools import wraps
from types import ModuleType
from typing import Any

_applied = False
_writes = threading.RLock()  # one writer at a time over every table of the embedded moto
TOKEN_LIFETIME_SECONDS = 600


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


def _serialized(function: Any) -> Any:
    @wraps(function)
    def write(*args: Any, **kwargs: Any) -> Any:
        with _writes:
            return function(*args, **kwargs)

    return write


def _conditions_first(function: Any) -> Any:
    """Evaluate every condition of the transaction on the items as they are; if one fails, cancel
    it (with moto's reasons, in order) before anything is written."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import TransactionCanceledException

    @wraps(function)
    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]], *args: Any) -> Any:
        errors: list[tuple[str | None, str | None, Any]] = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            expression = op.get("ConditionExpression")
            if expression is None or op.get("TableName") not in backend.tables:
                errors.append((None, None, None))
                continue
            table = backend.get_table(op["TableName"])
            key = op.get("Key") or {
                name: op["Item"][name] for name in (table.hash_key_attr, table.range_key_attr) if name
            }
            current = backend.get_item(op["TableName"], key)
            condition = get_filter_expression(
                expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            )
            passed = condition.expr(current)
            errors.append((None, None, None) if passed else ("ConditionalCheckFailed", "", None))
        if any(code is not None for code, _, _ in errors):
            raise TransactionCanceledException(errors)
        return function(backend, transact_items, *args)

    return transact_write_items


class _Tokens:
    """ClientRequestToken of TransactWriteItems: a repeat with the same token and the same items
    succeeds without writing; with other items it is refused, as in DynamoDB."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[float, str]] = {}

    def handler(self, function: Any) -> Any:
        from moto.core.responses import ActionResult
        from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException

        @wraps(function)
        def transact_write_items(handler: Any) -> Any:
            token = handler.body.get("ClientRequestToken")
            if token is None:
                return function(handler)
            fingerprint = json.dumps(handler.body["TransactItems"], sort_keys=True)
            with _writes:
                now = time.monotonic()
                seen = self._seen.get(token)
                if seen is not None and now - seen[0] < TOKEN_LIFETIME_SECONDS:
                    if seen[1] != fingerprint:
                        raise DynamodbException(
                            ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException",
                            "the ClientRequestToken was used with other items",
                        )
                    return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
                result = function(handler)
                self._seen[token] = (now, fingerprint)
                return result

        return transact_write_items


_transaction = threading.local()  # what the running TransactWriteItems names, per table
Touched = dict[str, dict[Any, "set[Any] | None"]]  # table -> hash key -> its range keys (None: all)


def _touched_partitions(backend: Any, transact_items: list[dict[str, Any]]) -> Touched | None:
    """Table name -> each hash key the transaction names -> the range keys it names there (None: the
    whole partition); None when one cannot be told."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    touched: Touched = {}
    for entry in transact_items:
        for op in entry.values():
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            key = (op.get("Key") or op.get("Item") or {}) if table is not None else {}
            if table is None or table.hash_key_attr not in key:
                return None
            partitions = touched.setdefault(table.name, {})
            hash_key = DynamoType(key[table.hash_key_attr])
            ranges = partitions.setdefault(hash_key, set())
            if ranges is not None and table.range_key_attr and table.range_key_attr in key:
                ranges.add(DynamoType(key[table.range_key_attr]))
            else:
                partitions[hash_key] = None
    return touched


def _partial_backups(function: Any) -> Any:
    @wraps(function)
    def transact_write_items(backend: Any, transact_items: Any, *args: Any, **kwargs: Any) -> Any:
        _transaction.touched = _touched_partitions(backend, transact_items)
        try:
            return function(backend, transact_items, *args, **kwargs)
        finally:
            _transaction.touched = None

    return transact_write_items


def _table_deepcopy(table: Any, memo: dict[int, Any]) -> Any:
    """A table's backup inside a TransactWriteItems; the ordinary deep copy anywhere else. Only the
    items the transaction names are copied (moto updates an item in place): a partition it writes
    to is a new dict of the same items but those, so that a 1,000-line PO's partition is not copied
    whole for each of the 11 transactions of its cancel."""
    touched: Touched | None = getattr(_transaction, "touched", None)
    if touched is None:
        reductor = table.__reduce_ex__(4)
        return copy._reconstruct(table, memo, *reductor)  # type: ignore[attr-defined]
    clone = copy.copy(table)
    memo[id(table)] = clone
    partitions = touched.get(table.name, {})
    clone.items = type(table.items)(table.items.default_factory)
    for hash_key, partition in table.items.items():
        clone.items[hash_key] = _partition_backup(partition, hash_key, partitions, memo)
    if table.stream_shard is not None:
        clone.stream_shard = copy.copy(table.stream_shard)
        clone.stream_shard.items = list(table.stream_shard.items)
        clone.stream_shard.table = clone
    return clone


def _partition_backup(partition: Any, hash_key: Any, partitions: dict[Any, Any], memo: dict[int, Any]) -> Any:
    if hash_key not in partitions:
        return partition  # the transaction cannot change it: shared with the live table
    ranges = partitions[hash_key]
    if ranges is None or not isinstance(partition, dict):
        return copy.deepcopy(partition, memo)
    backup = dict(partition)
    for range_key in ranges & backup.keys():
        backup[range_key] = copy.deepcopy(partition[range_key], memo)
    return backup


_query = threading.local()  # the partition a Query on the table's key reads, on this thread


def _partition_items(function: Any) -> Any:
    @wraps(function)
    def all_items(table: Any) -> Any:
        source = _query.partition if getattr(_query, "table", None) is table else table
        return function(_snapshot(source))

    return all_items


def _snapshot(table: Any) -> Any:
    """A stand-in for the table whose items are copies, each partition taken whole: moto walks the
    dicts in Python, and a write on another thread meanwhile (two requests to one PO at once) raised
    "dictionary changed size during iteration". A dict's copy lets no other thread in."""
    stand_in = copy.copy(table)
    stand_in.items = {
        key: dict(items) if isinstance(items, dict) else items for key, items in dict(table.items).items()
    }
    return stand_in


def _partition_query(function: Any) -> Any:
    import inspect

    signature = inspect.signature(function)

    @wraps(function)
    def query(table: Any, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(table, *args, **kwargs).arguments
        hash_key = arguments.get("hash_key")
        if arguments.get("index_name") or hash_key is None or not table.range_key_attr:
            return function(table, *args, **kwargs)
        partition = copy.copy(table)  # all_items of this stand-in: the partition's items alone
        partition.items = {hash_key: table.items.get(hash_key) or {}}
        _query.table, _query.partition = table, partition
        try:
            return function(table, *args, **kwargs)
        finally:
            _query.table = _query.partition = None

    return query


# (service, operation): results already in DynamoDB's wire format (attribute-value maps)
_PLAIN_READS = {
    *(("dynamodb", operation) for operation in ("Query", "GetItem", "BatchGetItem", "Scan")),
    ("dynamodbstreams", "GetRecords"),
}


def _plain_json_reads(function: Any) -> Any:
    """Those results written with json.dumps (a timestamp as the serializer writes it); one that
    holds bytes (B, BS) goes through the serializer, which knows their encoding."""

    @wraps(function)
    def execute_result(result: Any, context: Any) -> Any:
        operation = (str(context.service_model.service_name), str(context.operation_model.name))
        if operation not in _PLAIN_READS:
            return function(result, context)
        try:
            body = json.dumps(result.result, default=_epoch_seconds)
        except TypeError:
            return function(result, context)
        version = context.service_model.metadata.get("jsonVersion", "1.0")
        return 200, {"Content-Type": f"application/x-amz-json-{version}"}, body

    return execute_result


def _epoch_seconds(value: Any) -> int | float:
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"{type(value).__name__} is not JSON")
    seconds = calendar.timegm(value.utctimetuple())
    return seconds + (value.microsecond // 1000) / 1000.0 if value.microsecond else seconds


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
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    DynamoDBStreamsBackend.get_shard_iterator = _stream_iterators(DynamoDBStreamsBackend.get_shard_iterator)  # type: ignore[method-assign]
    transact = _conditions_first(_keeping_stream_shards(shim.transaction(backend.transact_write_items)))
    transact = _partial_backups(transact)
    backend.transact_write_items = transact  # type: ignore[method-assign]
    for name in ("transact_write_items", "put_item", "update_item", "delete_item", "batch_write_item"):
        setattr(backend, name, _serialized(getattr(backend, name)))
    from moto.dynamodb.responses import DynamoHandler

    DynamoHandler.transact_write_items = _Tokens().handler(DynamoHandler.transact_write_items)  # type: ignore[method-assign]
    Table.__deepcopy__ = _table_deepcopy  # type: ignore[attr-defined]
    Table.query = _partition_query(Table.query)  # type: ignore[method-assign]
    Table.all_items = _partition_items(Table.all_items)  # type: ignore[method-assign]
    from moto.core.responses import ActionResult  # DynamoResult's, and DynamoDB Streams' results

    ActionResult.execute_result = _plain_json_reads(ActionResult.execute_result)  # type: ignore[method-assign]
    _applied = True
