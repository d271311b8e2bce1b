"""The custom resource (template.yaml: ConsoleFiles) that publishes the web console on deploy.

Its code package is web/ itself: on Create and Update it puts every file of the package but
this one into the console bucket, with its content type and `Cache-Control: no-cache` (CloudFront
then checks for a newer file on each load), and writes `config.json` from the resource's
`Config` (the API's URL, the app client and the pool's sign-in endpoints) with the value of the
console's API key as `apiKey` (`ApiKeyId`, read from API Gateway: CloudFormation cannot give a key's
value), which the console sends as `x-api-key`; on Delete it empties the bucket so that the stack
can remove it. It answers CloudFormation at the ResponseURL.
"""

from __future__ import annotations

import json
import mimetypes
import urllib.request
from pathlib import Path
from typing import Any

import boto3

# What this function needs of its environment (purchasing.config's parts): nothing, it reads what it
# publishes from the custom resource's properties. (A test checks every function's declaration.)
ENVIRONMENT: tuple[type, ...] = ()
ROOT = Path(__file__).resolve().parent
TYPES = {
    ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml",
}  # fmt: skip


def files(root: Path = ROOT) -> list[Path]:
    """What the console is: every file under web/ but this publisher (and caches)."""
    return sorted(
        path for path in root.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    )  # fmt: skip


def content_type(path: Path) -> str:
    return TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def publish(s3: Any, bucket: str, config: dict[str, Any], root: Path = ROOT) -> list[str]:
    keys = []
    for path in files(root):
        key = path.relative_to(root).as_posix()
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type(path),
                      CacheControl="no-cache")  # fmt: skip
        keys.append(key)
    s3.put_object(Bucket=bucket, Key="config.json", Body=json.dumps(config).encode(),
                  ContentType=TYPES[".json"], CacheControl="no-cache")  # fmt: skip
    return [*keys, "config.json"]


def with_api_key(apigateway: Any, config: dict[str, Any], api_key_id: str | None) -> dict[str, Any]:
    """The config with the console's API key value (apiKey), when the resource names the key."""
    if not api_key_id:
        return config
    return {**config, "apiKey": apigateway.get_api_key(apiKey=api_key_id, includeValue=True)["value"]}


def empty(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


def handler(event: dict[str, Any], context: Any) -> None:
    properties = event.get("ResourceProperties") or {}
    status, reason, data = "SUCCESS", "", {}
    try:
        s3 = boto3.client("s3")
        if event["RequestType"] == "Delete":
            empty(s3, str(properties["Bucket"]))
        else:
            config = with_api_key(
                boto3.client("apigateway"), dict(properties["Config"]), properties.get("ApiKeyId")
            )
            data = {"Files": len(publish(s3, str(properties["Bucket"]), config))}
    except Exception as error:  # CloudFormation must hear back, or it waits for an hour
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    respond(event, context, status, reason, data)


def respond(event: dict[str, Any], context: Any, status: str, reason: str, data: dict[str, Any]) -> None:
    body = json.dumps({
        "Status": status,
        "Reason": reason or f"see {getattr(context, 'log_stream_name', 'the log')}",
        "PhysicalResourceId": event.get("PhysicalResourceId") or f"console-{event['LogicalResourceId']}",
        "StackId": event["StackId"], "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"], "Data": data,
    }).encode()  # fmt: skip
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"Content-Type": ""})  # fmt: skip
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - CloudFormation's presigned URL
        pass
