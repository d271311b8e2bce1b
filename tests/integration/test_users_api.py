"""An org's users through the real users API handler, on moto's Cognito with the template's own
user pool, and the org registry: `make org`, the customer-PO switch, history's actor ids."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest

from local import cloud, org, stack, template, token
from purchasing import config
from purchasing.data import org_repository
from purchasing.domain.orgs import OrgUser, Role
from purchasing.services import users_service
from tests.conftest import Api, claims, new_po_body

ADMIN_SUB = "admin-sub-acme"
UNVERIFIED: dict[str, Any] = {"options": {"verify_signature": False}}
FEATURE_OFF = "/problems/feature-not-enabled"


class _Moto:
    """The creators' clients, under mock_aws."""

    def client(self, service: str) -> Any:
        return boto3.client(service)  # type: ignore[call-overload]


@pytest.fixture(autouse=True)
def own_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """A local cloud started in this process earlier left its handlers, with its own copy of the
    layer and its settings: these tests import theirs."""
    for name in [name for name in sys.modules if name.startswith("functions_")]:
        monkeypatch.delitem(sys.modules, name)


@pytest.fixture
def pool(names: dict[str, str]) -> str:
    return names["UserPool"]


@pytest.fixture
def names(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The template's user pool, client and groups in moto; the users API pointed at it."""
    names: dict[str, str] = {}
    for resource_type in (
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::UserPoolGroup",
    ):
        for logical_id, props in template.resources(resource_type).items():
            names[logical_id] = cloud.CREATORS[resource_type](_Moto(), logical_id, props, names).ref
    monkeypatch.setattr(config.get(config.UserPool), "user_pool_id", names["UserPool"])
    yield names


@pytest.fixture
def admin(api: Api, pool: str) -> Api:
    api.caller = claims(org="acme", role="admin", email="boss@acme.example", sub=ADMIN_SUB)
    return api


def cognito_user(pool: str, email: str) -> tuple[dict[str, str], list[str], bool]:
    idp = boto3.client("cognito-idp")
    user = idp.admin_get_user(UserPoolId=pool, Username=email)
    attributes = {attribute["Name"]: attribute["Value"] for attribute in user["UserAttributes"]}
    groups = idp.admin_list_groups_for_user(UserPoolId=pool, Username=user["Username"])["Groups"]
    return attributes, sorted(group["GroupName"] for group in groups), bool(user["Enabled"])


def invite(api: Api, email: str = "ann@acme.example", roles: list[str] | None = None) -> dict[str, Any]:
    reply = api("POST", "/users", {"email": email, "roles": roles or ["buyer"]})
    assert reply.status == 201, reply.body
    return dict(reply.body)


def test_an_admin_invites_a_user_into_the_org_of_their_token(admin: Api, pool: str) -> None:
    user = invite(admin, roles=["approver", "buyer"])

    attributes, groups, enabled = cognito_user(pool, "ann@acme.example")
    assert attributes["custom:org_id"] == "acme"
    assert attributes["sub"] == user["id"]
    assert groups == ["approver", "buyer"] and enabled
    assert user["roles"] == ["buyer", "approver"] and user["createdBy"] == "boss@acme.example"
    assert admin("GET", "/users").body == {"items": [user]}


def test_the_org_never_comes_from_the_body(admin: Api, pool: str) -> None:
    reply = admin("POST", "/users", {"email": "eve@acme.example", "roles": ["admin"], "orgId": "globex"})

    assert reply.status == 422
    assert "orgId" in str(reply.body["errors"])
    with pytest.raises(boto3.client("cognito-idp").exceptions.UserNotFoundException):
        cognito_user(pool, "eve@acme.example")


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "roles": ["buyer"]},
        {"email": "x@acme.example", "roles": []},
        {"email": "x@acme.example", "roles": ["owner"]},
        {"email": "x@acme.example"},
    ],
)
def test_a_bad_invitation_is_422(admin: Api, body: dict[str, Any]) -> None:
    reply = admin("POST", "/users", body)

    assert reply.status == 422 and reply.body["errors"]


def test_an_email_that_already_has_an_account_is_a_409(admin: Api) -> None:
    invite(admin)

    again = admin("POST", "/users", {"email": "ann@acme.example", "roles": ["admin"]})

    assert (again.status, again.body["type"]) == (409, "/problems/user-exists")


@pytest.mark.parametrize("role", ["buyer", "approver", "buyer,approver"])
def test_only_admins_manage_users(admin: Api, role: str) -> None:
    user = invite(admin)
    admin.caller = claims(org="acme", role=role, sub="someone-else")

    assert admin("GET", "/users").status == 403
    assert admin("POST", "/users", {"email": "x@acme.example", "roles": ["admin"]}).status == 403
    assert admin("PATCH", f"/users/{user['id']}", {"roles": ["admin"]}).status == 403
    assert admin("DELETE", f"/users/{user['id']}").status == 403


def test_an_admin_changes_roles_and_cognito_groups_follow(admin: Api, pool: str) -> None:
    user = invite(admin, roles=["buyer"])

    changed = admin("PATCH", f"/users/{user['id']}", {"roles": ["approver", "admin"]})

    assert changed.status == 200 and changed.body["roles"] == ["approver", "admin"]
    assert cognito_user(pool, "ann@acme.example")[1] == ["admin", "approver"]
    assert admin("GET", "/users").body["items"][0]["roles"] == ["approver", "admin"]


def test_delete_disables_the_user_who_then_cannot_sign_in(admin: Api, pool: str) -> None:
    user = invite(admin)

    disabled = admin("DELETE", f"/users/{user['id']}")

    assert disabled.status == 200 and disabled.body["enabled"] is False
    assert cognito_user(pool, "ann@acme.example")[2] is False
    assert admin("GET", "/users").body["items"][0]["enabled"] is False


def test_another_orgs_admin_can_neither_see_nor_touch_the_users(admin: Api, pool: str) -> None:
    user = invite(admin, roles=["buyer"])
    admin.caller = claims(org="globex", role="admin", sub="admin-sub-globex")

    assert admin("GET", "/users").body == {"items": []}
    patched = admin("PATCH", f"/users/{user['id']}", {"roles": ["admin"]})
    deleted = admin("DELETE", f"/users/{user['id']}")

    assert (patched.status, patched.body["type"]) == (404, "/problems/not-found")
    assert deleted.status == 404
    assert cognito_user(pool, "ann@acme.example")[1:] == (["buyer"], True)


def test_an_admin_cannot_disable_themselves_or_drop_their_own_admin_role(admin: Api) -> None:
    org_repository.put_user(
        "acme",
        OrgUser(
            id=ADMIN_SUB,
            email="boss@acme.example",
            roles=[Role.ADMIN],
            created_at="2026-01-01T00:00:00.000Z",
            updated_at="2026-01-01T00:00:00.000Z",
            created_by="operator",
        ),
        "boss",
    )

    assert admin("DELETE", f"/users/{ADMIN_SUB}").status == 409
    assert admin("PATCH", f"/users/{ADMIN_SUB}", {"roles": ["buyer"]}).status == 409


@pytest.mark.parametrize("user_id", ["7d0c3e4e-0000-4000-8000-000000000000", "bad_id"])
def test_an_unknown_or_malformed_user_id_is_404(admin: Api, user_id: str) -> None:
    assert admin("DELETE", f"/users/{user_id}").status == 404
    assert admin("PATCH", f"/users/{user_id}", {"roles": ["buyer"]}).status == 404


# --- the org registry: `make org` ----------------------------------------------------------------


def test_make_org_creates_the_org_and_its_first_admin(pool: str) -> None:
    made = org.run("globex", "Globex Corp", "hank@globex.example", customer_pos=False)

    assert made["org"]["name"] == "Globex Corp" and made["org"]["customerPos"] is False
    attributes, groups, _ = cognito_user(pool, "hank@globex.example")
    assert (attributes["custom:org_id"], groups) == ("globex", ["admin"])
    assert made["admin"]["id"] == attributes["sub"]
    assert [user.email for user in org_repository.list_users("globex")] == ["hank@globex.example"]


def test_make_org_switches_customer_pos_and_keeps_the_rest(pool: str) -> None:
    org.run("globex", "Globex Corp", None, customer_pos=None)

    switched = org.run("globex", None, None, customer_pos=True)

    assert switched["org"]["customerPos"] is True and switched["org"]["name"] == "Globex Corp"
    assert org.run("globex", "Globex Inc", None, customer_pos=None)["org"]["customerPos"] is True


def test_make_org_refuses_an_unknown_org_without_a_name_and_another_orgs_user(pool: str) -> None:
    org.run("globex", "Globex Corp", "hank@globex.example", customer_pos=None)

    with pytest.raises(SystemExit, match="give it a NAME"):
        org.run("initech", None, None, customer_pos=True)
    with pytest.raises(SystemExit, match="one account, one org"):
        org.run("initech", "Initech", "hank@globex.example", customer_pos=None)


def test_make_org_promotes_an_existing_user_of_the_org_to_admin(admin: Api, pool: str) -> None:
    invite(admin, roles=["buyer"])

    made = org.run("acme", "Acme", "ann@acme.example", customer_pos=None)

    assert made["admin"]["roles"] == ["buyer", "admin"]
    assert cognito_user(pool, "ann@acme.example")[1] == ["admin", "buyer"]


# --- `make token`: the user made or reused, signed in for real --------------------------------------


def test_make_token_creates_then_reuses_the_user_and_refuses_another_org(
    names: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(token, "connect", lambda running: None)  # already on this moto
    running = stack.Stack(endpoint="", outputs={"UserPoolClientId": names["UserPoolClient"]})

    first = jwt.decode(token.issue("initech", "pat@initech.example", ["buyer"], running), **UNVERIFIED)
    again = jwt.decode(token.issue("initech", "pat@initech.example", ["approver"], running), **UNVERIFIED)

    assert (first["custom:org_id"], first["cognito:groups"], first["token_use"]) == (
        "initech",
        ["buyer"],
        "id",
    )
    assert (again["sub"], again["cognito:groups"]) == (first["sub"], ["approver"])
    registered = org_repository.get_org("initech")
    assert registered is not None and registered.customer_pos  # made on the fly, customer POs on
    assert [user.roles for user in org_repository.list_users("initech")] == [[Role.APPROVER]]
    with pytest.raises(SystemExit, match="one account, one org"):
        token.issue("globex", "pat@initech.example", ["buyer"], running)


# --- customer POs only where switched on -----------------------------------------------------------


def customer_po_routes(api: Api) -> list[Any]:
    order = api("POST", "/orders", {"customer": {"name": "Initech"}, "amount": "100.00", "currency": "USD"})
    assert order.status == 201, order.body  # orders themselves are for every org
    order_id = order.body["id"]
    upload = {"fileName": "po.pdf", "contentType": "application/pdf", "size": 1000}
    return [
        api("PUT", f"/orders/{order_id}/po", {"mode": "NUMBER_ONLY", "poNumber": "C-1"}),
        api("POST", f"/orders/{order_id}/documents", upload),
        api("POST", f"/orders/{order_id}/partner-links", {}),
        api("POST", "/blanket-pos", {"poNumber": "B-1", "customer": {"name": "Initech"}, "currency": "USD"}),
        api("GET", "/blanket-pos"),
        api("GET", f"/blanket-pos/{'b' * 32}"),
        api("POST", f"/blanket-pos/{'b' * 32}/documents", upload),
    ]


@pytest.mark.parametrize("registered", [False, True])
def test_customer_po_routes_are_403_for_an_org_without_the_feature(api: Api, registered: bool) -> None:
    if registered:
        users_service.register_org("acme", "Acme", customer_pos=False)

    replies = customer_po_routes(api)

    assert [(reply.status, reply.body["type"]) for reply in replies] == [(403, FEATURE_OFF)] * len(replies)
    assert "not enabled" in replies[0].body["detail"]


def test_customer_po_routes_open_once_the_feature_is_switched_on(api: Api) -> None:
    users_service.register_org("acme", "Acme", customer_pos=False)
    users_service.set_customer_pos("acme", True)

    statuses = [reply.status for reply in customer_po_routes(api)]

    assert 403 not in statuses
    assert statuses[3] == 201  # the blanket PO was created


# --- history says who, by sub as well as email -----------------------------------------------------


def test_history_records_the_users_sub_beside_the_email(api: Api) -> None:
    api.caller = claims(org="acme", role="buyer", email="bo@acme.example", sub="sub-of-bo")
    po = api("POST", "/pos", new_po_body()).body

    (created,) = api("GET", f"/pos/{po['id']}/history").body["items"]

    assert (created["actor"], created["actorId"]) == ("bo@acme.example", "sub-of-bo")


# --- CORS on the functions' own answers -------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "buyer"])  # a 200, and a 403 problem
def test_a_functions_answers_carry_cors_for_an_allowed_origin_only(
    admin: Api, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config.get(config.Cors), "allowed_origins", "https://app.example.com")
    admin.caller = claims(org="acme", role=role)

    allowed = admin("GET", "/users", headers={"Origin": "https://app.example.com"})
    other = admin("GET", "/users", headers={"Origin": "https://evil.example"})
    too_large = admin(
        "POST", "/users", raw_body="x" * 1_000_001, headers={"origin": "https://app.example.com"}
    )

    assert allowed.status == (200 if role == "admin" else 403)
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "ETag" in allowed.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in other.headers
    assert too_large.status == 413
    assert too_large.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
