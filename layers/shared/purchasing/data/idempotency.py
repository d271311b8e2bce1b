"""Powertools idempotency, stored in the same table under its own partition."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from purchasing.config import settings

# The key is the org plus the client's Idempotency-Key; the body must match on a retry.
CONFIG = IdempotencyConfig(
    event_key_jmespath="[org, key]",
    payload_validation_jmespath="body",
    expires_after_seconds=settings().idempotency_ttl_seconds,
    raise_on_no_idempotency_key=True,
)


@cache
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=settings().table_name,
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value="IDEMPOTENCY#po-api",
        expiry_attr="expiration",
    )


def once(function: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Wrap `function(data=...)` so a retried call with the same key returns the first result.

    The persistence layer is made on first use, so importing a handler creates no AWS client.
    """

    @cache
    def wrapped() -> Callable[..., dict[str, Any]]:
        return idempotent_function(
            data_keyword_argument="data", config=CONFIG, persistence_store=_persistence()
        )(function)

    def call(*, data: dict[str, Any]) -> dict[str, Any]:
        return wrapped()(data=data)

    return call
