"""The inputs of the user administration use cases: an invitation, a change of roles."""

from __future__ import annotations

from pydantic import ConfigDict, EmailStr, Field

from purchasing.domain.model import CamelModel
from purchasing.domain.orgs import Role


class InviteUserRequest(CamelModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "pat@acme.example.com", "roles": ["buyer"]}]}
    )
    email: EmailStr
    roles: list[Role] = Field(min_length=1, max_length=3)


class UpdateUserRequest(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"roles": ["buyer", "approver"]}]})
    roles: list[Role] = Field(min_length=1, max_length=3)
