"""A stand-in for Cognito's managed login, on the local user pool (moto's Cognito).

The console signs in with the OAuth 2.0 authorization-code flow and PKCE, as against the user
pool's domain in AWS (template.yaml: UserPoolDomain, the app client's OAuth settings):

- `GET /oauth2/authorize?response_type=code&client_id&redirect_uri&state&code_challenge
  &code_challenge_method=S256[&scope]` shows a sign-in form (email and password);
- its POST signs the user in against the pool with their real password (InitiateAuth), answers
  a first sign-in's NEW_PASSWORD_REQUIRED with a form for the new one, and redirects to
  `redirect_uri?code=...&state=...`;
- `POST /oauth2/token` (form-encoded: grant_type=authorization_code, code, client_id,
  redirect_uri, code_verifier) gives the ID, access and refresh tokens the pool issued;
- `GET /logout?client_id&logout_uri` redirects to the logout URI.

As strict as Cognito: the client must be an app client of the pool with the code flow; the
redirect and logout URIs must be among its registered ones (the template's, through
`console.local_url`), or no redirect happens at all; PKCE is required (S256), codes are single
use and live five minutes, and the token request must name the same client and redirect URI.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from local.gateway import Reply, Request

CODE_SECONDS = 300  # Cognito's authorization codes are valid for five minutes
PATHS = ("/oauth2/authorize", "/oauth2/token", "/logout")
_AUTHORIZE_FIELDS = ("response_type", "client_id", "redirect_uri", "state", "code_challenge",
                     "code_challenge_method", "scope")  # fmt: skip


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    tokens: dict[str, Any]
    expires: float


@dataclass
class Login:
    cognito: Any  # a boto3 cognito-idp client on the embedded AWS
    pool_id: str
    local_url: Callable[[str], str]  # a registered URL as it is on this machine
    clock: Callable[[], float] = time.monotonic
    _codes: dict[str, Grant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: Request) -> Reply | None:
        target = urlsplit(request.target)
        if target.path not in PATHS:
            return None
        form = dict(parse_qsl(target.query, keep_blank_values=True))
        if request.method == "POST":
            form.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        elif request.method not in ("GET", "HEAD"):
            return _page(405, "Method not allowed", f"<p>{target.path} takes GET or POST.</p>")
        if target.path == "/oauth2/token":
            return self.token(form) if request.method == "POST" else _error(405, "invalid_request")
        if target.path == "/logout":
            return self.logout(form)
        return self.authorize(form, request.method == "POST")

    # -- the registered client

    def client(self, client_id: str) -> dict[str, Any] | None:
        if not client_id:
            return None
        try:
            found = self.cognito.describe_user_pool_client(UserPoolId=self.pool_id, ClientId=client_id)
        except self.cognito.exceptions.ResourceNotFoundException:
            return None
        return dict(found["UserPoolClient"])

    def registered(self, client: dict[str, Any], key: str, uri: str) -> bool:
        return uri in {self.local_url(str(value)) for value in client.get(key) or []}

    # -- /oauth2/authorize

    def authorize(self, form: dict[str, str], posted: bool) -> Reply:
        client = self.client(form.get("client_id", ""))
        if client is None:
            return _page(400, "Sign-in failed", "<p>An error was encountered: invalid client_id.</p>")
        redirect = form.get("redirect_uri", "")
        if not self.registered(client, "CallbackURLs", redirect):
            return _page(400, "Sign-in failed", "<p>An error was encountered: redirect_mismatch.</p>")
        refused = _refusal(client, form)
        if refused:  # the redirect URI is the client's: errors go back to it, as OAuth says
            return _redirect(redirect, {"error": refused[0], "error_description": refused[1], **_state(form)})
        if not posted:
            return _form(form)
        try:
            tokens = self.sign_in(form)
        except SignInError as error:
            return _form(form, str(error), new_password=error.session)
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = Grant(
                form["client_id"], redirect, form["code_challenge"], tokens, self.clock() + CODE_SECONDS
            )
        return _redirect(redirect, {"code": code, **_state(form)})

    def sign_in(self, form: dict[str, str]) -> dict[str, Any]:
        """The pool's tokens for the form's email and password (or the new password it asked for)."""
        errors = self.cognito.exceptions
        try:
            if form.get("session"):
                result = self.cognito.respond_to_auth_challenge(
                    ClientId=form["client_id"],
                    ChallengeName="NEW_PASSWORD_REQUIRED",
                    Session=form["session"],
                    ChallengeResponses={
                        "USERNAME": form.get("username", ""),
                        "NEW_PASSWORD": form.get("new_password", ""),
                    },  # fmt: skip
                )
            else:
                result = self.cognito.initiate_auth(
                    ClientId=form["client_id"],
                    AuthFlow="USER_PASSWORD_AUTH",
                    AuthParameters={
                        "USERNAME": form.get("username", ""),
                        "PASSWORD": form.get("password", ""),
                    },
                )
        except (errors.NotAuthorizedException, errors.UserNotFoundException):
            raise SignInError("Incorrect username or password.") from None
        except (errors.InvalidPasswordException, errors.InvalidParameterException) as error:
            raise SignInError(error.response["Error"]["Message"], form.get("session")) from None
        if result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            raise SignInError("Please set a new password: this was a temporary one.", result["Session"])
        if "AuthenticationResult" not in result:
            raise SignInError(f"{result.get('ChallengeName')} is not available on the local sign-in page.")
        return dict(result["AuthenticationResult"])

    # -- /oauth2/token

    def token(self, form: dict[str, str]) -> Reply:
        if form.get("grant_type") != "authorization_code":
            return _error(400, "unsupported_grant_type")
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # single use, even when refused below
        if grant is None or grant.expires < self.clock():
            return _error(400, "invalid_grant")
        if form.get("client_id") != grant.client_id or form.get("redirect_uri") != grant.redirect_uri:
            return _error(400, "invalid_grant")
        if _s256(form.get("code_verifier", "")) != grant.challenge:
            return _error(400, "invalid_grant")
        tokens = grant.tokens
        body = {
            "id_token": tokens["IdToken"],
            "access_token": tokens["AccessToken"],
            "refresh_token": tokens.get("RefreshToken"),
            "expires_in": int(tokens.get("ExpiresIn") or 3600),
            "token_type": "Bearer",
        }
        return Reply(200, [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                     json.dumps(body).encode())  # fmt: skip

    # -- /logout

    def logout(self, form: dict[str, str]) -> Reply:
        client = self.client(form.get("client_id", ""))
        uri = form.get("logout_uri", "")
        if client is None or not self.registered(client, "LogoutURLs", uri):
            return _page(400, "Sign-out failed", "<p>An error was encountered: invalid logout_uri.</p>")
        return Reply(302, [("Location", uri), ("Cache-Control", "no-store")])


class SignInError(Exception):
    def __init__(self, message: str, session: str | None = None) -> None:
        super().__init__(message)
        self.session = session


def _refusal(client: dict[str, Any], form: dict[str, str]) -> tuple[str, str] | None:
    if form.get("response_type") != "code":
        return "unsupported_response_type", "response_type must be code"
    if "code" not in (client.get("AllowedOAuthFlows") or []) or not client.get(
        "AllowedOAuthFlowsUserPoolClient"
    ):
        return "unauthorized_client", "the client may not use the code flow"
    if form.get("code_challenge_method") != "S256" or len(form.get("code_challenge", "")) < 43:
        return "invalid_request", "PKCE is required: code_challenge with code_challenge_method S256"
    scopes = set(form.get("scope", "openid").split())
    if not scopes <= set(client.get("AllowedOAuthScopes") or []):
        return "invalid_scope", "a scope the client is not allowed"
    return None


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _state(form: dict[str, str]) -> dict[str, str]:
    return {"state": form["state"]} if form.get("state") else {}


def _redirect(uri: str, query: dict[str, str]) -> Reply:
    return Reply(302, [("Location", f"{uri}{'&' if '?' in uri else '?'}{urlencode(query)}"),
                       ("Cache-Control", "no-store")])  # fmt: skip


def _error(status: int, error: str) -> Reply:
    return Reply(status, [("Content-Type", "application/json")], json.dumps({"error": error}).encode())


def _form(form: dict[str, str], message: str = "", new_password: str | None = None) -> Reply:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(form.get(name, ""))}">'
        for name in _AUTHORIZE_FIELDS
        if form.get(name)
    )
    username = html.escape(form.get("username", ""))
    if new_password:
        fields = (
            f'<input type="hidden" name="session" value="{html.escape(new_password)}">'
            f'<input type="hidden" name="username" value="{username}">'
            f"<p>Signed in as {username}.</p>"
            '<label for="new_password">New password</label>'
            '<input id="new_password" name="new_password" type="password"'
            ' autocomplete="new-password" required>'
        )
    else:
        fields = (
            '<label for="username">Email</label>'
            f'<input id="username" name="username" type="email" autocomplete="username" value="{username}"'
            " required>"
            '<label for="password">Password</label>'
            '<input id="password" name="password" type="password" autocomplete="current-password" required>'
        )
    alert = f'<p id="error" role="alert">{html.escape(message)}</p>' if message else ""
    body = (
        f'{alert}<form method="post" action="/oauth2/authorize">{hidden}{fields}'
        '<button id="sign-in" type="submit">Sign in</button></form>'
        "<p><small>Local stand-in for Cognito's managed login: the local user pool, your real password."
        "</small></p>"
    )
    return _page(200, "Sign in", body)


def _page(status: int, title: str, body: str) -> Reply:
    text = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} - Purchase orders</title><style>"
        "body{font:16px system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}"
        "label,input,button{display:block;width:100%;box-sizing:border-box;margin:.3rem 0}"
        "input,button{padding:.6rem;font:inherit}[role=alert]{color:#a00}"
        f"</style></head><body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Cache-Control", "no-store"),
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    ]
    return Reply(status, headers, text.encode())
