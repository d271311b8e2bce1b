"""Use cases of the org registry: orgs and their features (operators), users (an org's admins).

The org is always the caller's, from the token: a user of another org is not found (404), as
another org's PO is. A user is created in Cognito with the org in `custom:org_id` and the roles
as groups, and listed in the org's own partition of the table, which is what GET /users reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from purchasing.data import org_repository, user_pool
from purchasing.domain import orgs
from purchasing.domain.caller import Principal
from purchasing.domain.errors import NotFound, SelfLockout
from purchasing.domain.model import utc_now
from purchasing.domain.orgs import Org, OrgUser, Role

if TYPE_CHECKING:
    from purchasing.domain.inputs.users import InviteUserRequest, UpdateUserRequest

OPERATOR = "operator"  # who created what an operator's command created


# --- orgs (operators' commands; no API) ---------------------------------------------------------


def register_org(org_id: str, name: str, *, customer_pos: bool | None = None) -> Org:
    """Create the org's entry, or rename it; `customer_pos` switches the feature (None: as it was)."""
    existing = org_repository.get_org(orgs.check_org_id(org_id))
    enabled = customer_pos if customer_pos is not None else bool(existing and existing.customer_pos)
    org = Org(id=org_id, name=name, customer_pos=enabled, created_at=utc_now())
    org_repository.put_org(org)
    return org_repository.get_org(org_id) or org


def set_customer_pos(org_id: str, enabled: bool) -> Org:
    existing = org_repository.get_org(orgs.check_org_id(org_id))
    if existing is None:
        raise NotFound(f"no org {org_id} in the registry")
    return register_org(org_id, existing.name, customer_pos=enabled)


def require_customer_pos(principal: Principal) -> None:
    orgs.require_customer_pos(org_repository.get_org(principal.org_id))


def add_user(org_id: str, email: str, roles: list[Role], created_by: str, *, invite: bool = True) -> OrgUser:
    """A new user of `org_id` in Cognito and in the org's list."""
    roles = orgs.roles_of(roles)
    user_id, username = user_pool.create_user(email, org_id, roles, invite=invite)
    now = utc_now()
    user = OrgUser(
        id=user_id, email=email, roles=roles, created_at=now, updated_at=now, created_by=created_by
    )
    org_repository.put_user(org_id, user, username, new=True)
    return user


def record_user(
    org_id: str, user_id: str, email: str, roles: list[Role], username: str, created_by: str
) -> OrgUser:
    """The org's list entry of a user the pool already has in this org, with these roles."""
    found = org_repository.get_user(org_id, user_id)
    now = utc_now()
    if found is not None:
        user = found[0].model_copy(update={"roles": orgs.roles_of(roles), "updated_at": now})
    else:
        user = OrgUser(
            id=user_id,
            email=email,
            roles=orgs.roles_of(roles),
            created_at=now,
            updated_at=now,
            created_by=created_by,
        )
    org_repository.put_user(org_id, user, username)
    return user


# --- users (an org's admins, over the API) ------------------------------------------------------


def invite(principal: Principal, request: InviteUserRequest) -> OrgUser:
    return add_user(principal.org_id, str(request.email), request.roles, principal.email)


def list_users(principal: Principal) -> list[OrgUser]:
    return org_repository.list_users(principal.org_id)


def update_roles(principal: Principal, user_id: str, request: UpdateUserRequest) -> OrgUser:
    user, username = _user(principal, user_id)
    roles = orgs.roles_of(request.roles)
    if user_id == principal.user_id and Role.ADMIN not in roles:
        raise SelfLockout("you cannot take the admin role from yourself: ask another admin")
    user_pool.set_roles(username, user.roles, roles)
    changed = user.model_copy(update={"roles": roles, "updated_at": utc_now()})
    org_repository.put_user(principal.org_id, changed, username)
    return changed


def disable(principal: Principal, user_id: str) -> OrgUser:
    user, username = _user(principal, user_id)
    if user_id == principal.user_id:
        raise SelfLockout("you cannot disable yourself: ask another admin")
    user_pool.disable(username)
    changed = user.model_copy(update={"enabled": False, "updated_at": utc_now()})
    org_repository.put_user(principal.org_id, changed, username)
    return changed


def _user(principal: Principal, user_id: str) -> tuple[OrgUser, str]:
    found = org_repository.get_user(principal.org_id, user_id)
    if found is None:
        raise NotFound(f"user {user_id} not found")
    return found
