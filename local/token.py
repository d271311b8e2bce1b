"""`make token`: a real ID token from the local cloud's user pool (moto's Cognito).

    python -m local.token --org acme --email buyer@acme.test --role buyer    (or `make token ...`)

prints only the token. Against the running local cloud (`make dev`; it says where in its state
directory, `local.stack`), it makes sure the org is in the registry (created on the fly with
customer POs on), and the user is in the template's user pool with the org in `custom:org_id` and
exactly the given roles as groups (created, or reused), gives the user a fresh password (random, or
`--password`'s: then the user can sign in to the web console with it), signs in
with InitiateAuth (USER_PASSWORD_AUTH, which the local stack's app client allows: the
`PasswordSignIn` parameter) and prints the ID token Cognito issued. The local gateway verifies
it against the pool's JWKS as API Gateway's Cognito authorizer does. A user of another org is
refused: one account belongs to one org.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys

import boto3

from local import cloud, cognito, stack, template

ROLES = ("buyer", "approver", "admin")
_ORG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CREATED_BY = "local:make-token"


def connect(running: stack.Stack) -> None:
    """Point this process (boto3, and the shared layer's settings) at the local stack."""
    cloud.use_endpoint(running.endpoint)
    os.environ["TABLE_NAME"] = running.outputs["TableName"]
    os.environ["USER_POOL_ID"] = running.outputs["UserPoolId"]


def password() -> str:
    """Random, and within the pool's password policy (length, lower, upper, digit, symbol)."""
    return secrets.token_urlsafe(24) + "aA1!"


def issue(org: str, email: str, roles: list[str], running: stack.Stack, secret: str | None = None) -> str:
    """The ID token of `email` in `org` with `roles`, creating what is missing on the way. With
    `secret`, that becomes the user's password (to sign in to the web console with), else a
    random one."""
    connect(running)
    # after connect: the shared layer reads its settings once
    from purchasing.data import org_repository, user_pool
    from purchasing.domain.orgs import Role
    from purchasing.services import users_service

    wanted = [Role(role) for role in roles]
    if org_repository.get_org(org) is None:
        users_service.register_org(org, org, customer_pos=True)
    found = user_pool.find_user(email)
    if found is None:
        users_service.add_user(org, email, wanted, CREATED_BY, invite=False)
    else:
        sub, username, user_org, current = found
        if user_org != org:
            raise SystemExit(f"{email} is a user of org {user_org!r}, not {org!r}: one account, one org")
        user_pool.set_roles(username, current, wanted)
        users_service.record_user(org, sub, email, wanted, username, CREATED_BY)
    secret = secret or password()
    user_pool.set_password(email, secret)  # the pool takes the email for the username
    client = boto3.client("cognito-idp", region_name=template.REGION)
    return cognito.sign_in(client, running.outputs["UserPoolClientId"], email, secret)


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
    return value.strip().lower()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.token",
        description="Print an ID token of the local cloud's user pool (the user is made if missing).",
    )
    parser.add_argument("--org", required=True, type=_org, help="organization id (custom:org_id)")
    parser.add_argument("--email", required=True, type=_email, help="the user's email")
    parser.add_argument(
        "--role", required=True, type=_roles, help="buyer, approver or admin (or several: buyer,admin)"
    )
    parser.add_argument(
        "--password", help="set this as the user's password (to sign in to the console); default: random"
    )
    args = parser.parse_args(argv)
    token = issue(args.org, args.email, args.role, stack.read(), args.password)
    sys.stdout.write(token + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
