"""Who is calling: the caller's organization, identity and roles, as every use case takes them.

The API builds a `Principal` from the authorizer's claims (`purchasing.api.auth`); the use cases
in `purchasing.services` only ever see this type, never a request.
"""

from __future__ import annotations

from dataclasses import dataclass

from purchasing.domain.errors import Forbidden
from purchasing.domain.history import Actor

BUYER = "buyer"
APPROVER = "approver"
ADMIN = "admin"
ROLES = frozenset({BUYER, APPROVER, ADMIN})


@dataclass(frozen=True)
class Principal:
    org_id: str
    user_id: str
    email: str
    roles: frozenset[str]

    @property
    def actor(self) -> Actor:
        """Who history says did it."""
        return Actor(email=self.email, sub=self.user_id)

    def require(self, *roles: str) -> Principal:
        if not self.roles & set(roles):
            raise Forbidden(f"this needs one of the roles {', '.join(sorted(roles))}")
        return self
