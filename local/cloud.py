"""The embedded AWS: moto in server mode, and the template's resources created in it.

Resources come from template.yaml itself through `CREATORS` (resource type -> creator, run in
that order), so the local cloud cannot drift from what `sam deploy` creates. A type without a
creator is left out on purpose: functions run in process (see `local.gateway`), Cognito is
replaced by locally signed tokens (`local.token`), log groups and layers have no local meaning.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import boto3
from moto.server import ThreadedMotoServer

from local import moto_fixes, template

STACK = "purchase-orders-local"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


class Clients(Protocol):
    """Where creators get their boto3 clients: the embedded moto, or `mock_aws` in tests."""

    def client(self, service: str) -> Any: ...


@dataclass
class Moto:
    """moto's server on a loopback port, running in a thread of this process."""

    server: ThreadedMotoServer
    endpoint: str

    def client(self, service: str) -> Any:
        factory: Any = boto3.client  # any service by name: past the stubs' per-service overloads
        return factory(
            service,
            endpoint_url=self.endpoint,
            region_name=template.REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def stop(self) -> None:
        self.server.stop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def start_moto(host: str = "127.0.0.1") -> Moto:
    """Start moto on a free port with Step Functions really executing state machines.

    moto's state-machine tasks call AWS back at localhost:$MOTO_PORT, so MOTO_PORT is set to the
    chosen port before the server starts.
    """
    moto_fixes.apply()
    port = free_port(host)
    os.environ["MOTO_PORT"] = str(port)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    # start() waits, without a timeout, for a bind that happens in moto's own thread: bound it.
    starter = threading.Thread(target=server.start, daemon=True)
    starter.start()
    starter.join(timeout=30)
    if starter.is_alive():
        raise RuntimeError(f"moto did not start on {host}:{port}")
    moto = Moto(server=server, endpoint=f"http://{host}:{port}")
    # moto's state lives in the process: a local cloud started again in it starts empty too.
    _moto_api(moto.endpoint, "reset")
    _moto_api(moto.endpoint, "config", {"stepfunctions": {"execute_state_machine": True}})
    return moto


def _moto_api(endpoint: str, action: str, body: dict[str, Any] | None = None) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/{action}",
        data=json.dumps(body or {}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def use_endpoint(endpoint: str) -> None:
    """Point every AWS SDK client made in this process (the handlers' too) at the embedded AWS."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ["AWS_REGION"] = template.REGION
    os.environ["AWS_DEFAULT_REGION"] = template.REGION
    os.environ.update(FAKE_CREDENTIALS)
    for key in [key for key in os.environ if key.startswith("AWS_ENDPOINT_URL_")]:
        del os.environ[key]  # a per-service override would send that service elsewhere
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        os.environ.pop(key, None)


# --- resources ----------------------------------------------------------------------------------


def physical_name(logical_id: str) -> str:
    """A deterministic local name; CloudFormation would add a random suffix."""
    return f"{STACK}-{logical_id}"


@dataclass
class Created:
    """What `Ref` returns for the resource, and its `Fn::GetAtt` attributes."""

    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


# (clients, logical id, properties, Ref values of the resources created so far) -> the new resource
Creator = Callable[[Clients, str, dict[str, Any], dict[str, str]], Created]


def create_table(aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]) -> Created:
    name = str(template.resolve(props.get("TableName"), names) or physical_name(logical_id))
    dynamodb = aws.client("dynamodb")
    table = dynamodb.create_table(**template.table_definition(logical_id, name))["TableDescription"]
    ttl = template.ttl_attribute(logical_id)
    if ttl:
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl}
        )
    attributes = {"Arn": table["TableArn"]}
    if table.get("LatestStreamArn"):
        attributes["StreamArn"] = table["LatestStreamArn"]
    return Created(ref=name, attributes=attributes)


# Run in this order: a later creator may refer to what an earlier one made (through `names`).
CREATORS: dict[str, Creator] = {
    "AWS::DynamoDB::Table": create_table,
}


@dataclass
class Resources:
    created: dict[str, Created] = field(default_factory=dict)

    @property
    def names(self) -> dict[str, str]:
        """Logical id -> Ref value: what resolves the functions' environment."""
        return {logical_id: created.ref for logical_id, created in self.created.items()}


def create_resources(aws: Clients) -> Resources:
    resources = Resources()
    for resource_type, creator in CREATORS.items():
        for logical_id, props in template.resources(resource_type).items():
            resources.created[logical_id] = creator(aws, logical_id, props, resources.names)
    return resources
