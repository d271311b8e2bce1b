"""The org registry in the table: the org's entry and its users (one partition per org)."""

from __future__ import annotations

from pynamodb.exceptions import PutError

from purchasing.data.mapping import to_item, to_model
from purchasing.data.tables import OrgItem, OrgUserItem
from purchasing.domain.errors import ConcurrentUpdate
from purchasing.domain.orgs import Org, OrgUser

ORG_SK = "ORG"
USER_PREFIX = "USER#"


def _pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def get_org(org_id: str) -> Org | None:
    try:
        item = OrgItem.get(_pk(org_id), ORG_SK)
    except OrgItem.DoesNotExist:
        return None
    return to_model(Org, item, id=org_id)


def put_org(org: Org) -> None:
    """Create the entry, or change its name and features (its creation time stays)."""
    existing = get_org(org.id)
    created_at = existing.created_at if existing else org.created_at
    to_item(OrgItem, org, pk=_pk(org.id), sk=ORG_SK, created_at=created_at).save()


def list_users(org_id: str) -> list[OrgUser]:
    """The org's users (one Query of its partition), by email."""
    items = OrgUserItem.query(_pk(org_id), OrgUserItem.sk.startswith(USER_PREFIX))
    return sorted((_user(item) for item in items), key=lambda user: user.email)


def get_user(org_id: str, user_id: str) -> tuple[OrgUser, str] | None:
    """The user and their Cognito username, if they belong to this org."""
    try:
        item = OrgUserItem.get(_pk(org_id), USER_PREFIX + user_id)
    except OrgUserItem.DoesNotExist:
        return None
    return _user(item), item.username


def put_user(org_id: str, user: OrgUser, username: str, *, new: bool = False) -> None:
    item = to_item(OrgUserItem, user, pk=_pk(org_id), sk=USER_PREFIX + user.id, username=username)
    try:
        item.save(condition=OrgUserItem.pk.does_not_exist() if new else None)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise ConcurrentUpdate(f"user {user.id} was added meanwhile") from error
        raise


def _user(item: OrgUserItem) -> OrgUser:
    return to_model(OrgUser, item, id=item.sk.removeprefix(USER_PREFIX), roles=list(item.roles or []))
