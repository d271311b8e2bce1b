"""The caller comes from the authorizer's claims only."""

from __future__ import annotations

import pytest

from purchasing.api.auth import principal_from_claims
from purchasing.domain.errors import Forbidden, Unauthenticated


@pytest.mark.parametrize("groups", ["buyer,admin", "[buyer admin]", ["buyer", "admin"], "buyer, admin"])
def test_groups_are_read_in_every_shape_api_gateway_passes(groups: object) -> None:
    claims = {"sub": "u", "email": "e@x.example.com", "custom:org_id": "acme", "cognito:groups": groups}
    assert principal_from_claims(claims).roles == {"buyer", "admin"}


def test_unknown_groups_grant_nothing() -> None:
    principal = principal_from_claims({"sub": "u", "custom:org_id": "acme", "cognito:groups": "superuser"})
    assert principal.roles == frozenset()
    with pytest.raises(Forbidden):
        principal.require("buyer")


@pytest.mark.parametrize(
    "claims",
    [None, {}, {"sub": "u"}, {"custom:org_id": "acme"}, {"sub": "u", "custom:org_id": "acme#PO#x"}],
)
def test_no_user_or_a_malformed_org_is_unauthenticated(claims: dict[str, str] | None) -> None:
    with pytest.raises(Unauthenticated):
        principal_from_claims(claims)
