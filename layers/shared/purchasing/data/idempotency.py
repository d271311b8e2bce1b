"""Powertools idempotency, stored in the same table under its own partition."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from pydantic import BaseModel

from purchasing import config

TTL_SECONDS = 3600  # how long a key's first answer is replayed

# The key is the org plus the client's Idempotency-Key; the body must match on a retry.
CONFIG = IdempotencyConfig(
    event_key_jmespath="[org, key]",
    payload_validation_jmespath="body",
    expires_after_seconds=TTL_SECONDS,
    raise_on_no_idempotency_key=True,
)


@cache
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=config.get(config.Table).table_name,
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


M = TypeVar("M", bound=BaseModel)
_creating: ContextVar[Callable[[], dict[str, Any]]] = ContextVar("_creating")


@once
def _create_once(*, data: dict[str, Any]) -> dict[str, Any]:
    return _creating.get()()


def create_once(
    org: str, key: str | None, operation: str, request: Any, create: Callable[[], M], model: type[M]
) -> M:
    """`create()` once per org, operation and Idempotency-Key: a retry with the key (and the same
    request) gets the first result back, another request with it a 422; no key, no guard."""
    if key is None:
        return create()
    token = _creating.set(lambda: create().model_dump(mode="json", by_alias=True))
    try:
        result = _create_once(data={"org": org, "key": f"{operation} {key}", "body": request})
    finally:
        _creating.reset(token)
    return model.model_validate(result)
