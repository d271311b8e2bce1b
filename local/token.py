"""Local sign-in: JWTs that stand in for Cognito ID tokens, and the check the local gateway makes.

    python -m local.token --org acme --email buyer@acme.test --role buyer    (or `make token ...`)

prints only the token. It is signed HS256 with a secret kept in the local cloud's state
directory (`.local-cloud/` at the repository root, or `$LOCAL_CLOUD_DIR`), created on first use,
so the running local cloud accepts it. The gateway verifies signature, expiry and issuer, then
hands the claims to the handler the way API Gateway's Cognito authorizer does: every value a
string, `cognito:groups` as "a,b".
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import jwt

from local.template import ROOT

ISSUER = "urn:purchase-orders:local-cloud"
AUDIENCE = "purchase-orders-local"
ALGORITHM = "HS256"
ROLES = ("buyer", "approver", "admin")
DEFAULT_HOURS = 12.0
SECRET_FILE = "jwt-secret"
_ORG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SUB_NAMESPACE = uuid.UUID("7c1d3c52-1f0e-4a8e-9a55-5b0b6f3f2c10")


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or not issued by this local cloud."""


def state_dir() -> Path:
    """Where the local cloud keeps what must survive a restart (today only the signing secret)."""
    return Path(os.environ.get("LOCAL_CLOUD_DIR") or ROOT / ".local-cloud")


def signing_secret(directory: Path | None = None) -> bytes:
    """The local signing secret, created (0600) by whichever of the CLI or the cloud runs first."""
    directory = directory or state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / SECRET_FILE
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
    secret = path.read_text().strip()
    if not secret:
        raise RuntimeError(f"{path} is empty: delete it and a new secret is made")
    return secret.encode()


def subject_for(email: str) -> str:
    """A stable user id per email, as Cognito keeps one `sub` per user."""
    return str(uuid.uuid5(_SUB_NAMESPACE, email.strip().lower()))


def mint(
    *,
    org: str,
    email: str,
    roles: list[str],
    secret: bytes,
    hours: float = DEFAULT_HOURS,
    now: float | None = None,
) -> str:
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": subject_for(email),
        "email": email,
        "email_verified": True,
        "custom:org_id": org,
        "cognito:groups": list(roles),
        "token_use": "id",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": issued,
        "auth_time": issued,
        "exp": issued + int(hours * 3600),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(token: str, secret: bytes) -> dict[str, Any]:
    """The token's claims, if this local cloud signed it and it has not expired."""
    try:
        return dict(
            jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                audience=AUDIENCE,
                options={"require": ["exp", "iat", "iss", "sub"]},
                leeway=5,
            )
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error


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


def _roles(value: str) -> list[str]:
    roles = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [role for role in roles if role not in ROLES]
    if not roles or unknown:
        raise argparse.ArgumentTypeError(
            f"role must be one of {', '.join(ROLES)} (several separated by commas), not {value!r}"
        )
    return roles


def _org(value: str) -> str:
    if not _ORG.match(value):
        raise argparse.ArgumentTypeError(f"org must be 1-64 letters, digits, '_' or '-', not {value!r}")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value.strip()):
        raise argparse.ArgumentTypeError(f"not an email address: {value!r}")
    return value.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.token",
        description="Print a JWT the local cloud accepts (a stand-in for a Cognito ID token).",
    )
    parser.add_argument("--org", required=True, type=_org, help="organization id (custom:org_id)")
    parser.add_argument("--email", required=True, type=_email, help="the user's email")
    parser.add_argument(
        "--role", required=True, type=_roles, help="buyer, approver or admin (or several: buyer,admin)"
    )
    parser.add_argument("--hours", type=float, default=DEFAULT_HOURS, help="validity (default 12)")
    args = parser.parse_args(argv)
    if args.hours <= 0:
        parser.error("--hours must be positive")
    token = mint(org=args.org, email=args.email, roles=args.role, secret=signing_secret(), hours=args.hours)
    sys.stdout.write(token + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
