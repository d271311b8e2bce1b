"""The web console as the local cloud serves it (`local.console`) and the stand-in for Cognito's
managed login (`local.login`): the authorization-code flow with PKCE against the template's user
pool on moto, as strict as Cognito (registered redirect URIs only, PKCE S256, single-use codes
that expire, the same client and redirect URI at the token endpoint)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from local import cloud, cognito, console, gateway, login

URL = "http://127.0.0.1:3999"
CONSOLE = f"{URL}/console/"
CONSOLE_KEY = "consolekey00000000000000000000000000000001"
PASSWORD = "Console-Passw0rd!"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


class Now:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def pool(moto_server: cloud.Moto) -> dict[str, Any]:
    refs = cloud.create_resources(moto_server).refs
    idp = moto_server.client("cognito-idp")
    attributes = [{"Name": "email", "Value": "ann@acme.example"}, {"Name": "custom:org_id", "Value": "acme"}]
    idp.admin_create_user(
        UserPoolId=refs["UserPool"],
        Username="ann@acme.example",
        MessageAction="SUPPRESS",
        UserAttributes=attributes,
    )
    idp.admin_add_user_to_group(UserPoolId=refs["UserPool"], Username="ann@acme.example", GroupName="buyer")
    idp.admin_set_user_password(
        UserPoolId=refs["UserPool"], Username="ann@acme.example", Password=PASSWORD, Permanent=True
    )
    now = Now()
    signing_in = login.Login(idp, refs["UserPool"], lambda value: console.local_url(value, URL), clock=now)
    verifier = cognito.Verifier(
        refs["UserPool"], [refs["UserPoolClient"]], cognito.jwks_from(moto_server.endpoint, refs["UserPool"])
    )
    return {"refs": refs, "idp": idp, "login": signing_in, "now": now, "verifier": verifier}


def call(
    signing_in: login.Login, method: str, path: str, form: dict[str, str] | None = None
) -> gateway.Reply:
    if method == "GET":
        request = gateway.Request("GET", f"{path}?{urlencode(form or {})}")
    else:
        request = gateway.Request(
            "POST",
            path,
            [("Content-Type", "application/x-www-form-urlencoded")],
            urlencode(form or {}).encode(),
        )
    reply = signing_in.handle(request)
    assert reply is not None
    return reply


def authorize_form(client_id: str, challenge: str, **overrides: str) -> dict[str, str]:
    form = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CONSOLE,
        "state": "s-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": "openid email profile",
    }
    return {**form, **overrides}


def code_for(pool: dict[str, Any], challenge: str, password: str = PASSWORD) -> str:
    client_id = pool["refs"]["UserPoolClient"]
    form = authorize_form(client_id, challenge, username="ann@acme.example", password=password)
    reply = call(pool["login"], "POST", "/oauth2/authorize", form)
    assert reply.status == 302, reply.body
    location = urlsplit(str(reply.header("Location")))
    assert f"{location.scheme}://{location.netloc}{location.path}" == CONSOLE
    query = parse_qs(location.query)
    assert query["state"] == ["s-123"]
    return query["code"][0]


def exchange(pool: dict[str, Any], code: str, verifier: str, **overrides: str) -> gateway.Reply:
    form = {
        "grant_type": "authorization_code",
        "client_id": pool["refs"]["UserPoolClient"],
        "code": code,
        "redirect_uri": CONSOLE,
        "code_verifier": verifier,
        **overrides,
    }
    return call(pool["login"], "POST", "/oauth2/token", form)


def test_the_code_and_its_verifier_give_the_pools_own_tokens_once(pool: dict[str, Any]) -> None:
    verifier, challenge = pkce()
    shown = call(
        pool["login"], "GET", "/oauth2/authorize", authorize_form(pool["refs"]["UserPoolClient"], challenge)
    )
    assert shown.status == 200 and b'name="password"' in shown.body

    code = code_for(pool, challenge)
    tokens = exchange(pool, code, verifier)

    assert tokens.status == 200
    body = json.loads(tokens.body)
    claims = pool["verifier"](body["id_token"])  # verified as API Gateway's authorizer does
    assert (claims["email"], claims["custom:org_id"], claims["cognito:groups"]) == (
        "ann@acme.example",
        "acme",
        ["buyer"],
    )
    assert body["token_type"] == "Bearer" and body["access_token"]
    again = exchange(pool, code, verifier)
    assert (again.status, json.loads(again.body)) == (400, {"error": "invalid_grant"})


@pytest.mark.parametrize(
    "change",
    [
        {"code_verifier": "a-verifier-that-is-not-the-one-of-the-challenge-at-all-000"},
        {"redirect_uri": f"{URL}/console/other"},
        {"client_id": "another-client"},
    ],
)
def test_a_token_request_that_does_not_match_the_authorization_is_refused_and_burns_the_code(
    pool: dict[str, Any], change: dict[str, str]
) -> None:
    verifier, challenge = pkce()
    code = code_for(pool, challenge)

    refused = exchange(pool, code, verifier, **change)

    assert (refused.status, json.loads(refused.body)) == (400, {"error": "invalid_grant"})
    assert exchange(pool, code, verifier).status == 400  # single use, even when refused


def test_a_code_lives_five_minutes(pool: dict[str, Any]) -> None:
    verifier, challenge = pkce()
    code = code_for(pool, challenge)
    pool["now"].value += login.CODE_SECONDS + 1

    assert exchange(pool, code, verifier).status == 400


@pytest.mark.parametrize(
    "redirect_uri", ["https://evil.example/", f"{URL}/console/x", "http://localhost:3999/console/", ""]
)
def test_an_unregistered_redirect_uri_is_an_error_page_never_a_redirect(
    pool: dict[str, Any], redirect_uri: str
) -> None:
    _, challenge = pkce()
    form = authorize_form(pool["refs"]["UserPoolClient"], challenge, redirect_uri=redirect_uri)

    for method in ("GET", "POST"):
        reply = call(
            pool["login"],
            method,
            "/oauth2/authorize",
            {**form, "username": "ann@acme.example", "password": PASSWORD},
        )
        assert reply.status == 400 and reply.header("Location") is None
        assert b"redirect_mismatch" in reply.body


def test_an_unknown_client_is_an_error_page(pool: dict[str, Any]) -> None:
    _, challenge = pkce()

    reply = call(pool["login"], "GET", "/oauth2/authorize", authorize_form("no-such-client", challenge))

    assert reply.status == 400 and reply.header("Location") is None


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "openid aws.cognito.signin.user.admin"}, "invalid_scope"),
    ],
)
def test_without_pkce_or_with_another_flow_the_client_gets_an_error_back(
    pool: dict[str, Any], change: dict[str, str], error: str
) -> None:
    _, challenge = pkce()
    form = authorize_form(pool["refs"]["UserPoolClient"], challenge, **change)

    reply = call(pool["login"], "GET", "/oauth2/authorize", form)

    assert reply.status == 302
    query = parse_qs(urlsplit(str(reply.header("Location"))).query)
    assert query["error"] == [error] and query["state"] == ["s-123"] and "code" not in query


def test_a_wrong_password_shows_the_form_again_and_gives_no_code(pool: dict[str, Any]) -> None:
    _, challenge = pkce()
    form = authorize_form(
        pool["refs"]["UserPoolClient"], challenge, username="ann@acme.example", password="nope"
    )

    reply = call(pool["login"], "POST", "/oauth2/authorize", form)

    assert reply.status == 200 and reply.header("Location") is None
    assert b"Incorrect username or password." in reply.body
    assert b'value="ann@acme.example"' in reply.body  # what the user typed is kept


def test_an_invited_user_sets_a_new_password_on_the_first_sign_in(pool: dict[str, Any]) -> None:
    idp, refs = pool["idp"], pool["refs"]
    idp.admin_create_user(
        UserPoolId=refs["UserPool"],
        Username="bo@acme.example",
        TemporaryPassword="Temp-Passw0rd!",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "bo@acme.example"},
            {"Name": "custom:org_id", "Value": "acme"},
        ],
    )
    verifier, challenge = pkce()
    form = authorize_form(
        refs["UserPoolClient"], challenge, username="bo@acme.example", password="Temp-Passw0rd!"
    )

    asked = call(pool["login"], "POST", "/oauth2/authorize", form)
    assert asked.status == 200 and b'name="new_password"' in asked.body
    session = asked.body.split(b'name="session" value="')[1].split(b'"')[0].decode()
    done = call(
        pool["login"],
        "POST",
        "/oauth2/authorize",
        {**form, "session": session, "new_password": "Chosen-Passw0rd!"},
    )

    assert done.status == 302
    code = parse_qs(urlsplit(str(done.header("Location"))).query)["code"][0]
    assert exchange(pool, code, verifier).status == 200
    user = idp.admin_get_user(UserPoolId=refs["UserPool"], Username="bo@acme.example")
    assert user["UserStatus"] == "CONFIRMED"


def test_logout_returns_to_a_registered_logout_uri_only(pool: dict[str, Any]) -> None:
    client_id = pool["refs"]["UserPoolClient"]

    back = call(pool["login"], "GET", "/logout", {"client_id": client_id, "logout_uri": CONSOLE})
    elsewhere = call(
        pool["login"], "GET", "/logout", {"client_id": client_id, "logout_uri": "https://evil.example/"}
    )

    assert (back.status, back.header("Location")) == (302, CONSOLE)
    assert elsewhere.status == 400 and elsewhere.header("Location") is None


def test_other_paths_are_not_the_sign_in_pages(pool: dict[str, Any]) -> None:
    assert pool["login"].handle(gateway.Request("GET", "/pos")) is None
    assert call(pool["login"], "GET", "/oauth2/token").status == 405


# --- the console's files ----------------------------------------------------------------------------


def serve(path: str, method: str = "GET") -> gateway.Reply | None:
    return console.Console(URL, "client-1", storage="http://127.0.0.1:5555", api_key=CONSOLE_KEY).handle(
        gateway.Request(method, path)
    )


def test_the_console_is_served_under_its_prefix_with_the_distributions_headers() -> None:
    index = serve("/console/")
    script = serve("/console/js/app.js")

    assert index is not None and index.status == 200
    assert index.header("Content-Type") == "text/html; charset=utf-8"
    assert b'<main id="view"' in index.body
    assert script is not None and script.header("Content-Type") == "text/javascript; charset=utf-8"
    csp = str(index.header("Content-Security-Policy"))
    assert (
        "frame-ancestors 'none'" in csp and "http://localhost:3999" in csp and "http://127.0.0.1:5555" in csp
    )
    assert index.header("X-Content-Type-Options") == "nosniff"
    root = serve("/")
    assert root is not None and (root.status, root.header("Location")) == (302, "/console/")


def test_config_json_points_the_console_at_the_api_on_another_origin_and_the_local_sign_in() -> None:
    reply = serve("/console/config.json")

    assert reply is not None
    assert json.loads(reply.body) == {
        "apiUrl": "http://localhost:3999",
        "clientId": "client-1",
        "authorizeUrl": f"{URL}/oauth2/authorize",
        "tokenUrl": f"{URL}/oauth2/token",
        "logoutUrl": f"{URL}/logout",
        "redirectUri": CONSOLE,
        "apiKey": CONSOLE_KEY,  # the console sends it as x-api-key (web/js/api.js)
    }


@pytest.mark.parametrize("path", ["/console/publish.py", "/console/../template.yaml", "/console/js/none.js",
                                  "/console/%2e%2e/template.yaml"])  # fmt: skip
def test_nothing_but_the_consoles_own_files_is_served(path: str) -> None:
    reply = serve(path)

    assert reply is not None and reply.status == 404


def test_the_console_is_read_only_and_other_paths_are_not_its_own() -> None:
    posted = serve("/console/index.html", "POST")

    assert posted is not None and posted.status == 405
    assert serve("/pos") is None


def test_the_distributions_urls_in_the_template_are_the_local_consoles() -> None:
    assert console.local_url(f"https://{cloud.LOCAL_DISTRIBUTION_DOMAIN}/", URL) == CONSOLE
    assert console.local_url("https://elsewhere.example/", URL) == "https://elsewhere.example/"


def test_an_invitation_emails_a_temporary_password_that_signs_in_once_to_choose_a_new_one(
    pool: dict[str, Any],
) -> None:
    from local import ses_local

    idp, refs = pool["idp"], pool["refs"]
    before = len(ses_local.sent_messages())
    attributes = [{"Name": "email", "Value": "cy@acme.example"}, {"Name": "custom:org_id", "Value": "acme"}]
    idp.admin_create_user(  # as the users API invites (no MessageAction: Cognito emails the user)
        UserPoolId=refs["UserPool"],
        Username="cy@acme.example",
        UserAttributes=attributes,
        DesiredDeliveryMediums=["EMAIL"],
    )

    (sent,) = ses_local.sent_messages()[before:]
    invitation = ses_local.as_email(sent, "2026-12-02T00:00:00Z")
    assert (invitation["to"], invitation["from"]) == ("cy@acme.example", "purchase-orders@local.test")
    password = invitation["text"].split("temporary password: ")[1].split()[0]
    user = idp.admin_get_user(UserPoolId=refs["UserPool"], Username="cy@acme.example")
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    _, challenge = pkce()
    form = authorize_form(refs["UserPoolClient"], challenge, username="cy@acme.example", password=password)
    asked = call(pool["login"], "POST", "/oauth2/authorize", form)
    assert b'name="new_password"' in asked.body  # the temporary password works once, to choose one

    idp.admin_create_user(
        UserPoolId=refs["UserPool"], Username="dee@acme.example", MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "dee@acme.example"}],
    )  # fmt: skip
    assert len(ses_local.sent_messages()) == before + 1  # SUPPRESS: no email
