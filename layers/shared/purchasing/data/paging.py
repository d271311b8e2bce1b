"""Pages of an index's partition, newest first, behind an opaque cursor that is only good for the
listing it came from."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.indexes import GlobalSecondaryIndex

from purchasing.domain.errors import InvalidCursor


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
