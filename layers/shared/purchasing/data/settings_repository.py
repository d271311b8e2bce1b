"""An org's settings items: its approval policy and its exchange rates, each versioned."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError

from purchasing.data.tables import SettingsItem
from purchasing.domain.approval_route import STORED, ApprovalPolicy, ExchangeRates
from purchasing.domain.errors import ConcurrentUpdate

POLICY_SK = "SETTINGS#APPROVAL_POLICY"
RATES_SK = "SETTINGS#EXCHANGE_RATES"


def get_policy(org_id: str) -> ApprovalPolicy | None:
    item = _get(org_id, POLICY_SK)
    # As stored: a limit added since (a minimum timeout) does not make an old policy unreadable.
    return None if item is None else ApprovalPolicy.model_validate(item.policy, context=STORED)


def put_policy(org_id: str, policy: ApprovalPolicy) -> None:
    """Store `policy` as the version after the one it replaces (never two writers on one version)."""
    _put(org_id, POLICY_SK, policy.version, "the approval policy", policy=_dump(policy))


def get_rates(org_id: str) -> ExchangeRates | None:
    item = _get(org_id, RATES_SK)
    return None if item is None else ExchangeRates.model_validate(item.rates, context=STORED)


def put_rates(org_id: str, rates: ExchangeRates) -> None:
    _put(org_id, RATES_SK, rates.version, "the exchange rates", rates=_dump(rates))


def _get(org_id: str, sort_key: str) -> SettingsItem | None:
    try:
        return SettingsItem.get(f"ORG#{org_id}", sort_key)
    except SettingsItem.DoesNotExist:
        return None


def _put(org_id: str, sort_key: str, version: int, what: str, **document: Any) -> None:
    item = SettingsItem(pk=f"ORG#{org_id}", sk=sort_key, version=version, **document)
    condition = SettingsItem.pk.does_not_exist() | (SettingsItem.version == version - 1)
    try:
        item.save(condition=condition)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise ConcurrentUpdate(f"{what} changed meanwhile; read again and retry") from error
        raise


def _dump(model: ApprovalPolicy | ExchangeRates) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)
