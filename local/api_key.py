"""`make api-key`: give a client (another app, an integration, a script) an API key of its own.

    python -m local.api_key --client acme-erp                      make api-key CLIENT=acme-erp
    python -m local.api_key --stack purchase-orders-prod --client acme-erp

Every route a user's token opens also needs an API key (`x-api-key`) in the stack's usage plan
(template.yaml: ClientUsagePlan), which throttles each key on its own (ClientThrottlingRateLimit,
ClientThrottlingBurstLimit): one busy client is answered 429 while the others go on. This creates
an enabled key named for the client, adds it to that plan and prints it as JSON (its `value` is
what the client sends). Against the running local cloud (`make dev`; --url) or, with --stack, a
deployed stack with the AWS credentials of the environment, through the same code as `make
recompute` (`local.repair`'s targets). A client that already has a key in the plan is refused:
disable or delete the old one first (`aws apigateway delete-api-key`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from local import repair

PLAN = "ClientUsagePlan"
_CLIENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def create(target: repair.Target, client: str) -> dict[str, Any]:
    """A new enabled key named `client` in the stack's client usage plan: its id, name and value."""
    apigateway, plan = target.client("apigateway"), target.physical(PLAN)
    taken = apigateway.get_usage_plan_keys(usagePlanId=plan, nameQuery=client).get("items", [])
    if any(key["name"] == client for key in taken):
        raise SystemExit(f"client {client!r} has a key in the usage plan already: delete it first")
    key = apigateway.create_api_key(name=client, description=f"API client {client}", enabled=True)
    apigateway.create_usage_plan_key(usagePlanId=plan, keyId=key["id"], keyType="API_KEY")
    return {"client": client, "id": key["id"], "value": key["value"], "usagePlanId": plan}


def _client(value: str) -> str:
    if not _CLIENT.match(value):
        raise argparse.ArgumentTypeError(f"1-64 letters, digits, '.', '_' or '-', not {value!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.api_key", description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", default="http://127.0.0.1:3000", help="the local cloud (make dev)")
    where.add_argument("--stack", help="a deployed stack's name (AWS credentials from the environment)")
    parser.add_argument("--client", required=True, type=_client, help="the client's name (the key's)")
    args = parser.parse_args(argv)
    target = repair.stack_target(args.stack) if args.stack else repair.local_target(args.url)
    print(json.dumps(create(target, args.client), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
