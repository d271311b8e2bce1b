"""The local cloud's pieces without a server: routing, the proxy event, the authorizer, the
response mapping, tokens, and the resources it creates from template.yaml in moto."""

from __future__ import annotations

import base64
import http.client as http_client
import json
import os
import re
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from moto.core.config import default_user_config

from local import cloud, cognito, gateway, moto_fixes, openapi, pumps, run, streams, template, usage_plans
from local import org as org_command
from local import token as tokens
from local.routes import Endpoint, Match, MethodNotAllowed, Router
from tests.conftest import new_po_body

OK = {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}

# A user pool of this test's own: its signing key, published as a JWKS the verifier reads.
POOL = "us-east-1_TestPool1"
CLIENT = "testappclient0000000000001"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWKS = {
    "keys": [
        {**RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "k1", "alg": "RS256", "use": "sig"}
    ]
}


def id_token(
    org: str = "acme",
    role: str = "buyer",
    email: str = "buyer@acme.example",
    *,
    now: float | None = None,
    key: Any = KEY,
    kid: str = "k1",
    **overrides: Any,
) -> str:
    """An ID token as Cognito issues one for the test pool (claims `overrides` change)."""
    issued = int(time.time() if now is None else now)
    claims = {
        "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, email)),
        "email": email,
        "email_verified": True,
        "custom:org_id": org,
        "cognito:groups": role.split(","),
        "token_use": "id",
        "iss": cognito.issuer(POOL),
        "aud": CLIENT,
        "iat": issued,
        "auth_time": issued,
        "exp": issued + 3600,
    } | overrides
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def bearer(org: str = "acme", role: str = "buyer", email: str = "buyer@acme.example", **kwargs: Any) -> str:
    return "Bearer " + id_token(org, role, email, **kwargs)


VERIFIER = cognito.Verifier(POOL, [CLIENT], lambda: JWKS)
API_KEY = "testclientkey0000000000000000000000000001"  # the test client's key, in a plan without throttle


def api_keys(value: str) -> usage_plans.ClientKey | None:
    return usage_plans.ClientKey("test-key", None) if value == API_KEY else None


class Recorder(gateway.Invoker):
    """Stands in for the handlers: keeps each event, answers a fixed proxy response."""

    def __init__(self, reply: Any = OK) -> None:
        super().__init__({})
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.reply = reply

    def invoke(self, logical_id: str, event: dict[str, Any], request_id: str | None = None) -> Any:
        self.events.append((logical_id, event))
        return self.reply


def make_gateway(invoker: gateway.Invoker | None = None) -> gateway.Gateway:
    return gateway.Gateway(
        invoker or Recorder(),
        gateway.Router.from_template(),
        VERIFIER.authorize,
        openapi=openapi.document,
        api_keys=api_keys,
    )


def request(method: str, target: str, body: bytes = b"", **headers: str) -> gateway.Request:
    """A request as the test client sends it: with its API key unless `x_api_key` says otherwise."""
    headers = {"x_api_key": API_KEY, **headers}
    return gateway.Request(
        method=method,
        target=target,
        headers=[(key.replace("_", "-"), value) for key, value in headers.items()],
        body=body,
        source_ip="10.0.0.7",
        host="127.0.0.1:3000",
    )


def problem_of(reply: gateway.Reply) -> dict[str, Any]:
    assert reply.header("Content-Type") == "application/problem+json"
    body = json.loads(reply.body)
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == reply.status
    return dict(body)


# --- routing --------------------------------------------------------------------------------------


def test_every_template_route_is_matched_with_its_path_parameters() -> None:
    router = Router.from_template()

    found = router.match("PATCH", "/pos/0123abcd/lines/00001")

    assert isinstance(found, Match)
    assert found.endpoint.route.path == "/pos/{poId}/lines/{lineId}"
    assert found.path_parameters == {"poId": "0123abcd", "lineId": "00001"}
    for route in template.routes():
        concrete = route.path.replace("{", "").replace("}", "")
        match = router.match(route.method, concrete)
        assert isinstance(match, Match) and match.endpoint.route == route


def test_a_known_path_with_another_method_lists_the_allowed_ones() -> None:
    found = Router.from_template().match("DELETE", "/pos")

    assert isinstance(found, MethodNotAllowed)
    assert found.allowed == ["GET", "POST"]


@pytest.mark.parametrize("path", ["/nowhere", "/pos/", "/pos/a/b/c/d/e", "//pos", "/"])
def test_an_unknown_path_matches_nothing(path: str) -> None:
    assert Router.from_template().match("GET", path) is None


def test_literal_segments_win_over_parameters_and_parameters_over_greedy() -> None:
    routes = [
        template.Route("GET", "/files/{proxy+}", "Greedy"),
        template.Route("GET", "/files/{fileId}", "ById"),
        template.Route("GET", "/files/latest", "Latest"),
    ]
    router = Router([Endpoint(route, None, tuple(route.path[1:].split("/"))) for route in routes])

    def function(path: str) -> str:
        found = router.match("GET", path)
        assert isinstance(found, Match)
        return found.endpoint.route.function

    assert function("/files/latest") == "Latest"
    assert function("/files/f-1") == "ById"
    assert function("/files/a/b") == "Greedy"
    greedy = router.match("GET", "/files/a/b")
    assert isinstance(greedy, Match) and greedy.path_parameters == {"proxy": "a/b"}


def test_routes_take_the_apis_default_authorizer_unless_they_say_none() -> None:
    public = {route.path for route in template.routes() if template.route_authorizer(route) is None}
    # approvers', partners' and suppliers' links carry their own signed credential
    assert public == {
        "/approvals/{token}",
        "/partner/{token}",
        "/partner/{token}/uploads",
        "/supplier/{token}",
    }
    private = {template.route_authorizer(route) for route in template.routes() if route.path not in public}
    assert private == {"CognitoAuthorizer"}


# --- the proxy event ------------------------------------------------------------------------------


def test_the_event_is_the_rest_api_proxy_event_with_the_authorizers_claims() -> None:
    recorder = Recorder()
    token = bearer(org="acme", role="buyer,admin")

    reply = make_gateway(recorder).handle(
        request(
            "PATCH",
            "/pos/0123abcd/lines/00002?expand=lines&tag=a&tag=b&empty",
            b'{"quantity": "5"}',
            Authorization=token,
            Content_Type="application/json",
            If_Match='"3"',
            User_Agent="pytest",
        )
    )

    assert reply.status == 200
    ((function, event),) = recorder.events
    assert function == "PoApiFunction"
    assert event["resource"] == "/pos/{poId}/lines/{lineId}"
    assert (event["path"], event["httpMethod"]) == ("/pos/0123abcd/lines/00002", "PATCH")
    assert event["pathParameters"] == {"poId": "0123abcd", "lineId": "00002"}
    assert event["queryStringParameters"] == {"expand": "lines", "tag": "b", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"expand": ["lines"], "tag": ["a", "b"], "empty": [""]}
    assert event["headers"]["If-Match"] == '"3"'
    assert event["headers"]["Authorization"] == token
    assert event["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert event["headers"]["X-Forwarded-For"] == "10.0.0.7"
    assert (event["body"], event["isBase64Encoded"]) == ('{"quantity": "5"}', False)
    assert event["stageVariables"] is None
    context = event["requestContext"]
    assert context["requestId"] == reply.header("x-amzn-RequestId")
    assert (context["stage"], context["resourcePath"], context["httpMethod"]) == (
        "dev",
        "/pos/{poId}/lines/{lineId}",
        "PATCH",
    )
    assert context["identity"]["sourceIp"] == "10.0.0.7"
    assert context["identity"]["userAgent"] == "pytest"
    claims = context["authorizer"]["claims"]
    assert all(isinstance(value, str) for value in claims.values())
    assert claims["custom:org_id"] == "acme"
    assert claims["cognito:groups"] == "buyer,admin"
    assert claims["email"] == "buyer@acme.example"
    assert claims["sub"] == str(uuid.uuid5(uuid.NAMESPACE_URL, "buyer@acme.example"))
    assert claims["token_use"] == "id" and claims["email_verified"] == "true"


def test_no_query_string_and_no_body_are_nulls() -> None:
    recorder = Recorder()

    make_gateway(recorder).handle(request("GET", "/pos", Authorization=bearer()))

    event = recorder.events[0][1]
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] is None


def test_a_body_that_is_not_utf8_arrives_as_text_like_api_gateway_sends_it() -> None:
    recorder = Recorder()

    make_gateway(recorder).handle(
        request("POST", "/pos", b"\xff{}", Authorization=bearer(), Content_Type="application/json")
    )

    event = recorder.events[0][1]
    assert (event["body"], event["isBase64Encoded"]) == ("\ufffd{}", False)


# --- CORS, from the template's Cors and GatewayResponses -------------------------------------------

PAGE = "http://localhost:5173"  # a web client's dev server: the local stack allows http://localhost:*


def cors_of(reply: gateway.Reply) -> str | None:
    return reply.header("Access-Control-Allow-Origin")


def test_every_route_answers_a_preflight_without_a_token() -> None:
    recorder = Recorder()
    api = make_gateway(recorder)

    for route in template.routes():
        path = re.sub(r"\{(\w+)\+?\}", "x", route.path)
        reply = api.handle(request("OPTIONS", path, Origin=PAGE, Access_Control_Request_Method=route.method))
        assert reply.status == 200, route
        assert cors_of(reply) == PAGE
        assert route.method in str(reply.header("Access-Control-Allow-Methods")).split(",")
        assert "Authorization" in str(reply.header("Access-Control-Allow-Headers"))
    assert recorder.events == []  # API Gateway answers preflights itself


def test_the_gateways_own_answers_carry_cors_for_an_allowed_origin_only() -> None:
    api = make_gateway(Recorder(reply="not a proxy response"))
    huge = b"x" * (gateway.MAX_BODY + 1)

    for origin, expected in ((PAGE, PAGE), ("https://evil.example", None)):
        replies = {
            "401": api.handle(request("GET", "/pos", Origin=origin)),
            "413": api.handle(request("POST", "/pos", huge, Origin=origin, Authorization=bearer())),
            "502": api.handle(request("GET", "/pos", Origin=origin, Authorization=bearer())),
            "404": api.handle(request("GET", "/nowhere", Origin=origin)),
            "405": api.handle(request("DELETE", "/pos", Origin=origin)),
            "preflight": api.handle(request("OPTIONS", "/pos", Origin=origin)),
        }
        assert {kind: cors_of(reply) for kind, reply in replies.items()} == dict.fromkeys(replies, expected)


def test_a_functions_answer_keeps_the_headers_the_function_gave() -> None:
    reply = make_gateway(Recorder()).handle(request("GET", "/pos", Origin=PAGE, Authorization=bearer()))

    assert reply.status == 200
    assert cors_of(reply) is None  # as through API Gateway: the function adds its own (Api)


# --- the authorizer -------------------------------------------------------------------------------


def unauthorized(authorization: str | None) -> None:
    recorder = Recorder()
    headers = [("Authorization", authorization)] if authorization is not None else []

    reply = make_gateway(recorder).handle(gateway.Request("GET", "/pos", headers))

    assert reply.status == 401
    assert problem_of(reply)["type"] == "/problems/unauthorized"
    assert recorder.events == []  # the handler never ran


def test_no_token_is_401() -> None:
    unauthorized(None)


def test_an_expired_token_is_401_and_the_log_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    unauthorized(bearer(now=time.time() - 13 * 3600))

    assert "authorizer: 401 for GET /pos: Signature has expired" in capsys.readouterr().err


def test_a_token_signed_by_another_key_is_401() -> None:
    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    unauthorized(bearer(role="admin", key=foreign))


def test_a_token_whose_key_is_not_in_the_pools_jwks_is_401() -> None:
    unauthorized(bearer(kid="another-key"))


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Elsewhere"},
        {"aud": "another-client"},
        {"token_use": "access"},  # the authorizer takes ID tokens (no OAuth scopes on the methods)
        {"token_use": None},
    ],
)
def test_a_token_from_another_pool_client_or_use_is_401(claims: dict[str, Any]) -> None:
    unauthorized(bearer(**claims))


def test_a_token_signed_with_a_shared_secret_is_401() -> None:
    payload = jwt.decode(bearer()[7:], options={"verify_signature": False})
    unauthorized("Bearer " + jwt.encode(payload, "a-shared-secret-of-at-least-32-bytes!!", algorithm="HS256"))


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": 1e300},
        {"custom:org_id": None},
        {"custom:org_id": 5},
        {"custom:org_id": ["acme"]},
        {"custom:org_id": "acme\n"},
        {"email": ""},
        {"token_use": "access"},
    ],
    ids=repr,
)
def test_a_signed_token_with_loose_claims_is_401_as_the_handlers_would_say(claims: dict[str, Any]) -> None:
    unauthorized("Bearer " + id_token(**claims))


def test_an_infinite_expiry_is_401_not_a_crash() -> None:
    unauthorized("Bearer " + id_token(exp=float("inf")))


def test_an_unsigned_token_is_401() -> None:
    payload = jwt.decode(bearer()[7:], options={"verify_signature": False})
    unauthorized("Bearer " + jwt.encode(payload, "", algorithm="none"))


@pytest.mark.parametrize("authorization", ["", "Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz"])
def test_a_malformed_authorization_header_is_401(authorization: str) -> None:
    unauthorized(authorization)


def test_a_bare_token_without_bearer_is_accepted_as_cognito_does() -> None:
    recorder = Recorder()

    reply = make_gateway(recorder).handle(request("GET", "/pos", Authorization=bearer()[7:]))

    assert reply.status == 200


# --- responses ------------------------------------------------------------------------------------


def test_the_handlers_response_maps_to_http() -> None:
    recorder = Recorder(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "ETag": '"1"'},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "ETag": ['"2"']},
            "body": '{"ok": true}',
            "isBase64Encoded": False,
        }
    )

    reply = make_gateway(recorder).handle(request("GET", "/pos", Authorization=bearer()))

    assert reply.status == 201
    assert [value for key, value in reply.headers if key == "Set-Cookie"] == ["a=1", "b=2"]
    assert [value for key, value in reply.headers if key == "ETag"] == ['"2"']  # multiValueHeaders win
    assert json.loads(reply.body) == {"ok": True}


def test_a_base64_response_is_decoded() -> None:
    recorder = Recorder(
        {
            "statusCode": 200,
            "headers": {"Content-Type": "application/pdf"},
            "body": "JVBERi0=",
            "isBase64Encoded": True,
        }
    )

    reply = make_gateway(recorder).handle(request("GET", "/pos", Authorization=bearer()))

    assert reply.body == b"%PDF-"


@pytest.mark.parametrize("bad", [None, "text", {"statusCode": "abc"}, {"statusCode": 200, "body": {"a": 1}}])
def test_a_malformed_proxy_response_is_502(bad: Any) -> None:
    reply = make_gateway(Recorder(bad)).handle(request("GET", "/pos", Authorization=bearer()))

    assert reply.status == 502
    problem_of(reply)


def test_a_handler_that_raises_is_502() -> None:
    class Failing(Recorder):
        def invoke(self, logical_id: str, event: dict[str, Any], request_id: str | None = None) -> Any:
            raise RuntimeError("boom")

    reply = make_gateway(Failing()).handle(request("GET", "/pos", Authorization=bearer()))

    assert reply.status == 502
    assert problem_of(reply)["type"] == "/problems/internal"


def test_unknown_paths_are_404_and_other_methods_405_problems() -> None:
    api = make_gateway()

    missing = api.handle(request("GET", "/nowhere"))
    wrong = api.handle(request("PUT", "/pos", Authorization=bearer()))

    assert (missing.status, problem_of(missing)["type"]) == (404, "/problems/not-found")
    assert (wrong.status, problem_of(wrong)["type"]) == (405, "/problems/method-not-allowed")
    assert wrong.header("Allow") == "GET, POST"


def test_a_body_over_10_mb_is_413_before_the_handler_runs() -> None:
    recorder = Recorder()

    reply = make_gateway(recorder).handle(
        request("POST", "/pos", b"x" * (gateway.MAX_BODY + 1), Authorization=bearer())
    )

    assert reply.status == 413
    assert problem_of(reply)["type"] == "/problems/too-large"
    assert recorder.events == []


def test_the_openapi_document_and_swagger_ui_are_public() -> None:
    api = make_gateway()

    document = api.handle(request("GET", "/openapi.json"))
    page = api.handle(request("GET", "/docs"))
    script = api.handle(request("GET", "/docs/swagger-ui-bundle.min.js"))
    style = api.handle(request("GET", "/docs/swagger-ui.min.css"))

    assert document.status == 200 and json.loads(document.body)["info"]["title"] == "Purchase orders API"
    assert (
        page.status == 200
        and b"/openapi.json" in page.body
        and b"/docs/swagger-ui-bundle.min.js" in page.body
    )
    assert script.status == 200 and str(script.header("Content-Type")).startswith("text/javascript")
    assert style.status == 200 and len(style.body) > 1000


def test_the_lambda_context_counts_down_from_the_functions_timeout() -> None:
    spec = template.functions()["PoApiFunction"]
    context = gateway.LambdaContext(spec, "req-1")

    remaining = context.get_remaining_time_in_millis()

    timeout = float(template.function_setting("PoApiFunction", "Timeout"))
    assert 0 < remaining <= timeout * 1000
    assert context.aws_request_id == "req-1"
    assert context.function_name.endswith("PoApiFunction")
    assert context.invoked_function_arn.endswith(f":function:{context.function_name}")
    assert context.memory_limit_in_mb == int(template.function_setting("PoApiFunction", "MemorySize"))


# --- through the real handler (moto in process) ----------------------------------------------------


@pytest.fixture
def real_gateway(aws: None) -> gateway.Gateway:
    specs = template.functions({"PurchaseOrdersTable": os.environ["TABLE_NAME"]})
    return make_gateway(gateway.Invoker(specs))


def test_a_po_goes_through_the_gateway_to_the_handler_and_back(real_gateway: gateway.Gateway) -> None:
    created = real_gateway.handle(
        request(
            "POST",
            "/pos",
            json.dumps(new_po_body()).encode(),
            Authorization=bearer(),
            Content_Type="application/json",
        )
    )

    assert created.status == 201, created.body
    location = created.header("Location")
    assert location is not None and location == f"/pos/{json.loads(created.body)['id']}"
    fetched = real_gateway.handle(request("GET", location, Authorization=bearer()))
    assert fetched.status == 200
    assert json.loads(fetched.body) == json.loads(created.body)
    other_org = real_gateway.handle(request("GET", location, Authorization=bearer(org="globex")))
    assert other_org.status == 404


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("multipart/form-data", b"--x\r\n", 415),  # no boundary: Powertools raises a bare ValueError
        ("application/json", b"\xff\xfe", 400),
    ],
)
def test_bodies_the_handler_cannot_read_are_client_errors(
    real_gateway: gateway.Gateway, content_type: str, body: bytes, status: int
) -> None:
    reply = real_gateway.handle(
        request("POST", "/pos", body, Authorization=bearer(), Content_Type=content_type)
    )

    assert reply.status == status
    problem_of(reply)


# --- tokens: the template's user pool on moto's Cognito --------------------------------------------

PASSWORD = "Local-Passw0rd!"


def moto_id_token(moto: cloud.Moto, refs: dict[str, str], email: str, org: str, group: str) -> str:
    """What `make token` does, with boto3 alone: a confirmed user of the pool, signed in."""
    idp = moto.client("cognito-idp")
    pool = refs["UserPool"]
    attributes = [{"Name": "email", "Value": email}, {"Name": "custom:org_id", "Value": org}]
    idp.admin_create_user(
        UserPoolId=pool, Username=email, MessageAction="SUPPRESS", UserAttributes=attributes
    )
    idp.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
    idp.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
    return cognito.sign_in(idp, refs["UserPoolClient"], email, PASSWORD)


def test_the_user_pool_its_client_and_groups_come_from_the_template(moto_server: cloud.Moto) -> None:
    refs = cloud.create_resources(moto_server).refs
    idp = moto_server.client("cognito-idp")

    pool = idp.describe_user_pool(UserPoolId=refs["UserPool"])["UserPool"]
    client = idp.describe_user_pool_client(UserPoolId=refs["UserPool"], ClientId=refs["UserPoolClient"])

    assert pool["DeletionProtection"] == "ACTIVE"
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    assert pool["EmailConfiguration"]["EmailSendingAccount"] == "DEVELOPER"
    assert pool["EmailConfiguration"]["SourceArn"].endswith(":identity/local.test")
    assert "custom:org_id" in {attribute["Name"] for attribute in pool["SchemaAttributes"]}
    groups = idp.list_groups(UserPoolId=refs["UserPool"])["Groups"]
    assert sorted(group["GroupName"] for group in groups) == ["admin", "approver", "buyer"]
    flows = client["UserPoolClient"]["ExplicitAuthFlows"]
    assert "ALLOW_USER_PASSWORD_AUTH" in flows  # the local stack's PasswordSignIn=true
    assert client["UserPoolClient"]["WriteAttributes"] == ["email"]  # never the org


def test_an_id_token_of_the_pool_verifies_against_its_jwks(moto_server: cloud.Moto) -> None:
    refs = cloud.create_resources(moto_server).refs
    verifier = cognito.Verifier(
        refs["UserPool"], [refs["UserPoolClient"]], cognito.jwks_from(moto_server.endpoint, refs["UserPool"])
    )

    token = moto_id_token(moto_server, refs, "ann@acme.example", "acme", "approver")
    claims = verifier.authorize(f"Bearer {token}")

    assert (claims["custom:org_id"], claims["cognito:groups"]) == ("acme", "approver")
    assert claims["email"] == "ann@acme.example" and claims["token_use"] == "id"
    access = moto_server.client("cognito-idp").initiate_auth(
        ClientId=refs["UserPoolClient"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ann@acme.example", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["AccessToken"]
    with pytest.raises(cognito.InvalidToken):  # an access token: no audience, token_use "access"
        verifier(access)
    other_client = cognito.Verifier(refs["UserPool"], ["another-client"], verifier._jwks)
    with pytest.raises(cognito.InvalidToken):
        other_client(token)


def test_a_sign_in_flow_the_app_client_leaves_off_is_refused(moto_server: cloud.Moto) -> None:
    refs = cloud.create_resources(moto_server).refs
    idp = moto_server.client("cognito-idp")
    srp_only = idp.create_user_pool_client(
        UserPoolId=refs["UserPool"], ClientName="srp-only", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"]
    )["UserPoolClient"]["ClientId"]
    moto_id_token(moto_server, refs, "bo@acme.example", "acme", "buyer")

    with pytest.raises(idp.exceptions.InvalidParameterException, match="not enabled"):
        cognito.sign_in(idp, srp_only, "bo@acme.example", PASSWORD)


@pytest.mark.parametrize(
    "argv",
    [
        ["--org", "acme", "--email", "a@acme.example", "--role", "boss"],
        ["--org", "acme", "--email", "a@acme.example", "--role", ""],
        ["--org", "", "--email", "a@acme.example", "--role", "buyer"],
        ["--org", "acme", "--email", "not-an-email", "--role", "buyer"],
    ],
)
def test_the_token_command_refuses_bad_arguments(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_CLOUD_DIR", str(tmp_path))

    with pytest.raises(SystemExit) as exit_:
        tokens.main(argv)

    assert exit_.value.code == 2


# --- resources in moto ----------------------------------------------------------------------------


def test_the_embedded_moto_runs_state_machines_and_knows_its_port(moto_server: cloud.Moto) -> None:
    assert moto_server.endpoint == f"http://127.0.0.1:{os.environ['MOTO_PORT']}"
    with urllib.request.urlopen(f"{moto_server.endpoint}/moto-api/config", timeout=5) as response:
        assert response.status == 201
    # set through POST /moto-api/config, which GET does not echo for stepfunctions
    assert default_user_config["stepfunctions"]["execute_state_machine"] is True


def test_the_table_is_created_from_the_template_with_indexes_stream_and_ttl(moto_server: cloud.Moto) -> None:
    resources = cloud.create_resources(moto_server)

    name = resources.names["PurchaseOrdersTable"]
    assert name == cloud.physical_name("PurchaseOrdersTable")
    dynamodb = moto_server.client("dynamodb")
    table = dynamodb.describe_table(TableName=name)["Table"]
    declared = template.resources("AWS::DynamoDB::Table")["PurchaseOrdersTable"]
    assert {index["IndexName"] for index in table["GlobalSecondaryIndexes"]} == {
        index["IndexName"] for index in declared["GlobalSecondaryIndexes"]
    }
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert resources.created["PurchaseOrdersTable"].attributes["StreamArn"] == table["LatestStreamArn"]
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == (
        "ENABLED",
        template.ttl_attribute("PurchaseOrdersTable"),
    )
    # the functions' environment resolves to the local names
    assert template.functions(resources.names)["PoApiFunction"].environment["TABLE_NAME"] == name


def test_every_resource_type_with_a_creator_is_made_with_real_refs_and_attributes(
    moto_server: cloud.Moto,
) -> None:
    resources = cloud.create_resources(moto_server)
    names = resources.names

    for resource_type in cloud.CREATORS:
        assert set(template.resources(resource_type)) <= set(resources.created), resource_type
    # topics: Ref is the ARN, and the functions' environment names the real topic
    sns = moto_server.client("sns")
    topic_arns = {topic["TopicArn"] for topic in sns.list_topics()["Topics"]}
    for logical_id, props in template.resources("AWS::SNS::Topic").items():
        created = resources.created[logical_id]
        assert created.ref in topic_arns
        assert created.ref.endswith(":" + created.attributes["TopicName"])
        attributes = sns.get_topic_attributes(TopicArn=created.ref)["Attributes"]
        assert attributes.get("KmsMasterKeyId") == template.resolve(props.get("KmsMasterKeyId"), names)
    environment = template.functions(names)["StatusStreamFunction"].environment
    assert environment["EVENTS_TOPIC_ARN"] == resources.created["PoEventsTopic"].ref
    # queues: Ref is the URL, GetAtt Arn and QueueName are the queue's
    sqs = moto_server.client("sqs")
    for logical_id, props in template.resources("AWS::SQS::Queue").items():
        created = resources.created[logical_id]
        attributes = sqs.get_queue_attributes(QueueUrl=created.ref, AttributeNames=["All"])["Attributes"]
        assert attributes["QueueArn"] == created.attributes["Arn"] == names[f"{logical_id}.Arn"]
        assert created.ref.endswith("/" + created.attributes["QueueName"])
        if "MessageRetentionPeriod" in props:
            assert attributes["MessageRetentionPeriod"] == str(props["MessageRetentionPeriod"])
    # secrets: Ref is the ARN as Secrets Manager returns it, the value generated by the template's rules
    secretsmanager = moto_server.client("secretsmanager")
    for logical_id, props in template.resources("AWS::SecretsManager::Secret").items():
        arn = resources.created[logical_id].ref
        assert secretsmanager.describe_secret(SecretId=arn)["ARN"] == arn
        value = secretsmanager.get_secret_value(SecretId=arn)["SecretString"]
        rules = props.get("GenerateSecretString")
        if rules and "SecretStringTemplate" not in rules:
            assert len(value) == int(rules.get("PasswordLength", 32))
            if rules.get("ExcludePunctuation"):
                assert value.isalnum()
    # state machines: the deployed definition, with the local table's name in it
    stepfunctions = moto_server.client("stepfunctions")
    for logical_id in template.resources("AWS::Serverless::StateMachine"):
        arn = resources.created[logical_id].ref
        described = stepfunctions.describe_state_machine(stateMachineArn=arn)
        assert described["definition"] == template.state_machine_definition(logical_id, names)
        assert names["PurchaseOrdersTable"] in described["definition"]
        assert described["roleArn"].startswith(f"arn:aws:iam::{template.ACCOUNT}:role/")
    # and no function is left with a placeholder where a real value belongs
    for spec in template.functions(names).values():
        for key, value in spec.environment.items():
            assert "arn:aws:local:" not in value and "AWS::" not in value, (spec.logical_id, key, value)


def test_fn_getatt_takes_the_real_attribute_and_falls_back_to_a_placeholder() -> None:
    names = {"Queue": "https://q", "Queue.Arn": "arn:aws:sqs:us-east-1:123456789012:q"}

    assert template.resolve({"Fn::GetAtt": ["Queue", "Arn"]}, names) == names["Queue.Arn"]
    assert template.resolve({"Fn::GetAtt": "Queue.Arn"}, names) == names["Queue.Arn"]
    assert (
        template.resolve({"Fn::Sub": "${Queue.Arn}/x and ${Queue}"}, names)
        == f"{names['Queue.Arn']}/x and https://q"
    )
    assert template.resolve({"Fn::GetAtt": ["Queue", "QueueName"]}, names).startswith("arn:aws:local:")
    assert template.resolve([{"a": {"Fn::GetAtt": ["Queue", "Arn"]}}], names) == [{"a": names["Queue.Arn"]}]


def test_resources_resolve_pseudo_parameters_refs_and_attributes() -> None:
    resources = cloud.Resources({"Topic": cloud.Created("arn:topic", {"TopicName": "topic"})})

    assert resources.refs == {"Topic": "arn:topic"}
    assert resources.names["Topic.TopicName"] == "topic"
    assert template.resolve({"Fn::Sub": "arn:${AWS::Partition}:x.${AWS::URLSuffix}"}, resources.names) == (
        "arn:aws:x.amazonaws.com"
    )


def test_an_api_url_built_from_the_template_points_at_the_local_gateway() -> None:
    names = cloud.Resources({"PurchaseOrdersApi": cloud.create_api(None, "PurchaseOrdersApi", {}, {})}).names  # type: ignore[arg-type]
    built = template.resolve(
        {"Fn::Sub": "https://${PurchaseOrdersApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}"},
        names,
    )

    assert cloud.local_api_url(built, "http://127.0.0.1:3000") == "http://127.0.0.1:3000"
    assert (
        cloud.local_api_url(built + "/pos/1?x=1", "http://127.0.0.1:3000/")
        == "http://127.0.0.1:3000/pos/1?x=1"
    )
    assert cloud.local_api_url("https://abc.execute-api.us-east-1.amazonaws.com/dev", "http://h") == (
        "https://abc.execute-api.us-east-1.amazonaws.com/dev"
    )


def test_a_queue_is_made_after_its_dead_letter_queue_with_the_redrive_policy(aws: None) -> None:
    declared: dict[str, dict[str, Any]] = {
        "Work": {
            "VisibilityTimeout": 60,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dead", "Arn"]}, "maxReceiveCount": 3},
        },
        "Dead": {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True},
        "Fifo": {"FifoQueue": True, "ContentBasedDeduplication": True},
    }
    ordered = cloud._in_dependency_order(declared)
    assert list(ordered) == ["Dead", "Work", "Fifo"]
    resources = cloud.Resources()
    clients = type("Clients", (), {"client": staticmethod(lambda service: boto3.client(service))})()
    for logical_id, props in ordered.items():
        resources.created[logical_id] = cloud.create_queue(clients, logical_id, props, resources.names)

    sqs = boto3.client("sqs")
    work = sqs.get_queue_attributes(QueueUrl=resources.created["Work"].ref, AttributeNames=["All"])[
        "Attributes"
    ]
    assert json.loads(work["RedrivePolicy"]) == {
        "deadLetterTargetArn": resources.created["Dead"].attributes["Arn"],
        "maxReceiveCount": 3,
    }
    assert work["VisibilityTimeout"] == "60"
    fifo = resources.created["Fifo"]
    assert fifo.attributes["QueueName"] == cloud.physical_name("Fifo") + ".fifo"
    with pytest.raises(ValueError, match="circular"):
        cloud._in_dependency_order({"A": {"Ref": "B"}, "B": {"x": {"Fn::Sub": "${A.Arn}"}}})


def test_topics_subscriptions_and_inline_state_machines_are_made_as_declared(aws: None) -> None:
    clients = type("Clients", (), {"client": staticmethod(lambda service: boto3.client(service))})()
    resources = cloud.Resources()
    resources.created["Inbox"] = cloud.create_queue(clients, "Inbox", {}, resources.names)
    resources.created["Urgent"] = cloud.create_queue(clients, "Urgent", {}, resources.names)
    resources.created["Alerts"] = cloud.create_topic(
        clients,
        "Alerts",
        {
            "TopicName": "alerts",
            "DisplayName": "Alerts",
            "Subscription": [{"Protocol": "sqs", "Endpoint": {"Fn::GetAtt": ["Inbox", "Arn"]}}],
        },
        resources.names,
    )
    resources.created["Filtered"] = cloud.create_subscription(
        clients,
        "Filtered",
        {
            "TopicArn": {"Ref": "Alerts"},
            "Protocol": "sqs",
            "Endpoint": {"Fn::GetAtt": ["Urgent", "Arn"]},
            "FilterPolicy": {"level": ["high"]},
            "RawMessageDelivery": True,
        },
        resources.names,
    )
    machine = cloud.create_state_machine(
        clients,
        "Flow",
        {
            "Type": "AWS::StepFunctions::StateMachine",
            "StateMachineName": "flow",
            "Definition": {
                "StartAt": "A",
                "States": {"A": {"Type": "Pass", "Result": "${Topic}", "End": True}},
            },
            "DefinitionSubstitutions": {"Topic": {"Ref": "Alerts"}},
        },
        resources.names,
    )

    sns = boto3.client("sns")
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=resources.created["Alerts"].ref)["Subscriptions"]
    assert len(subscriptions) == 2
    assert {subscription["Endpoint"] for subscription in subscriptions} == {
        resources.names["Inbox.Arn"],
        resources.names["Urgent.Arn"],
    }
    filtered = sns.get_subscription_attributes(SubscriptionArn=resources.created["Filtered"].ref)[
        "Attributes"
    ]
    assert (json.loads(filtered["FilterPolicy"]), filtered["RawMessageDelivery"]) == (
        {"level": ["high"]},
        "true",
    )
    definition = boto3.client("stepfunctions").describe_state_machine(stateMachineArn=machine.ref)[
        "definition"
    ]
    assert json.loads(definition)["States"]["A"]["Result"] == resources.created["Alerts"].ref
    assert machine.attributes["Name"] == "flow"


@pytest.mark.parametrize(
    ("rules", "check"),
    [
        ({}, lambda value: len(value) == 32),
        (
            {"PasswordLength": 64, "ExcludePunctuation": True},
            lambda value: len(value) == 64 and value.isalnum(),
        ),
        (
            {"PasswordLength": 20, "ExcludeCharacters": "abcdefghijklmnopqrstuvwxyz", "ExcludeNumbers": True},
            lambda value: len(value) == 20 and not any(c.islower() or c.isdigit() for c in value),
        ),
        (
            {
                "SecretStringTemplate": '{"username": "app"}',
                "GenerateStringKey": "password",
                "PasswordLength": 16,
            },
            lambda value: json.loads(value)["username"] == "app" and len(json.loads(value)["password"]) == 16,
        ),
        (
            {"PasswordLength": 4, "RequireEachIncludedType": True},
            lambda value: (
                len(value) == 4
                and any(c.islower() for c in value)
                and any(c.isupper() for c in value)
                and any(c.isdigit() for c in value)
            ),
        ),
        (
            {"PasswordLength": 12, "IncludeSpace": True, "RequireEachIncludedType": True},
            lambda value: " " in value,
        ),
    ],
)
def test_generated_secrets_follow_the_templates_rules(rules: dict[str, Any], check: Any) -> None:
    values = {cloud.generate_secret_string(rules) for _ in range(5)}

    assert all(check(value) for value in values)
    assert len(values) == 5  # random each time


def test_a_secret_rule_that_leaves_no_characters_is_refused() -> None:
    everything = {
        "ExcludeLowercase": True,
        "ExcludeUppercase": True,
        "ExcludeNumbers": True,
        "ExcludePunctuation": True,
    }
    with pytest.raises(ValueError):
        cloud.generate_secret_string(everything)
    with pytest.raises(ValueError):
        cloud.generate_secret_string({"PasswordLength": 2})


def test_a_secret_string_is_stored_as_given(aws: None) -> None:
    clients = type("Clients", (), {"client": staticmethod(lambda service: boto3.client(service))})()

    created = cloud.create_secret(clients, "Key", {"SecretString": "s3cret", "Description": "a key"}, {})

    secret = boto3.client("secretsmanager").get_secret_value(SecretId=created.ref)
    assert (secret["SecretString"], secret["ARN"], created.attributes["Id"]) == (
        "s3cret",
        created.ref,
        created.ref,
    )


def test_a_canceled_transaction_still_rolls_back_with_the_moto_fix(aws: None) -> None:
    moto_fixes.apply()
    client = boto3.client("dynamodb")
    table = os.environ["TABLE_NAME"]
    client.put_item(TableName=table, Item={"PK": {"S": "taken"}, "SK": {"S": "x"}})
    puts: list[Any] = [
        {"Put": {"TableName": table, "Item": {"PK": {"S": "new"}, "SK": {"S": str(n)}}}} for n in range(5)
    ]
    clash: Any = {
        "Put": {
            "TableName": table,
            "Item": {"PK": {"S": "taken"}, "SK": {"S": "x"}},
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }

    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=[*puts, clash])

    def items_named_new() -> int:
        reply = client.query(
            TableName=table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "new"}},
        )
        return int(reply["Count"])

    assert items_named_new() == 0
    client.transact_write_items(TransactItems=puts)
    assert items_named_new() == 5


def test_a_stream_reader_still_sees_writes_after_a_canceled_transaction(aws: None) -> None:
    moto_fixes.apply()
    client = boto3.client("dynamodb")
    table = os.environ["TABLE_NAME"]
    stream_arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    reader = streams.StreamReader(streams.streams_client(template.REGION), stream_arn)
    client.put_item(TableName=table, Item={"PK": {"S": "taken"}, "SK": {"S": "x"}})
    assert len(reader.read()) == 1
    canceled: Any = [
        {"Put": {"TableName": table, "Item": {"PK": {"S": "phantom"}, "SK": {"S": "1"}}}},
        {
            "Put": {
                "TableName": table,
                "Item": {"PK": {"S": "taken"}, "SK": {"S": "x"}},
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        },
    ]
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=canceled)

    client.put_item(TableName=table, Item={"PK": {"S": "after"}, "SK": {"S": "x"}})

    # the reader's iterator still follows the table, and the canceled write left no record
    assert [record["dynamodb"]["Keys"]["PK"]["S"] for record in reader.read()] == ["after"]


def test_bodies_are_base64_only_for_binary_media_types() -> None:
    api = make_gateway(Recorder())
    api.binary_media_types = ["application/pdf"]

    api.handle(request("POST", "/pos", b"%PDF-", Authorization=bearer(), Content_Type="application/pdf"))

    event = api.invoker.events[0][1]  # type: ignore[attr-defined]
    assert (event["isBase64Encoded"], base64.b64decode(event["body"])) == (True, b"%PDF-")


# --- the whole local cloud in this process, over HTTP ---------------------------------------------


class RecordingPump:
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def start(self) -> None:
        self.log.append(f"start {self.name}")

    def stop(self) -> None:
        self.log.append(f"stop {self.name}")


@pytest.fixture
def isolated_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The local cloud points this process's AWS clients at its moto and sets the functions'
    environment: all of it is put back afterwards."""
    monkeypatch.setenv("LOCAL_CLOUD_DIR", str(tmp_path))
    monkeypatch.setitem(default_user_config, "stepfunctions", dict(default_user_config["stepfunctions"]))
    with patch.dict(os.environ):
        yield tmp_path


def http(
    url: str, method: str = "GET", body: bytes | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_local_cloud_serves_starts_pumps_and_stops_in_order(
    isolated_process: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    monkeypatch.setattr(
        pumps,
        "FACTORIES",
        [
            lambda context: RecordingPump(events, "streams"),
            lambda context: None,
            lambda context: RecordingPump(events, "queues"),
        ],
    )
    made: list[dict[str, template.FunctionSpec]] = []
    real_functions = template.functions

    def recorded(*args: Any) -> dict[str, template.FunctionSpec]:
        made.append(real_functions(*args))
        return made[-1]

    monkeypatch.setattr(template, "functions", recorded)
    local_cloud = run.LocalCloud(port=cloud.free_port())
    local_cloud.start()
    url = local_cloud.url
    try:
        assert os.environ["AWS_ENDPOINT_URL"] == local_cloud.moto.endpoint  # type: ignore[union-attr]
        # every link the functions build is on the local cloud's own URL (issue 10, point 6)
        bases = [{spec.environment["API_BASE_URL"] for spec in specs.values()} for specs in made]
        assert {url} in bases  # the functions the local cloud runs (other callers load them too)
        assert "Local cloud ready: " + url in local_cloud.banner()
        assert local_cloud.moto is not None
        token = moto_id_token(local_cloud.moto, local_cloud.resources.refs, "b@acme.example", "acme", "buyer")
        console_key = json.loads(http(url + "/console/config.json")[2])["apiKey"]

        document = http(url + "/openapi.json")
        anonymous = http(url + "/pos")
        invalid = http(
            url + "/pos",
            "POST",
            b'{"currency": "usd"}',
            Authorization=f"Bearer {token}",
            **{"Content-Type": "application/json", "x-api-key": console_key},
        )
        traced = http(url + "/pos", "TRACE")
        head = http(url + "/docs", "HEAD")

        assert document[0] == 200 and json.loads(document[2])["info"]["title"] == "Purchase orders API"
        assert anonymous[0] == 401 and anonymous[1]["Content-Type"] == "application/problem+json"
        assert invalid[0] == 422 and json.loads(invalid[2])["errors"]  # the handler ran
        assert traced[0] == 405
        assert head[0] == 200 and head[2] == b"" and int(head[1]["Content-Length"]) > 0
    finally:
        local_cloud.stop()

    assert events == ["start streams", "start queues", "stop queues", "stop streams"]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/openapi.json", timeout=2)


def test_the_gateway_reads_chunked_bodies_and_refuses_huge_ones_unread(isolated_process: Path) -> None:
    server = gateway.serve(make_gateway(Recorder()), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        connection = http_client.HTTPConnection(str(host), port, timeout=10)
        connection.request(
            "POST",
            "/pos",
            body=iter([b'{"a":', b" 1}"]),
            headers={"Authorization": bearer(), "x-api-key": API_KEY},
        )
        chunked = connection.getresponse()
        chunked.read()
        connection.close()

        connection = http_client.HTTPConnection(str(host), port, timeout=10)
        connection.putrequest("POST", "/pos")
        connection.putheader("Content-Length", str(gateway.MAX_BODY + 1))
        connection.endheaders()
        too_large = connection.getresponse()
        body = json.loads(too_large.read())
        connection.close()
    finally:
        server.shutdown()
        server.server_close()

    assert chunked.status == 200
    assert server.gateway.invoker.events[0][1]["body"] == '{"a": 1}'  # type: ignore[attr-defined]
    assert (too_large.status, body["status"], too_large.getheader("Connection")) == (413, 413, "close")


class Slow(Recorder):
    """A handler that takes a while, so that every connection is open at once."""

    def invoke(self, logical_id: str, event: dict[str, Any], request_id: str | None = None) -> Any:
        time.sleep(0.05)
        return super().invoke(logical_id, event, request_id)


def test_the_gateway_serves_50_concurrent_connections_without_a_reset(
    isolated_process: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 150 requests in a few seconds: a stage limit that allows them, as an operator would set it
    monkeypatch.setitem(template.LOCAL_PARAMETERS, "ApiThrottlingBurstLimit", "150")
    server = gateway.serve(make_gateway(Slow()), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    statuses: list[int | str] = []
    body = json.dumps(new_po_body()).encode()

    def post(start: threading.Barrier) -> None:
        connection = http_client.HTTPConnection(str(host), port, timeout=30)
        start.wait()
        try:
            connection.request(
                "POST",
                "/pos",
                body=body,
                headers={"Authorization": bearer(), "Content-Type": "application/json", "x-api-key": API_KEY},
            )
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        except OSError as error:
            statuses.append(repr(error))
        finally:
            connection.close()

    try:
        for _ in range(3):  # three rounds of fifty at once
            start = threading.Barrier(50)
            clients = [threading.Thread(target=post, args=(start,)) for _ in range(50)]
            for client in clients:
                client.start()
            for client in clients:
                client.join(timeout=60)
    finally:
        server.shutdown()
        server.server_close()

    assert statuses == [200] * 150


def test_concurrent_first_requests_for_the_openapi_document_build_it_once(isolated_process: Path) -> None:
    built: list[int] = []

    def document() -> dict[str, Any]:
        built.append(1)
        time.sleep(0.2)  # long enough for every request to arrive while the first builds
        return openapi.document()

    api = gateway.Gateway(Recorder(), gateway.Router.from_template(), VERIFIER.authorize, openapi=document)
    start = threading.Barrier(20)
    replies: list[gateway.Reply] = []

    def fetch() -> None:
        start.wait()
        replies.append(api.handle(request("GET", "/openapi.json")))

    clients = [threading.Thread(target=fetch) for _ in range(20)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=120)

    assert [reply.status for reply in replies] == [200] * 20
    assert len({reply.body for reply in replies}) == 1 and len(built) == 1


def test_python_m_local_stops_cleanly_on_sigterm(isolated_process: Path) -> None:
    port = cloud.free_port()
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    ready = threading.Event()

    def stop_when_ready() -> None:
        deadline = time.monotonic() + 180  # generous: the suite's other workers share the machine
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=2).close()
            except OSError:
                time.sleep(0.1)
                continue
            ready.set()
            break
        os.kill(os.getpid(), signal.SIGTERM)  # the local cloud's own handler is installed by now

    stopper = threading.Thread(target=stop_when_ready, daemon=True)
    stopper.start()
    try:
        code = run.main(["--port", str(port), "--state-dir", str(isolated_process)])
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    stopper.join(timeout=5)

    assert ready.is_set() and code == 0


def test_python_m_local_exits_1_when_the_port_is_taken(isolated_process: Path) -> None:
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        try:
            code = run.main(["--port", str(taken.getsockname()[1])])
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    assert code == 1


def test_approval_tokens_never_reach_the_request_log() -> None:
    from local.gateway import _loggable

    assert _loggable("/approvals/eyJhIjoxfQ.c2ln") == "/approvals/{token}"
    assert _loggable("/pos/abc") == "/pos/abc"


def test_api_access_logs_name_the_route_not_the_path_with_its_tokens() -> None:
    settings = template.load()["Resources"]["PurchaseOrdersApi"]["Properties"]["AccessLogSetting"]
    assert "$context.path" not in str(settings["Format"]) and "$context.resourcePath" in str(
        settings["Format"]
    )


def test_the_token_and_org_commands_without_a_running_local_cloud_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_CLOUD_DIR", str(tmp_path))

    with pytest.raises(SystemExit, match="no local cloud is running"):
        tokens.main(["--org", "acme", "--email", "a@acme.example", "--role", "buyer"])
    with pytest.raises(SystemExit, match="make dev"):
        org_command.main(["--org", "acme", "--customer-pos", "on"])
