"""An org's settings item: its approval policy, versioned."""

from __future__ import annotations

from pynamodb.exceptions import PutError

from purchasing.data.tables import SettingsItem
from purchasing.domain.approval_route import ApprovalPolicy
from purchasing.domain.errors import ConcurrentUpdate

POLICY_SK = "SETTINGS#APPROVAL_POLICY"


def get_policy(org_id: str) -> ApprovalPolicy | None:
    try:
        item = SettingsItem.get(f"ORG#{org_id}", POLICY_SK)
    except SettingsItem.DoesNotExist:
        return None
    return ApprovalPolicy.model_validate(item.policy)


def put_policy(org_id: str, policy: ApprovalPolicy) -> None:
    """Store `policy` as the version after the one it replaces (never two writers on one version)."""
    item = SettingsItem(
        pk=f"ORG#{org_id}",
        sk=POLICY_SK,
        policy=policy.model_dump(mode="json", by_alias=True),
        version=policy.version,
    )
    condition = SettingsItem.pk.does_not_exist() | (SettingsItem.version == policy.version - 1)
    try:
        item.save(condition=condition)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise ConcurrentUpdate("the approval policy changed meanwhile; read it and retry") from error
        raise
