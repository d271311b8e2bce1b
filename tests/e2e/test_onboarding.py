"""Onboarding on the local cloud: `make token` signs real users in to the template's user pool,
`make org` creates an org and its first admin, the admin manages the org's users over HTTP, and
customer POs answer only for orgs that have them."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import jwt
import pytest

from tests.e2e.conftest import Client, LocalCloud

pytestmark = pytest.mark.e2e


def claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def make_org(local_cloud: LocalCloud, *args: str) -> subprocess.CompletedProcess[str]:
    return local_cloud.run("local.org", *args)


def test_make_token_signs_a_user_in_to_the_pool_and_reuses_them(local_cloud: LocalCloud, org: str) -> None:
    stack = json.loads((local_cloud.state / "stack.json").read_text())
    pool = stack["outputs"]["UserPoolId"]

    first = local_cloud.run_token(org, f"ann@{org}.example", "buyer")
    again = local_cloud.run_token(org, f"ann@{org}.example", "buyer,approver")

    assert first.returncode == 0 and first.stdout.count("\n") == 1
    claims, later = claims_of(first.stdout.strip()), claims_of(again.stdout.strip())
    assert claims["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    assert (claims["aud"], claims["token_use"]) == (stack["outputs"]["UserPoolClientId"], "id")
    assert (claims["custom:org_id"], claims["cognito:groups"]) == (org, ["buyer"])
    assert later["sub"] == claims["sub"]  # the same user, now with both roles
    assert sorted(later["cognito:groups"]) == ["approver", "buyer"]


def test_make_token_refuses_a_user_of_another_org(local_cloud: LocalCloud, org: str) -> None:
    assert local_cloud.run_token(org, f"bo@{org}.example", "buyer").returncode == 0

    elsewhere = local_cloud.run_token(f"{org}-b", f"bo@{org}.example", "buyer")

    assert elsewhere.returncode != 0
    assert "one account, one org" in elsewhere.stderr


def test_a_forged_or_foreign_token_is_401(local_cloud: LocalCloud, org: str) -> None:
    token = local_cloud.token(org)
    forged = jwt.encode(claims_of(token) | {"custom:org_id": "someone-else"}, "x" * 32, algorithm="HS256")

    assert Client(local_cloud.url, token)("GET", "/pos").status == 200
    assert Client(local_cloud.url, forged)("GET", "/pos").status == 401


def test_an_org_from_make_org_has_its_admin_and_customer_pos_off(local_cloud: LocalCloud, org: str) -> None:
    made = make_org(local_cloud, "--org", org, "--name", "Globex", "--admin", f"hank@{org}.example")
    assert made.returncode == 0, made.stderr
    admin = Client(local_cloud.url, local_cloud.run_token(org, f"hank@{org}.example", "admin").stdout.strip())

    users = admin("GET", "/users")
    blanket = admin("POST", "/blanket-pos", {"poNumber": "B-1", "customer": {"name": "X"}, "currency": "USD"})
    assert make_org(local_cloud, "--org", org, "--customer-pos", "on").returncode == 0
    switched = admin(
        "POST", "/blanket-pos", {"poNumber": "B-1", "customer": {"name": "X"}, "currency": "USD"}
    )

    assert [user["email"] for user in users.json["items"]] == [f"hank@{org}.example"]
    assert (blanket.status, blanket.json["type"]) == (403, "/problems/feature-not-enabled")
    assert switched.status == 201, switched.text


def test_an_admin_manages_the_orgs_users_and_no_other_orgs(local_cloud: LocalCloud, org: str) -> None:
    admin = Client(local_cloud.url, local_cloud.token(org, "admin@acme.example", "admin"))
    stranger = Client(local_cloud.url, local_cloud.token(f"{org}-x", "admin@elsewhere.example", "admin"))
    buyer = Client(local_cloud.url, local_cloud.token(org, "buyer@acme.example", "buyer"))

    invited = admin("POST", "/users", {"email": f"new@{org}.example", "roles": ["approver"]})
    assert invited.status == 201, invited.text
    user_id = invited.json["id"]

    assert buyer("GET", "/users").status == 403
    assert stranger("PATCH", f"/users/{user_id}", {"roles": ["admin"]}).status == 404
    assert stranger("DELETE", f"/users/{user_id}").status == 404
    assert admin("PATCH", f"/users/{user_id}", {"roles": ["buyer"]}).json["roles"] == ["buyer"]
    assert admin("DELETE", f"/users/{user_id}").json["enabled"] is False
    listed = {user["email"]: user for user in admin("GET", "/users").json["items"]}
    assert listed[f"new@{org}.example"]["enabled"] is False
