"""The users API's list envelope (its request bodies: `purchasing.domain.inputs.users`)."""

from __future__ import annotations

from purchasing.domain.model import CamelModel
from purchasing.domain.orgs import OrgUser


class UserList(CamelModel):
    items: list[OrgUser]
