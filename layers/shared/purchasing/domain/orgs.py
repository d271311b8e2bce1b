"""The org registry: an org, what is switched on for it, and its users with their roles."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import ConfigDict, Field

from purchasing.domain.errors import BadRequest, FeatureNotEnabled
from purchasing.domain.model import CamelModel

ORG_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Role(StrEnum):
    """The user pool's groups: what a user may do in their org."""

    BUYER = "buyer"
    APPROVER = "approver"
    ADMIN = "admin"


class Org(CamelModel):
    id: str = Field(pattern=ORG_ID.pattern)
    name: str = Field(min_length=1, max_length=200)
    customer_pos: bool = False
    created_at: str


class OrgUser(CamelModel):
    """A user of an org: `id` is the Cognito `sub` (the id tokens carry), never reused."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5f3e2d1c-0b9a-4876-9543-210fedcba987",
                    "email": "pat@acme.example.com",
                    "roles": ["buyer"],
                    "enabled": True,
                    "createdAt": "2026-12-01T09:30:12.345Z",
                    "updatedAt": "2026-12-01T09:30:12.345Z",
                    "createdBy": "admin@acme.example.com",
                }
            ]
        }
    )
    id: str
    email: str
    roles: list[Role]
    enabled: bool = True
    created_at: str
    updated_at: str
    created_by: str


def check_org_id(org_id: str) -> str:
    if not ORG_ID.match(org_id):
        raise BadRequest(f"an org id is 1-64 letters, digits, '_' or '-', not {org_id!r}", field="org")
    return org_id


def require_customer_pos(org: Org | None) -> None:
    """Customer POs on orders are for orgs that have them switched on (an operator does it)."""
    if org is None or not org.customer_pos:
        raise FeatureNotEnabled(
            "customer POs are not enabled for this organization; ask your operator to switch them on"
        )


def roles_of(roles: list[Role]) -> list[Role]:
    """One of each, in a fixed order, at least one."""
    unique = [role for role in Role if role in roles]
    if not unique:
        raise BadRequest("a user needs at least one role", field="roles")
    return unique
