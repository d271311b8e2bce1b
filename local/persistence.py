"""What the local cloud keeps across a restart, in `.local-cloud/aws/` (`make dev-reset` removes it).

moto keeps its state in the process only. Here the data a user made is saved on stop (SIGTERM or
Ctrl-C) and every `PERIOD` seconds while running, and put back when the local cloud starts again,
after the template's resources are made and before anything runs:
- every table's items (put back with the table's stream detached: a restart is not a change, and the
  stream consumer must not run again on old items);
- every bucket's current objects, with their content type, metadata and version id (put back with
  the bucket's notifications off, so uploads are not ingested again);
- every secret's value (the approval link secret: links sent before a restart still verify);
- every user pool under its old id, its app clients under theirs, and its users (sub, attributes,
  password, status, enabled, groups) and refresh tokens: an ID token issued before a restart still
  verifies (moto signs with one fixed key, so the JWKS is the same) and `make token` finds the user;
- every API key (id, name, value, enabled) and the usage plans it is in: the console's key and those
  `make api-key` gave clients still work after a restart;
- every running execution of the state machines, with its callback tasks (`local.executions`): an
  approval round waiting on an approver goes on after a restart, on the same task token, so the
  link sent before completes it.
The outbox is files already, and the token secret a file of its own.
"""

from __future__ import annotations

import base64
import json
import shutil
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local import executions, template

if TYPE_CHECKING:
    from local.cloud import Moto, Resources

PERIOD = 30.0  # seconds between saves while running
DIRECTORY = "aws"


def directory() -> Path:
    from local.stack import state_dir

    return state_dir() / DIRECTORY


def _logical_ids(resource_type: str, resources: Resources) -> list[str]:
    return [logical for logical in template.resources(resource_type) if logical in resources.created]


def save(moto: Moto, resources: Resources, target: Path | None = None) -> None:
    """Everything listed above, written to a new directory that then replaces the old one whole."""
    final = target or directory()
    staging = final.with_name(final.name + ".saving")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    dynamodb, s3, secrets = moto.client("dynamodb"), moto.client("s3"), moto.client("secretsmanager")
    for logical in _logical_ids("AWS::DynamoDB::Table", resources):
        items: list[Any] = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=resources.refs[logical]):
            items += page["Items"]
        _write(staging / f"table-{logical}.json", items)
    for logical in _logical_ids("AWS::S3::Bucket", resources):
        bucket, objects = resources.refs[logical], []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for summary in page.get("Contents", []):
                got = s3.get_object(Bucket=bucket, Key=summary["Key"])
                objects.append(
                    {
                        "key": summary["Key"],
                        "body": base64.b64encode(got["Body"].read()).decode(),
                        "contentType": got.get("ContentType"),
                        "metadata": got.get("Metadata") or {},
                        "versionId": got.get("VersionId"),
                    }
                )
        _write(staging / f"bucket-{logical}.json", objects)
    for logical in _logical_ids("AWS::SecretsManager::Secret", resources):
        value = secrets.get_secret_value(SecretId=resources.refs[logical])["SecretString"]
        _write(staging / f"secret-{logical}.json", value)
    for logical in _logical_ids("AWS::Cognito::UserPool", resources):
        _write(staging / f"user-pool-{logical}.json", _user_pool(resources, logical))
    _write(staging / "api-keys.json", _api_keys(resources))
    running: set[str] = set()
    for logical in _state_machines(resources):
        saved = _running_executions(moto.client("stepfunctions"), resources.refs[logical])
        running |= {execution["arn"] for execution in saved}
        _write(staging / f"executions-{logical}.json", saved)
    executions.forget_all_but(running)
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)


def restore(moto: Moto, resources: Resources, source: Path | None = None) -> bool:
    """Put back what `save` wrote; False when there is nothing saved (a first start)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends

    found = source or directory()
    if not found.is_dir():
        return False
    dynamodb, s3, secrets = moto.client("dynamodb"), moto.client("s3"), moto.client("secretsmanager")
    for logical in _logical_ids("AWS::DynamoDB::Table", resources):
        name = resources.refs[logical]
        table = dynamodb_backends[template.ACCOUNT][template.REGION].tables[name]
        shard, table.stream_shard = table.stream_shard, None
        try:
            items = _read(found / f"table-{logical}.json", [])
            for start in range(0, len(items), 25):
                batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
                dynamodb.batch_write_item(RequestItems={name: batch})
        finally:
            table.stream_shard = shard
    backend = s3_backends[template.ACCOUNT]["aws"]
    for logical in _logical_ids("AWS::S3::Bucket", resources):
        name = resources.refs[logical]
        bucket = backend.buckets[name]
        notifications, bucket.notification_configuration = bucket.notification_configuration, None
        try:
            for saved in _read(found / f"bucket-{logical}.json", []):
                arguments: dict[str, Any] = {
                    "Bucket": name,
                    "Key": saved["key"],
                    "Metadata": saved["metadata"],
                }
                if saved.get("contentType"):
                    arguments["ContentType"] = saved["contentType"]
                s3.put_object(Body=base64.b64decode(saved["body"]), **arguments)
                made = backend.get_object(name, saved["key"])
                if made is not None and saved.get("versionId") not in (None, "null"):
                    made._version_id = saved["versionId"]  # the id links and items name
        finally:
            bucket.notification_configuration = notifications
    for logical in _logical_ids("AWS::SecretsManager::Secret", resources):
        value = _read(found / f"secret-{logical}.json", None)
        if value is not None:
            secrets.put_secret_value(SecretId=resources.refs[logical], SecretString=value)
    for logical in _logical_ids("AWS::Cognito::UserPool", resources):
        pool = _read(found / f"user-pool-{logical}.json", None)
        if pool is not None:
            _restore_user_pool(resources, logical, pool)
    _restore_api_keys(resources, _read(found / "api-keys.json", []))
    sfn = moto.client("stepfunctions")
    for logical in _state_machines(resources):
        for saved in _read(found / f"executions-{logical}.json", []):
            executions.resume(sfn, resources.refs[logical], saved)
    return True


def _state_machines(resources: Resources) -> list[str]:
    return [
        logical
        for kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
        for logical in _logical_ids(kind, resources)
    ]


def _running_executions(sfn: Any, state_machine_arn: str) -> list[dict[str, Any]]:
    saved = []
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=state_machine_arn, statusFilter="RUNNING"
    )
    for page in pages:
        for listed in page["executions"]:
            described = sfn.describe_execution(executionArn=listed["executionArn"])
            arn = listed["executionArn"]
            saved.append(
                {
                    "arn": arn,
                    "name": listed["name"],
                    "input": described["input"],
                    "tasks": executions.tasks(arn),
                }
            )
    return saved


# --- user pools: moto's own objects (its API cannot choose ids, subs or passwords) ------------------


def _pools() -> dict[str, Any]:
    from moto.cognitoidp.models import cognitoidp_backends

    return dict(cognitoidp_backends[template.ACCOUNT][template.REGION].user_pools)


def _clients_of(resources: Resources, pool_logical: str) -> list[str]:
    names = resources.names
    return [
        logical
        for logical, props in template.resources("AWS::Cognito::UserPoolClient").items()
        if logical in resources.created
        and template.resolve(props["UserPoolId"], names) == resources.refs[pool_logical]
    ]


def _user_pool(resources: Resources, logical: str) -> dict[str, Any]:
    pool = _pools()[resources.refs[logical]]
    return {
        "id": pool.id,
        "clients": {client: resources.refs[client] for client in _clients_of(resources, logical)},
        "users": [
            {
                "username": user.username,
                "sub": user.id,
                "password": user.password,
                "status": user.status,
                "enabled": user.enabled,
                "attributes": user.attributes,
                "groups": sorted(group.group_name for group in user.groups),
                "created": user.create_date.isoformat(),
                "modified": user.last_modified_date.isoformat(),
            }
            for user in pool.users.values()
        ],
        "refreshTokens": pool.refresh_tokens,
    }


def _restore_user_pool(resources: Resources, logical: str, saved: dict[str, Any]) -> None:
    """The new pool takes the saved pool's id, its clients theirs, and gets its users back."""
    from moto.cognitoidp.models import CognitoIdpUser, cognitoidp_backends

    backend = cognitoidp_backends[template.ACCOUNT][template.REGION]
    pool = backend.user_pools.pop(resources.refs[logical])
    old_id = pool.id
    pool.id, pool.arn = saved["id"], pool.arn.replace(old_id, saved["id"])
    backend.user_pools[pool.id] = pool
    created = resources.created[logical]
    created.ref = pool.id
    created.attributes = {key: value.replace(old_id, pool.id) for key, value in created.attributes.items()}
    for group in pool.groups.values():
        group.user_pool_id = pool.id
    for client_logical, client_id in saved["clients"].items():
        if client_logical not in resources.created:
            continue
        client = pool.clients.pop(resources.refs[client_logical])
        client.id, client.user_pool_id = client_id, pool.id
        pool.clients[client_id] = client
        resources.created[client_logical].ref = client_id
        resources.created[client_logical].attributes = {"ClientId": client_id}
    for kept in saved["users"]:
        user = CognitoIdpUser(pool.id, kept["username"], kept["password"], kept["status"], kept["attributes"])
        user.id, user.enabled = kept["sub"], kept["enabled"]
        user.update_attributes([{"Name": "sub", "Value": kept["sub"]}])  # not the one it was made with
        user.create_date = datetime.fromisoformat(kept["created"])
        user.last_modified_date = datetime.fromisoformat(kept["modified"])
        for name in kept["groups"]:
            group = pool.groups[name]
            user.groups.add(group)
            group.users.add(user)
        pool.users[user.username] = user
    pool.refresh_tokens.update(
        {token: tuple(value) if value else None for token, value in saved["refreshTokens"].items()}
    )


# --- API keys: moto's own objects (its API cannot choose a key's id) ------------------------------------


def _apigateway() -> Any:
    from moto.apigateway.models import apigateway_backends

    return apigateway_backends[template.ACCOUNT][template.REGION]


def _api_keys(resources: Resources) -> list[dict[str, Any]]:
    """Every key, the logical id that made it (a template key) and the plans it is in (logical ids:
    a plan is made anew, with a new id, at each start)."""
    backend, refs = _apigateway(), resources.refs
    made_by = {ref: logical for logical, ref in refs.items()}
    return [
        {
            "id": key.id,
            "name": key.name,
            "description": key.description,
            "value": key.value,
            "enabled": key.enabled,
            "logical": made_by.get(key.id),
            "plans": [
                made_by[plan]
                for plan, members in backend.usage_plan_keys.items()
                if key.id in members and plan in made_by
            ],
        }
        for key in list(backend.keys.values())
    ]


def _restore_api_keys(resources: Resources, saved: list[dict[str, Any]]) -> None:
    """The saved keys replace those this start made: same ids and values, in the same plans."""
    from moto.apigateway.models import ApiKey, UsagePlanKey

    if not saved:
        return
    backend = _apigateway()
    backend.keys.clear()
    for members in backend.usage_plan_keys.values():
        members.clear()
    for kept in saved:
        key = ApiKey(kept["id"], kept["name"], kept["description"], kept["enabled"], value=kept["value"])
        backend.keys[key.id] = key
        if kept["logical"] in resources.created:
            resources.created[kept["logical"]].ref = key.id
            resources.created[kept["logical"]].attributes = {"APIKeyId": key.id}
        for plan in kept["plans"]:
            if plan in resources.created:
                plan_id = resources.refs[plan]
                backend.usage_plan_keys.setdefault(plan_id, {})[key.id] = UsagePlanKey(
                    key.id, "API_KEY", key.name, key.value
                )


class Saver:
    """Saves every PERIOD seconds on a thread of its own, and once more on stop."""

    def __init__(self, moto: Moto, resources: Resources) -> None:
        self.moto, self.resources = moto, resources
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="persistence", daemon=True)
        self._lock = threading.Lock()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(PERIOD):
            self.save()

    def save(self) -> None:
        with self._lock:
            save(self.moto, self.resources)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self.save()


def _write(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value), encoding="utf-8")


def _read(path: Path, default: Any) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else default
