"""`make org`: create an org in the registry and its first admin, or switch its features.

    python -m local.org --org acme --name "Acme Ltd" --admin ann@acme.example [--customer-pos on|off]
    python -m local.org --org acme --customer-pos on --stack purchase-orders-prod

Against the running local cloud by default; with `--stack`, against that deployed stack, with
the caller's own AWS credentials (the stack's outputs name its table and user pool). This is the
operator's command: no API sets what is switched on for an org. The admin is created in the user
pool with the org in `custom:org_id` and the admin group, and Cognito emails them an invitation
(a temporary password) from the stack's sender; an existing account of the same org is given
the admin role, one of another org is refused. Prints the org, and the admin, as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any

import boto3

from local import stack, token

_ORG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def connect_to_deployed(name: str) -> None:
    """Point the shared layer at a deployed stack's table and user pool (its outputs)."""
    found = boto3.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in found.get("Outputs", [])}
    os.environ["TABLE_NAME"] = outputs["TableName"]
    os.environ["USER_POOL_ID"] = outputs["UserPoolId"]


def run(org_id: str, name: str | None, admin: str | None, customer_pos: bool | None) -> dict[str, Any]:
    # after connecting: the shared layer reads its settings once
    from purchasing.data import org_repository, user_pool
    from purchasing.domain.orgs import Role
    from purchasing.services import users_service

    existing = org_repository.get_org(org_id)
    if existing is None and not name:
        raise SystemExit(f"org {org_id} is not in the registry yet: give it a NAME")
    if name:
        org = users_service.register_org(org_id, name, customer_pos=customer_pos)
    elif customer_pos is not None:
        org = users_service.set_customer_pos(org_id, customer_pos)
    else:
        org = existing  # type: ignore[assignment]
    result: dict[str, Any] = {"org": org.model_dump(mode="json", by_alias=True)}
    if admin:
        found = user_pool.find_user(admin)
        if found is None:
            user = users_service.add_user(org_id, admin, [Role.ADMIN], users_service.OPERATOR)
        else:
            sub, username, user_org, roles = found
            if user_org != org_id:
                raise SystemExit(f"{admin} is a user of org {user_org!r}: one account, one org")
            wanted = [*roles, Role.ADMIN] if Role.ADMIN not in roles else roles
            user_pool.set_roles(username, roles, wanted)
            user = users_service.record_user(org_id, sub, admin, wanted, username, users_service.OPERATOR)
        result["admin"] = user.model_dump(mode="json", by_alias=True)
    return result


def _switch(value: str) -> bool:
    if value.lower() not in ("on", "off"):
        raise argparse.ArgumentTypeError(f"on or off, not {value!r}")
    return value.lower() == "on"


def _org(value: str) -> str:
    if not _ORG.match(value):
        raise argparse.ArgumentTypeError(f"org must be 1-64 letters, digits, '_' or '-', not {value!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.org", description=__doc__.split("\n\n")[0])
    parser.add_argument("--org", required=True, type=_org, help="the org's id (custom:org_id of its users)")
    parser.add_argument("--name", help="the org's name (required to create it)")
    parser.add_argument("--admin", type=token._email, help="email of an admin to create (or promote)")
    parser.add_argument("--customer-pos", type=_switch, help="on or off: customer POs on orders")
    parser.add_argument("--stack", help="a deployed stack's name (default: the local cloud)")
    args = parser.parse_args(argv)
    if args.stack:
        connect_to_deployed(args.stack)
    else:
        token.connect(stack.read())
    print(json.dumps(run(args.org, args.name, args.admin, args.customer_pos), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
