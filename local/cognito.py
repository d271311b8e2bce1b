"""The template's user pool on moto's Cognito, and the check API Gateway's Cognito authorizer makes.

The local cloud creates the pool, its app client and its groups from template.yaml's own
properties (`local.cloud.CREATORS`). `make token` (local.token) signs users in against that pool and prints
the ID token Cognito issued; the local gateway verifies each bearer token with `Verifier`, as the
authorizer does: an RS256 signature by a key of the pool's JWKS (fetched from the pool's
`/.well-known/jwks.json`), the pool as issuer, one of the pool's app clients as audience,
`token_use` "id" and an expiry still ahead. Anything else is a 401.

moto does not check an app client's ExplicitAuthFlows when it signs a user in; `apply_fixes`
makes it, so a flow the template leaves off fails locally as in AWS. Nor does moto invite: an
AdminCreateUser without a temporary password leaves the user with none and sends nothing. As
Cognito does, `apply_fixes` gives the user a random temporary password (the pool's password
policy holds) and emails the invitation through SES from the pool's `EmailConfiguration.From`,
so it lands in the local outbox; the user sets their own password at the first sign-in (the
console's sign-in page asks). MessageAction SUPPRESS sends nothing; RESEND sends a new one.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from functools import wraps
from typing import Any

import jwt

from local import template
from purchasing.api.auth import principal_from_claims
from purchasing.domain.errors import Unauthenticated

ID_TOKEN_USE = "id"


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired, or not an ID token of this pool."""


# --- verification, as the Cognito authorizer does it ------------------------------------------------


def issuer(pool_id: str) -> str:
    return f"https://cognito-idp.{template.REGION}.amazonaws.com/{pool_id}"


def jwks_from(endpoint: str, pool_id: str) -> Callable[[], dict[str, Any]]:
    """Reads the pool's JWKS from the Cognito endpoint (moto's, locally) on each call."""

    def fetch() -> dict[str, Any]:
        url = f"{endpoint.rstrip('/')}/{pool_id}/.well-known/jwks.json"
        with urllib.request.urlopen(url, timeout=10) as response:
            return dict(json.loads(response.read()))

    return fetch


class Verifier:
    """Verifies ID tokens of one pool; its keys are read once and again for an unknown `kid`."""

    def __init__(self, pool_id: str, client_ids: list[str], jwks: Callable[[], dict[str, Any]]) -> None:
        self.issuer = issuer(pool_id)
        self.client_ids = list(client_ids)
        self._jwks = jwks
        self._keys: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        if header.get("alg") != "RS256":
            raise InvalidToken(f"alg {header.get('alg')!r} is not RS256")
        key = self._key(str(header.get("kid") or ""))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer,
                audience=self.client_ids,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"]},
            )
            principal_from_claims(claims)  # the claims the handlers insist on, as strictly as they do
        except (jwt.PyJWTError, Unauthenticated, ValueError, OverflowError, TypeError) as error:
            raise InvalidToken(str(error)) from error  # exp of 1e300 or inf: a 401, never a 500
        if claims.get("token_use") != ID_TOKEN_USE:
            raise InvalidToken(f"token_use is {claims.get('token_use')!r}, not an ID token")
        return dict(claims)

    def authorize(self, authorization: str | None) -> dict[str, str]:
        """The claims API Gateway hands the handler for this Authorization header."""
        return authorizer_claims(self(bearer(authorization)))

    def _key(self, kid: str) -> Any:
        with self._lock:
            if kid not in self._keys:
                keys = self._jwks().get("keys", [])
                self._keys = {str(jwk["kid"]): jwt.PyJWK(jwk).key for jwk in keys if "kid" in jwk}
            if kid not in self._keys:
                raise InvalidToken(f"no key {kid!r} in the pool's JWKS")
            return self._keys[kid]


def bearer(authorization: str | None) -> str:
    """The token from an Authorization header: "Bearer <jwt>", or the bare JWT Cognito also takes."""
    value = (authorization or "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    if not value:
        raise InvalidToken("no token")
    return value


def authorizer_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims the way API Gateway's Cognito authorizer puts them in `requestContext.authorizer`."""
    rendered: dict[str, str] = {}
    for key, value in claims.items():
        if isinstance(value, list):
            rendered[key] = ",".join(str(item) for item in value)
        elif isinstance(value, bool):
            rendered[key] = str(value).lower()
        elif key in ("iat", "exp", "auth_time") and isinstance(value, int | float):
            # API Gateway renders the time claims as dates, e.g. "Fri Nov 21 07:40:00 UTC 2025".
            rendered[key] = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
        else:
            rendered[key] = str(value)
    return rendered


# --- signing in, for `make token` and the tests ------------------------------------------------------


def sign_in(cognito: Any, client_id: str, email: str, password: str) -> str:
    """The ID token InitiateAuth (USER_PASSWORD_AUTH) returns for a confirmed user."""
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    if "AuthenticationResult" not in result:
        raise RuntimeError(f"sign-in asked for {result.get('ChallengeName')}, not answered here")
    return str(result["AuthenticationResult"]["IdToken"])


# --- moto, as strict as Cognito ----------------------------------------------------------------------

_applied = False


def apply_fixes() -> None:
    """Idempotent: InitiateAuth refuses a flow the app client's ExplicitAuthFlows leave off."""
    global _applied
    if _applied:
        return
    from moto.cognitoidp import models

    backend = models.CognitoIdpBackend
    original = backend.initiate_auth

    @wraps(original)
    def initiate_auth(self: Any, client_id: str, auth_flow: str, auth_parameters: dict[str, str]) -> Any:
        for pool in self.user_pools.values():
            client = pool.clients.get(client_id)
            if client is None:
                continue
            flows = client.extended_config.get("ExplicitAuthFlows") or []
            refresh = auth_flow.startswith("REFRESH_TOKEN")
            wanted = "ALLOW_REFRESH_TOKEN_AUTH" if refresh else f"ALLOW_{auth_flow}"
            if wanted not in flows:
                raise models.InvalidParameterException(f"{auth_flow} flow not enabled for this client")
        return original(self, client_id, auth_flow, auth_parameters)

    backend.initiate_auth = initiate_auth  # type: ignore[method-assign]
    create_user = backend.admin_create_user

    @wraps(create_user)
    def admin_create_user(
        self: Any,
        user_pool_id: str,
        username: str,
        message_action: str,
        temporary_password: str,
        attributes: Any,
    ) -> Any:
        invite = message_action != "SUPPRESS"
        secret = temporary_password or (temporary() if invite else temporary_password)
        user = create_user(self, user_pool_id, username, message_action, secret, attributes)
        if message_action == "RESEND":
            user.password = secret
        if invite:
            send_invitation(self.describe_user_pool(user_pool_id), user, secret)
        return user

    backend.admin_create_user = admin_create_user  # type: ignore[method-assign]
    _applied = True


def temporary() -> str:
    """A temporary password as Cognito makes one: random, and within any password policy."""
    return secrets.token_urlsafe(12) + "aA1!"


INVITATION = """Hello {email},

You have been invited to the purchase-order service. Sign in with:

  username: {email}
  temporary password: {password}

You will choose your own password at the first sign-in.
"""


def send_invitation(pool: Any, user: Any, password: str) -> None:
    """The invitation email Cognito sends (DEVELOPER email sending: through SES, from the pool's
    From address), into moto's SES and so into the local outbox."""
    from moto.ses.exceptions import MessageRejectedError
    from moto.ses.models import ses_backends

    attributes = {attribute["Name"]: attribute["Value"] for attribute in user.attributes}
    recipient = attributes.get("email")
    if not recipient:
        return
    settings = pool.extended_config.get("EmailConfiguration") or {}
    if settings.get("EmailSendingAccount") != "DEVELOPER" or not settings.get("From"):
        return  # Cognito's own mail service sends it: no SES, nothing the local outbox sees
    sender = str(settings["From"])
    message = EmailMessage()
    message["From"], message["To"] = sender, recipient
    message["Subject"] = "Your temporary password"
    message.set_content(INVITATION.format(email=recipient, password=password))
    try:
        ses_backends[template.ACCOUNT][template.REGION].send_raw_email(
            sender, [recipient], message.as_string()
        )
    except MessageRejectedError:
        # no verified identity: only where the pool runs without the template's SES (AWS refuses
        # such a pool's email configuration when it is created, before any user is)
        pass
