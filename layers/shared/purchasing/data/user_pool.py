"""The Cognito user pool, through its admin API: the only module that talks to it."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3

from purchasing import config
from purchasing.domain.errors import UserExists
from purchasing.domain.orgs import Role

ORG_ATTRIBUTE = "custom:org_id"


@cache
def _client() -> Any:
    return boto3.client("cognito-idp", region_name=config.region())


def _pool() -> str:
    return config.get(config.UserPool).user_pool_id


def create_user(email: str, org_id: str, roles: list[Role], *, invite: bool = True) -> tuple[str, str]:
    """A user of `org_id` in its groups: (sub, username). Cognito emails the invitation with a
    temporary password, unless `invite` is off (the local cloud's `make token` sets one itself)."""
    arguments: dict[str, Any] = {
        "UserPoolId": _pool(),
        "Username": email,
        "UserAttributes": [
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": ORG_ATTRIBUTE, "Value": org_id},
        ],
        "DesiredDeliveryMediums": ["EMAIL"],
    }
    if not invite:
        arguments["MessageAction"] = "SUPPRESS"
    try:
        user = _client().admin_create_user(**arguments)["User"]
    except _client().exceptions.UsernameExistsException as error:
        raise UserExists(f"{email} already has an account", field="email") from error
    username = str(user["Username"])
    attributes = {attribute["Name"]: attribute["Value"] for attribute in user.get("Attributes", [])}
    set_roles(username, [], roles)
    return str(attributes.get("sub") or username), username


def set_roles(username: str, before: list[Role], after: list[Role]) -> None:
    for role in after:
        if role not in before:
            _client().admin_add_user_to_group(UserPoolId=_pool(), Username=username, GroupName=role.value)
    for role in before:
        if role not in after:
            _client().admin_remove_user_from_group(
                UserPoolId=_pool(), Username=username, GroupName=role.value
            )


def disable(username: str) -> None:
    """No more sign-ins, and the refresh tokens already issued stop working."""
    _client().admin_disable_user(UserPoolId=_pool(), Username=username)
    _client().admin_user_global_sign_out(UserPoolId=_pool(), Username=username)


def find_user(email: str) -> tuple[str, str, str, list[Role]] | None:
    """(sub, username, org, roles) of the user with this email, if the pool has one."""
    try:
        user = _client().admin_get_user(UserPoolId=_pool(), Username=email)
    except _client().exceptions.UserNotFoundException:
        return None
    attributes = {attribute["Name"]: attribute["Value"] for attribute in user.get("UserAttributes", [])}
    username = str(user["Username"])
    groups = _client().admin_list_groups_for_user(UserPoolId=_pool(), Username=username)["Groups"]
    roles = [Role(group["GroupName"]) for group in groups if group["GroupName"] in set(Role)]
    return str(attributes.get("sub") or username), username, str(attributes.get(ORG_ATTRIBUTE) or ""), roles


def set_password(username: str, password: str) -> None:
    """A permanent password (the local cloud's `make token`; users get theirs by invitation)."""
    _client().admin_set_user_password(
        UserPoolId=_pool(), Username=username, Password=password, Permanent=True
    )
