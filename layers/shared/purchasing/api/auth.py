"""Who is calling: org, user and roles from the authorizer's JWT claims, never from the request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from purchasing.domain.errors import Forbidden, Unauthenticated
from purchasing.domain.history import Actor

BUYER = "buyer"
APPROVER = "approver"
ADMIN = "admin"
ROLES = frozenset({BUYER, APPROVER, ADMIN})
_ORG_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


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


def principal_from_claims(claims: dict[str, Any] | None) -> Principal:
    """Claims as API Gateway's Cognito authorizer passes them (every value a string)."""
    claims = claims or {}
    org_id, user_id = str(claims.get("custom:org_id") or ""), str(claims.get("sub") or "")
    if not user_id or not _ORG_ID.match(org_id):
        raise Unauthenticated("the token carries no user or organization")
    return Principal(
        org_id=org_id,
        user_id=user_id,
        email=str(claims.get("email") or ""),
        roles=_groups(claims.get("cognito:groups")) & ROLES,
    )


def _groups(value: Any) -> frozenset[str]:
    """Cognito groups arrive as a list, "a,b" (REST authorizer) or "[a b]" (HTTP JWT authorizer)."""
    if isinstance(value, list):
        return frozenset(str(group) for group in value)
    if isinstance(value, str):
        return frozenset(part for part in re.split(r"[\s,\[\]]+", value) if part)
    return frozenset()
