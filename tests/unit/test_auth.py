"""The caller comes from the authorizer's claims only: an ID token's, each claim of its own shape."""

from __future__ import annotations

from typing import Any

import pytest

from purchasing.api.auth import principal_from_claims
from purchasing.domain.errors import Forbidden, Unauthenticated

GOOD = {"sub": "u-1", "email": "e@x.example.com", "custom:org_id": "acme", "token_use": "id"}


@pytest.mark.parametrize("groups", ["buyer,admin", "[buyer admin]", ["buyer", "admin"], "buyer, admin"])
def test_groups_are_read_in_every_shape_api_gateway_passes(groups: object) -> None:
    assert principal_from_claims(GOOD | {"cognito:groups": groups}).roles == {"buyer", "admin"}


def test_unknown_groups_grant_nothing() -> None:
    principal = principal_from_claims(GOOD | {"cognito:groups": "superuser"})
    assert principal.roles == frozenset()
    with pytest.raises(Forbidden):
        principal.require("buyer")


@pytest.mark.parametrize(
    "claims",
    [None, {}, {"sub": "u"}, {"custom:org_id": "acme"}, GOOD | {"custom:org_id": "acme#PO#x"}],
)
def test_no_user_or_a_malformed_org_is_unauthenticated(claims: dict[str, str] | None) -> None:
    with pytest.raises(Unauthenticated):
        principal_from_claims(claims)


@pytest.mark.parametrize(
    "change",
    [
        {"custom:org_id": None},
        {"custom:org_id": 5},
        {"custom:org_id": ["acme"]},
        {"custom:org_id": "acme\n"},
        {"custom:org_id": "acme "},
        {"custom:org_id": ""},
        {"email": None},
        {"email": ""},
        {"email": "not-an-email"},
        {"email": "a@b.example\n"},
        {"token_use": "access"},
        {"token_use": None},
        {"sub": 7},
        {"sub": ""},
        {"exp": 1e300},
        {"exp": float("inf")},
        {"exp": -1},
        {"exp": True},
        {"iat": "99999999999999999999"},
        {"exp": "tomorrow"},
    ],
    ids=repr,
)
def test_a_claim_of_the_wrong_type_or_shape_is_unauthenticated(change: dict[str, Any]) -> None:
    with pytest.raises(Unauthenticated):
        principal_from_claims(GOOD | change)


def test_a_claim_left_out_is_unauthenticated() -> None:
    for key in GOOD:
        with pytest.raises(Unauthenticated):
            principal_from_claims({name: value for name, value in GOOD.items() if name != key})


@pytest.mark.parametrize(
    "times",
    [
        {"exp": 1_900_000_000, "iat": 1_800_000_000},
        {"exp": "Fri Nov 21 07:40:00 UTC 2025", "iat": "1764000000"},
    ],
)
def test_times_as_the_token_or_the_authorizer_gives_them_are_accepted(times: dict[str, Any]) -> None:
    assert principal_from_claims(GOOD | times).email == "e@x.example.com"
