"""template.yaml's user pool, its app client, the users API and CORS (issue 11)."""

from __future__ import annotations

import re
from typing import Any

from local import template


def _resource(logical_id: str) -> dict[str, Any]:
    return dict(template.load()["Resources"][logical_id])


def _parameter(name: str) -> dict[str, Any]:
    return dict(template.load()["Parameters"][name])


def test_the_user_pool_survives_a_stack_delete_or_replacement() -> None:
    pool = _resource("UserPool")

    assert (pool["DeletionPolicy"], pool["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"


def test_a_new_email_takes_effect_only_once_verified() -> None:
    settings = _resource("UserPool")["Properties"]["UserAttributeUpdateSettings"]

    assert settings == {"AttributesRequireVerificationBeforeUpdate": ["email"]}


def test_cognito_emails_go_through_ses_from_the_stacks_sender() -> None:
    email = _resource("UserPool")["Properties"]["EmailConfiguration"]

    assert email["EmailSendingAccount"] == "DEVELOPER"
    assert email["From"] == {"Ref": "SenderEmail"}
    assert "identity/${SesIdentity}" in email["SourceArn"]["Fn::Sub"]
    assert "Default" not in _parameter("SenderEmail")  # a deploy must name a verified sender


def test_password_sign_in_is_off_unless_a_stack_asks_for_it() -> None:
    flows = _resource("UserPoolClient")["Properties"]["ExplicitAuthFlows"]["Fn::If"]
    condition = template.load()["Conditions"][flows[0]]

    assert _parameter("PasswordSignIn")["Default"] == "false"
    assert condition == {"Fn::Equals": [{"Ref": "PasswordSignIn"}, "true"]}
    assert "ALLOW_USER_PASSWORD_AUTH" in flows[1]
    assert flows[2] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]  # production: SRP only
    assert template.LOCAL_PARAMETERS["PasswordSignIn"] == "true"  # `make token` signs in with it


def test_users_are_managed_by_their_own_function_with_admin_actions_on_the_pool_only() -> None:
    spec = template.functions()["UsersApiFunction"]
    props = _resource("UsersApiFunction")["Properties"]
    (statements,) = [policy["Statement"] for policy in props["Policies"]]
    cognito = [
        statement for statement in statements if str(statement["Action"][0]).startswith("cognito-idp:")
    ]

    assert {(route.method, route.path) for route in spec.routes} == {
        ("POST", "/users"),
        ("GET", "/users"),
        ("PATCH", "/users/{userId}"),
        ("DELETE", "/users/{userId}"),
    }
    assert all(template.route_authorizer(route) == "CognitoAuthorizer" for route in spec.routes)
    (pool,) = cognito
    assert pool["Resource"] == {"Fn::GetAtt": ["UserPool", "Arn"]}
    assert all(re.fullmatch(r"cognito-idp:Admin\w+", action) for action in pool["Action"])
    assert props["Environment"]["Variables"]["USER_POOL_ID"] == {"Ref": "UserPool"}


def test_no_origin_is_allowed_by_default_and_the_setting_is_one_origin() -> None:
    parameter = _parameter("AllowedOrigins")
    pattern = re.compile(parameter["AllowedPattern"])

    assert parameter["Default"] == ""
    assert all(
        pattern.fullmatch(value) for value in ("", "*", "https://app.example.com", "http://localhost:3000")
    )
    assert not any(
        pattern.fullmatch(value) for value in ("https://a.example,https://b.example", "app.example")
    )


# AllowedOrigins when set, else the stack's own web console (issue 14: the API allows its origin)
ALLOWED_ORIGIN = {
    "Fn::If": [
        "HasAllowedOrigins",
        {"Fn::Sub": "'${AllowedOrigins}'"},
        {"Fn::Sub": "'https://${ConsoleDistribution.DomainName}'"},
    ]
}


def test_the_api_answers_preflights_with_the_allowed_origin_and_the_headers_clients_send() -> None:
    cors = _resource("PurchaseOrdersApi")["Properties"]["Cors"]

    assert cors["AllowOrigin"] == ALLOWED_ORIGIN
    assert set(cors["AllowHeaders"].strip("'").split(",")) >= {
        "Authorization",
        "Content-Type",
        "If-Match",
        "Idempotency-Key",
    }
    methods = set(cors["AllowMethods"].strip("'").split(","))
    assert {route.method for route in template.routes()} <= methods
    assert (
        _resource("PurchaseOrdersApi")["Properties"]["Auth"]["AddDefaultAuthorizerToCorsPreflight"] is False
    )


def test_every_gateway_response_carries_the_allowed_origin() -> None:
    responses = _resource("PurchaseOrdersApi")["Properties"]["GatewayResponses"]

    assert {"UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    for kind, response in responses.items():
        headers = response["ResponseParameters"]["Headers"]
        assert headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN, kind


def test_every_function_knows_the_allowed_origins() -> None:
    for spec in template.functions().values():
        assert spec.environment["ALLOWED_ORIGINS"] == template.LOCAL_PARAMETERS["AllowedOrigins"]
