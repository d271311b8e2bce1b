"""Speed for moto's DynamoDB, without changing what it does.

moto's TransactWriteItems backs up each table it touches by deep-copying it once per item of
the transaction (the same table, again and again), so a 100-item transaction on a large table
copies it 100 times. Copy each object once per call instead: the backup is identical.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

_applied = False


class _CopyTablesOncePerCall:
    def __init__(self, table_type: type) -> None:
        self.table_type = table_type
        self.copies: dict[int, tuple[Any, Any]] = {}  # id -> (original, copy): the original stays alive

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if not isinstance(value, self.table_type):
            return copy.deepcopy(value, memo)
        if id(value) not in self.copies:
            self.copies[id(value)] = (value, copy.deepcopy(value, memo))
        return self.copies[id(value)][1]

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def apply() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: Any) -> Any:
        models.copy = _CopyTablesOncePerCall(Table)  # type: ignore[assignment]
        try:
            return original(self, transact_items)
        finally:
            models.copy = copy

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _applied = True
