"""Who is calling: org, user and roles from the authorizer's JWT claims, never from the request."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from purchasing.domain.caller import ROLES, Principal
from purchasing.domain.errors import Unauthenticated

ORG_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""An org id, matched whole (`fullmatch`: no trailing newline slips past a `$`)."""
_SUB = re.compile(r"[A-Za-z0-9-]{1,128}")
_EMAIL = re.compile(r"[^\s@\x00-\x1f\x7f]{1,64}@[^\s@\x00-\x1f\x7f]{1,255}")
_DATE = re.compile(r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-3]\d \d{2}:\d{2}:\d{2} UTC \d{4}")
TIME_CLAIMS = ("exp", "iat", "auth_time", "nbf")
MAX_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z


def principal_from_claims(claims: Mapping[str, Any] | None) -> Principal:
    """Claims as API Gateway's Cognito authorizer passes them (every value a string), or as the
    ID token carries them (times are numbers): an ID token's, each of the type and shape it must
    have, nothing coerced. Anything else is a 401."""
    claims = claims or {}
    if claims.get("token_use") != "id":
        raise Unauthenticated("only an ID token is accepted (token_use must be id)")
    org_id, user_id, email = (claims.get(key) for key in ("custom:org_id", "sub", "email"))
    if not isinstance(org_id, str) or not ORG_ID.fullmatch(org_id):
        raise Unauthenticated("the token carries no organization, or a malformed one")
    if not isinstance(user_id, str) or not _SUB.fullmatch(user_id):
        raise Unauthenticated("the token carries no user")
    if not isinstance(email, str) or not _EMAIL.fullmatch(email):
        raise Unauthenticated("the token carries no email")
    for key in TIME_CLAIMS:
        if key in claims and not _time_in_range(claims[key]):
            raise Unauthenticated(f"the token's {key} is not a time")
    return Principal(
        org_id=org_id,
        user_id=user_id,
        email=email,
        roles=_groups(claims.get("cognito:groups")) & ROLES,
    )


def _time_in_range(value: Any) -> bool:
    """Seconds since the epoch up to year 9999 (a number, or digits), or the date text API
    Gateway's authorizer renders ("Fri Nov 21 07:40:00 UTC 2025")."""
    if isinstance(value, str):
        return (
            int(value) <= MAX_EPOCH
            if value.isdigit() and len(value) <= 12
            else _DATE.fullmatch(value) is not None
        )
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= MAX_EPOCH


def _groups(value: Any) -> frozenset[str]:
    """Cognito groups arrive as a list, "a,b" (REST authorizer) or "[a b]" (HTTP JWT authorizer)."""
    if isinstance(value, list):
        return frozenset(str(group) for group in value)
    if isinstance(value, str):
        return frozenset(part for part in re.split(r"[\s,\[\]]+", value) if part)
    return frozenset()
