"""Each function under its own role, as in AWS: the roles of the transformed template, enforced by moto.

`transform` runs the SAM translator over template.yaml, as `sam build`/`sam deploy` do: that expands
the SAM policy templates and gives every function (and the state machine) the role CloudFormation
would make. `enforce` makes those roles in moto's IAM with their policies resolved against the local
resources, assumes each one through moto's STS, and turns on moto's enforcement (what
`INITIAL_NO_AUTH_ACTION_COUNT` sets): from then on, every request needs a valid signature from known
credentials whose policies allow the action on the resource.

moto checks the actions of most services against the resource "*" (it names the resource only for S3
and SQS), so a policy naming its table or topic would deny everything there; `requested` names what
AWS authorizes each request on: the table (or index) of a DynamoDB call, the table and operation of
each item of a transaction or batch (DynamoDB authorizes TransactWriteItems item by item), the topic,
the state machine or execution, the secret. Where the resource is not known here (other services)
only the action is checked. A browser's CORS preflight to S3 needs no signature, as in AWS: the
bucket's CORS rules answer it. As in AWS, a GetObject or HeadObject of a missing key answers 403, not
404, to a caller without s3:ListBucket on the bucket. A statement with a Condition never allows
(moto cannot evaluate conditions): stricter than AWS, never kinder.

The local cloud itself (making resources, the pumps that play Lambda's event source mappings, the
tests and the benchmarks) signs with `cloud.FAKE_CREDENTIALS`: an IAM user allowed everything, as a
developer's own credentials would be. Managed policies (logs and X-Ray for Lambda) are left out: no
handler calls those services here, so leaving them out can only make the local cloud stricter.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from cfnlint.decode import cfn_yaml

from local import template

ADMIN_USER = "local-cloud-admin"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
_TRANSFORMED: dict[Path, dict[str, Any]] = {}
_TRANSFORM_LOCK = threading.Lock()


def transform(source: dict[str, Any] | None = None) -> dict[str, Any]:
    """The CloudFormation template `sam deploy` would send, for template.yaml (cached) or `source`.

    Code locations become S3 URIs first, as `sam package` makes them: the translator wants those."""
    if source is None:
        with _TRANSFORM_LOCK:
            if template.TEMPLATE not in _TRANSFORMED:
                loaded = dict(cfn_yaml.load(str(template.TEMPLATE)))
                _TRANSFORMED[template.TEMPLATE] = transform(loaded)
            return copy.deepcopy(_TRANSFORMED[template.TEMPLATE])
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    document = json.loads(json.dumps(source))  # plain dicts and strings, a copy
    for logical_id, resource in document["Resources"].items():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://local-artifacts/{logical_id}"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=template.REGION))
    transformed: dict[str, Any] = translator.translate(
        document, parameter_values={}, get_managed_policy_map=lambda: {}
    )
    return transformed


def roles(transformed: dict[str, Any]) -> dict[str, str]:
    """Function or state machine logical id -> the logical id of the role it runs as."""
    found: dict[str, str] = {}
    for logical_id, resource in transformed["Resources"].items():
        if resource["Type"] not in ("AWS::Lambda::Function", "AWS::StepFunctions::StateMachine"):
            continue
        role = (resource.get("Properties") or {}).get("Role") or (resource.get("Properties") or {}).get(
            "RoleArn"
        )
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            target = role["Fn::GetAtt"]
            found[logical_id] = str(target[0] if isinstance(target, list) else target.split(".")[0])
    return found


def policies(transformed: dict[str, Any], role: str, names: dict[str, str]) -> dict[str, str]:
    """A role's inline policies (name -> JSON document), resolved against the local resources."""
    props = transformed["Resources"][role]["Properties"]
    # IAM takes a document without Version (the SAM policy templates make such); moto wants one
    return {
        str(policy["PolicyName"]): json.dumps(
            {"Version": "2012-10-17", **template.resolve(policy["PolicyDocument"], names)}
        )
        for policy in props.get("Policies") or []
    }


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def environment(self) -> dict[str, str]:
        """As Lambda gives them to a function."""
        env = {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
        return env


def enforce(
    client: Callable[[str], Any], names: dict[str, str], transformed: dict[str, Any] | None = None
) -> dict[str, Credentials]:
    """Make the roles, assume them, and switch moto's enforcement on (in this process: moto's
    server runs here). Returns function / state machine logical id -> its credentials."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    transformed = transformed if transformed is not None else transform()
    _admin(client)
    iam, sts = client("iam"), client("sts")
    credentials: dict[str, Credentials] = {}
    made: dict[str, str] = {}
    for owner, role in roles(transformed).items():
        if role not in made:
            props = transformed["Resources"][role]["Properties"]
            arn = iam.create_role(
                RoleName=role, AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"])
            )["Role"]["Arn"]
            for name, document in policies(transformed, role, names).items():
                iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)
            made[role] = arn
        issued = sts.assume_role(RoleArn=made[role], RoleSessionName=owner)["Credentials"]
        credentials[owner] = Credentials(
            issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"]
        )
    machines = [credentials[owner] for owner in credentials if _is_state_machine(transformed, owner)]
    _state_machine_tasks_sign_with(machines[0] if len(machines) == 1 else None)
    _install_resource_checks()
    ActionAuthenticatorMixin.request_count = 0
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    return credentials


def relax() -> None:
    """Enforcement off again (moto's default), for whatever runs moto next in this process."""
    from moto import settings

    settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
    _state_machine_tasks_sign_with(None)


def _is_state_machine(transformed: dict[str, Any], logical_id: str) -> bool:
    return bool(transformed["Resources"][logical_id]["Type"] == "AWS::StepFunctions::StateMachine")


def _admin(client: Callable[[str], Any]) -> None:
    """The local cloud's own credentials (`cloud.FAKE_CREDENTIALS`) as an IAM user allowed everything.

    moto makes access key ids at random: the key is made, then given the local cloud's id and secret."""
    from moto.iam.models import iam_backends

    from local.cloud import FAKE_CREDENTIALS

    iam = client("iam")
    iam.create_user(UserName=ADMIN_USER)
    iam.put_user_policy(UserName=ADMIN_USER, PolicyName="everything", PolicyDocument=json.dumps(ALLOW_ALL))
    made = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]["AccessKeyId"]
    backend = iam_backends[template.ACCOUNT]["aws"]
    for key in backend.get_user(ADMIN_USER).access_keys:
        if key.access_key_id == made:
            key.access_key_id = FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]
            key.secret_access_key = FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]


# --- inside moto: what each request is authorized on ---------------------------------------------------

_SIGNER: list[Credentials | None] = [None]


def _state_machine_tasks_sign_with(credentials: Credentials | None) -> None:
    """moto's state-machine tasks call AWS with the fixed key "ak", which enforcement refuses: they sign
    with the state machine's role instead, as Step Functions does."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk,
        state_task_service_dynamodb,
    )
    from moto.stepfunctions.parser.asl.utils import boto_client

    _SIGNER[0] = credentials
    for module in (state_task_service_aws_sdk, state_task_service_dynamodb):
        module.boto_client_for = _signed_client_for if credentials else boto_client.boto_client_for  # type: ignore[attr-defined]


def _signed_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    from moto.stepfunctions.parser.asl.utils import boto_client

    client = boto_client.boto_client_for(region, service, state_credentials)
    signer = _SIGNER[0]
    if signer is None:  # pragma: no cover - only installed with a signer
        return client
    session = boto3.session.Session(
        aws_access_key_id=signer.access_key_id,
        aws_secret_access_key=signer.secret_access_key,
        aws_session_token=signer.session_token,
        region_name=region,
    )
    factory: Any = session.client
    return factory(service, endpoint_url=client.meta.endpoint_url, config=client.meta.config)


_INSTALLED: list[bool] = []


def _install_resource_checks() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.exceptions import AccessDeniedError, JsonRESTError

    if _INSTALLED:
        return
    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        from moto import settings

        if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
            original(self, iam_request_cls, resource)
            return
        target = self.headers.get("X-Amz-Target")
        if target in ActionAuthenticatorMixin.PUBLIC_OPERATIONS or _is_preflight(self):
            return
        try:
            _authorize(self, iam_request_cls, resource)
        except AccessDeniedError as denied:
            if not target:
                raise
            # a JSON-protocol service (DynamoDB, Step Functions, Secrets Manager) answers in JSON
            error = JsonRESTError("AccessDeniedException", denied.message)
            error.code = 400
            raise error from denied

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize  # type: ignore[method-assign]
    _INSTALLED.append(True)


def _is_preflight(response: Any) -> bool:
    """A browser's CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) is never
    signed: S3 answers it from the bucket's CORS rules alone (moto then checks those), as AWS does."""
    headers = response.headers
    return bool(
        response.method == "OPTIONS"
        and headers.get("Origin")
        and headers.get("Access-Control-Request-Method")
    )


def _authorize(response: Any, iam_request_cls: type, resource: str) -> None:
    from urllib.parse import urlparse

    headers = dict(response.headers)
    presigned = "Authorization" not in headers
    if presigned:  # a presigned URL or POST: signed by whoever presigned it (moto checks no signature)
        headers = _presigned_headers(response, headers)
    path = response.raw_path
    query = urlparse(response.uri).query
    iam_request = iam_request_cls(
        account_id=response.current_account,
        method=response.method,
        path=path + ("?" + query if query else ""),
        # a GET's signed payload is empty (moto's API Gateway puts its headers in `data`, which would
        # be taken for a body, and none of its GETs would verify)
        data=b"" if response.method in ("GET", "HEAD") and not response.raw_body else response.data,
        body=response.raw_body,
        headers=headers,
        action=response._get_action(),
    )
    if not presigned:
        iam_request.check_signature()
    service = iam_request._action.split(":", 1)[0]
    for action, target in requested(response, service, iam_request._action, resource) or [
        (iam_request._action, None)
    ]:
        iam_request._action = action
        if target is None:
            if not _action_allowed(iam_request, action):
                iam_request._raise_access_denied()
        else:
            iam_request.check_action_permitted(target)


def _presigned_headers(response: Any, headers: dict[str, str]) -> dict[str, str]:
    """The signer of a presigned request, as if it had signed an Authorization header; none: anonymous,
    which this private local cloud refuses."""
    values = {str(key).lower(): value for key, value in (response.querystring or {}).items()}
    form = getattr(response, "form_data", None) or {}
    values.update({str(key).lower(): [value] for key, value in form.items()})
    credential = (values.get("x-amz-credential") or [""])[0]
    if not credential:
        from moto.iam.access_control import AccessDeniedError

        raise AccessDeniedError(user_arn="anonymous", action=f"s3:{response._get_action()}")
    signed = dict(headers)
    signed["Authorization"] = f"AWS4-HMAC-SHA256 Credential={credential}, Signature=presigned,"
    token = (values.get("x-amz-security-token") or [""])[0]
    if token:
        signed["X-Amz-Security-Token"] = token
    return signed


def _action_allowed(iam_request: Any, action: str) -> bool:
    """Whether some statement allows the action, whatever its resource (the resource is unknown)."""
    from moto.iam.access_control import IAMPolicy, IAMPolicyStatement

    allowed = False
    for policy in iam_request._access_key.collect_policies():
        document = IAMPolicy(policy)._policy_json
        statements = document["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            if "Condition" in statement or "Action" not in statement:
                continue
            if IAMPolicyStatement(statement)._check_element_matches("Action", action):
                if statement["Effect"] == "Deny":
                    return False
                allowed = True
    return allowed


_TRANSACT_ITEMS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def requested(response: Any, service: str, action: str, resource: str) -> list[tuple[str, str | None]]:
    """(action, resource) pairs AWS authorizes the request on; resource None: not known here."""
    if service == "sqs":  # moto names the queue itself
        return [(action, resource)]
    if service == "s3":  # moto names the bucket and key, but a POST upload's key is in its form
        key = _query_param(response, "key")
        if action == "s3:PutObject" and key and "/" not in resource.split(":::", 1)[-1]:
            resource = f"{resource}/{key}"
        return [(action, resource), *_missing_key_needs_list_bucket(action, resource)]
    if service == "dynamodb":
        return _dynamodb(response, action)
    body = _json_body(response)
    if service == "sns":
        topic = _query_param(response, "TopicArn") or _query_param(response, "TargetArn")
        return [(action, topic or None)]
    if service == "states":
        target = body.get("stateMachineArn") or body.get("executionArn")
        if action in ("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"):
            return [(action, "*")]
        return [(action, str(target) if target else None)]
    if service == "secretsmanager" and body.get("SecretId"):
        return [(action, _secret_arn(response, str(body["SecretId"])))]
    return [(action, None if resource == "*" else resource)]


def _dynamodb(response: Any, action: str) -> list[tuple[str, str | None]]:
    body = _json_body(response)
    operation = action.split(":", 1)[1]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        pairs: list[tuple[str, str | None]] = []
        for item in body.get("TransactItems") or []:
            for kind, detail in item.items():
                pairs.append((f"dynamodb:{_TRANSACT_ITEMS[kind]}", _table_arn(str(detail["TableName"]))))
        return pairs
    if operation in ("BatchWriteItem", "BatchGetItem"):
        return [(action, _table_arn(str(table))) for table in body.get("RequestItems") or {}]
    if body.get("TableName"):
        arn = _table_arn(str(body["TableName"]))
        if body.get("IndexName"):
            arn += f"/index/{body['IndexName']}"
        return [(action, arn)]
    return [(action, None)]


def _missing_key_needs_list_bucket(action: str, resource: str) -> list[tuple[str, str | None]]:
    """AWS hides whether a key exists from who may not list the bucket: 403 instead of 404."""
    if action not in ("s3:GetObject", "s3:HeadObject") or "/" not in resource.split(":::", 1)[-1]:
        return []
    from moto.s3.models import s3_backends

    bucket, key = resource.split(":::", 1)[1].split("/", 1)
    backend = s3_backends[template.ACCOUNT]["aws"]
    found = backend.buckets.get(bucket)
    if found is None or key in found.keys:
        return []
    return [("s3:ListBucket", f"arn:aws:s3:::{bucket}")]


def _table_arn(table: str) -> str:
    if table.startswith("arn:"):
        return table
    return f"arn:aws:dynamodb:{template.REGION}:{template.ACCOUNT}:table/{table}"


def _secret_arn(response: Any, secret_id: str) -> str:
    from moto.secretsmanager.models import secretsmanager_backends

    backend = secretsmanager_backends[template.ACCOUNT][template.REGION]
    if secret_id in backend.secrets:
        return str(backend.secrets[secret_id].arn)
    return secret_id


def _json_body(response: Any) -> dict[str, Any]:
    if isinstance(response.body, dict):  # DynamoDB's handler has parsed it already
        return response.body
    try:
        body = json.loads(response.body or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _query_param(response: Any, name: str) -> str | None:
    values = (response.querystring or {}).get(name)
    return str(values[0]) if values else None
