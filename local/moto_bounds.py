"""Bounds on what the embedded moto (5.2.x) keeps, so the local cloud's memory stays flat under work.

Every moto model (`BaseModel`) appends each instance it ever makes to a class-level list, for the
/moto-api/data.json dashboard only. `copy.deepcopy` makes instances too, and DynamoDB deep-copies a
table (every item, every stream record) at each TransactWriteItems to roll back with: each copy then
stayed alive for ever. After one 1,000-line PO every small PATCH kept about 9 MB that way, and the
process reached 14.5 GB in an afternoon. Here instances are no longer listed, except S3's keys and
multipart uploads, which moto's reset goes through to close their spooled files.

A DynamoDB stream keeps its records for 24 hours (then GetRecords never sees them again, and an
iterator older than that gets TrimmedDataAccessException); moto kept them for ever. Here a shard drops
the records older than 24 hours as new ones arrive; sequence numbers go on from where they were.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

RETENTION = timedelta(hours=24)
TRACKED_MODULES = ("moto.s3.",)  # moto.s3's reset disposes of the keys it finds listed

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    _stop_listing_instances()
    _trim_streams()
    _applied = True


def _stop_listing_instances() -> None:
    from moto.core.common_models import BaseModel

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        instance = super(BaseModel, cls).__new__(cls)  # type: ignore[misc]
        if cls.__module__.startswith(TRACKED_MODULES):
            cls.instances_tracked.append(instance)  # type: ignore[attr-defined]
        return instance

    BaseModel.__new__ = __new__  # type: ignore[method-assign]


def _trim_streams() -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.core.utils import utcnow
    from moto.dynamodb.models.table import StreamShard

    add, get = StreamShard.add, StreamShard.get

    def add_and_trim(shard: Any, old: Any, new: Any) -> None:
        add(shard, old, new)
        horizon = utcnow() - RETENTION
        expired = 0
        for record in shard.items:
            if record.record["dynamodb"]["ApproximateCreationDateTime"] >= horizon:
                break
            expired += 1
        if expired:
            del shard.items[:expired]
            shard.starting_sequence_number += expired

    def get_untrimmed(shard: Any, start: int, quantity: int) -> list[dict[str, Any]]:
        if start < shard.starting_sequence_number:
            raise JsonRESTError(
                "TrimmedDataAccessException",
                "The operation attempted to read past the oldest stream record in a shard.",
            )
        records: list[dict[str, Any]] = get(shard, start, quantity)
        return records

    StreamShard.add = add_and_trim  # type: ignore[method-assign,assignment]
    StreamShard.get = get_untrimmed  # type: ignore[method-assign,assignment]
