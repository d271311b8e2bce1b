"""Requests and responses of the users API."""

from __future__ import annotations

from pydantic import EmailStr, Field

from purchasing.domain.model import CamelModel
from purchasing.domain.orgs import OrgUser, Role


class InviteUserRequest(CamelModel):
    email: EmailStr
    roles: list[Role] = Field(min_length=1, max_length=3)


class UpdateUserRequest(CamelModel):
    roles: list[Role] = Field(min_length=1, max_length=3)


class UserList(CamelModel):
    items: list[OrgUser]
