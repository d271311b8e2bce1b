"""The embedded AWS: moto in server mode, and the template's resources created in it.

Resources come from template.yaml itself through `CREATORS` (resource type -> creator, run in
that order), so the local cloud cannot drift from what `sam deploy` creates. A type without a
creator is left out on purpose: functions run in process (see `local.gateway`), log groups and
layers have no local meaning. The user pool runs on moto's Cognito (`local.cognito` verifies its
tokens as API Gateway's authorizer does).
`AWS::S3::BucketPolicy` and `AWS::SQS::QueuePolicy` are left out too: moto does not enforce
resource policies (a TLS-only bucket policy, or who may send to a queue, changes nothing here),
so making them would only suggest a check that never happens; template tests check them instead.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import string
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import boto3
from moto.server import ThreadedMotoServer

from local import cognito, executions, iam, moto_bounds, moto_fixes, ses_local, template

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
        iam.relax()  # moto's settings are the process's: the next moto started here starts open


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
    moto_bounds.apply()
    iam.relax()
    cognito.apply_fixes()
    executions.apply()
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


# (clients, logical id, properties, resolvable names so far: see `Resources.names`) -> the new resource
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


# CloudFormation's AWS::SQS::Queue properties that are SetQueueAttributes attributes of the same name
_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)


def create_queue(aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]) -> Created:
    """Ref is the queue URL; a RedrivePolicy's dead-letter queue must exist first (it does: queues
    are created in the order of their references)."""
    resolved = template.resolve(props, names)
    fifo = _flag(resolved.get("FifoQueue"))
    name = str(resolved.get("QueueName") or physical_name(logical_id) + (".fifo" if fifo else ""))
    attributes = {key: _attribute(resolved[key]) for key in _QUEUE_ATTRIBUTES if key in resolved}
    for key in ("RedrivePolicy", "RedriveAllowPolicy"):  # JSON objects in templates, strings in the API
        if key in resolved:
            value = resolved[key]
            attributes[key] = value if isinstance(value, str) else json.dumps(value)
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Created(ref=url, attributes={"Arn": arn, "QueueName": name, "QueueUrl": url})


_TOPIC_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DisplayName",
    "FifoTopic",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
)


def create_topic(aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]) -> Created:
    """Ref is the topic ARN. Inline subscriptions are made too (email ones stay pending, as an
    unconfirmed address would: the local outbox shows what they would have received)."""
    resolved = template.resolve(props, names)
    fifo = _flag(resolved.get("FifoTopic"))
    name = str(resolved.get("TopicName") or physical_name(logical_id) + (".fifo" if fifo else ""))
    attributes = {key: _attribute(resolved[key]) for key in _TOPIC_ATTRIBUTES if key in resolved}
    sns = aws.client("sns")
    arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
    for subscription in resolved.get("Subscription") or []:
        sns.subscribe(
            TopicArn=arn, Protocol=str(subscription["Protocol"]), Endpoint=str(subscription["Endpoint"])
        )
    return Created(ref=arn, attributes={"TopicArn": arn, "TopicName": name})


_SUBSCRIPTION_ATTRIBUTES = (
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
)


def create_subscription(
    aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]
) -> Created:
    resolved = template.resolve(props, names)
    attributes = {
        key: (json.dumps(resolved[key]) if isinstance(resolved[key], dict) else _attribute(resolved[key]))
        for key in _SUBSCRIPTION_ATTRIBUTES
        if key in resolved
    }
    arn = aws.client("sns").subscribe(
        TopicArn=str(resolved["TopicArn"]),
        Protocol=str(resolved["Protocol"]),
        Endpoint=str(resolved["Endpoint"]),
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return Created(ref=arn, attributes={"Arn": arn})


def bucket_name(logical_id: str) -> str:
    """A physical name S3 takes: lowercase letters, digits and hyphens, 3 to 63 characters."""
    name = re.sub(r"[^a-z0-9-]+", "-", physical_name(logical_id).lower()).strip("-")
    return name[:63].rstrip("-") or "bucket"


def create_bucket(aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]) -> Created:
    """Ref is the bucket's name. Versioning, encryption, the public access block, ownership, CORS,
    lifecycle rules and the queue and topic notifications are set as declared (moto sends the
    notifications for real, `s3:TestEvent` first). Lambda notifications are left out: the local
    cloud runs functions in process, never through moto."""
    resolved = template.resolve(props, names)
    name = str(resolved.get("BucketName") or bucket_name(logical_id))
    s3 = aws.client("s3")
    if template.REGION == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:  # pragma: no cover - the local cloud's region is us-east-1
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": template.REGION})
    if "VersioningConfiguration" in resolved:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": resolved["VersioningConfiguration"]["Status"]}
        )
    encryption = (resolved.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration")
    if encryption:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={"Rules": [_encryption_rule(r) for r in encryption]},
        )
    if "PublicAccessBlockConfiguration" in resolved:
        block = {key: _flag(value) for key, value in resolved["PublicAccessBlockConfiguration"].items()}
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    if "OwnershipControls" in resolved:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=resolved["OwnershipControls"])
    cors = (resolved.get("CorsConfiguration") or {}).get("CorsRules")
    if cors:
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [_cors_rule(rule) for rule in cors]})
    lifecycle = (resolved.get("LifecycleConfiguration") or {}).get("Rules")
    if lifecycle:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": [_lifecycle_rule(rule) for rule in lifecycle]}
        )
    notifications = _notification_configuration(resolved.get("NotificationConfiguration") or {})
    if notifications:
        s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration=notifications)
    return Created(
        ref=name,
        attributes={
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{template.REGION}.amazonaws.com",
        },
    )


def _encryption_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's ServerSideEncryptionRule as PutBucketEncryption takes it."""
    converted: dict[str, Any] = {}
    default = rule.get("ServerSideEncryptionByDefault")
    if default:
        converted["ApplyServerSideEncryptionByDefault"] = dict(default)
    if "BucketKeyEnabled" in rule:
        converted["BucketKeyEnabled"] = _flag(rule["BucketKeyEnabled"])
    return converted


def _cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's CorsRule as PutBucketCors takes it (a CommaDelimitedList parameter's Ref
    resolves to one string here: split it as CloudFormation does)."""
    renamed = {"Id": "ID", "ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds"}
    converted: dict[str, Any] = {}
    for key, value in rule.items():
        if key in ("AllowedMethods", "AllowedOrigins", "AllowedHeaders", "ExposedHeaders"):
            value = [part.strip() for part in value.split(",")] if isinstance(value, str) else list(value)
        elif key == "MaxAge":
            value = int(value)
        converted[renamed.get(key, key)] = value
    return converted


_LIFECYCLE_KEYS = {
    "Id",
    "Status",
    "Prefix",
    "ExpirationInDays",
    "NoncurrentVersionExpiration",
    "NoncurrentVersionExpirationInDays",
    "AbortIncompleteMultipartUpload",
}


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's lifecycle Rule as PutBucketLifecycleConfiguration takes it: the properties
    this template uses and their close relatives; anything else is refused rather than dropped."""
    unknown = set(rule) - _LIFECYCLE_KEYS
    if unknown:
        raise ValueError(
            f"lifecycle rule {rule.get('Id')}: {', '.join(sorted(unknown))} not supported locally"
        )
    converted: dict[str, Any] = {
        "ID": str(rule.get("Id") or "rule"),
        "Status": str(rule["Status"]),
        "Filter": {"Prefix": str(rule.get("Prefix") or "")},
    }
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    days = noncurrent.get("NoncurrentDays", rule.get("NoncurrentVersionExpirationInDays"))
    if days is not None:
        converted["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(days)}
    if "AbortIncompleteMultipartUpload" in rule:
        converted["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        }
    return converted


def _notification_configuration(declared: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's NotificationConfiguration (queues and topics) as the S3 API takes it."""
    converted: dict[str, Any] = {}
    for kind, target, api_kind, api_target in (
        ("QueueConfigurations", "Queue", "QueueConfigurations", "QueueArn"),
        ("TopicConfigurations", "Topic", "TopicConfigurations", "TopicArn"),
    ):
        entries = []
        for entry in declared.get(kind) or []:
            api_entry: dict[str, Any] = {api_target: str(entry[target]), "Events": [str(entry["Event"])]}
            rules = ((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules")
            if rules:
                api_entry["Filter"] = {
                    "Key": {
                        "FilterRules": [{"Name": str(r["Name"]), "Value": str(r["Value"])} for r in rules]
                    }
                }
            entries.append(api_entry)
        if entries:
            converted[api_kind] = entries
    return converted


def create_secret(aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]) -> Created:
    """Ref is the secret's ARN (with the random suffix AWS adds). GenerateSecretString makes a
    random value here, with `secrets`, as Secrets Manager would; else SecretString is stored."""
    resolved = template.resolve(props, names)
    name = str(resolved.get("Name") or physical_name(logical_id))
    if "GenerateSecretString" in resolved:
        value = generate_secret_string(resolved["GenerateSecretString"])
    else:
        value = str(resolved.get("SecretString") or generate_secret_string({}))
    arguments: dict[str, Any] = {"Name": name, "SecretString": value}
    if resolved.get("Description"):
        arguments["Description"] = str(resolved["Description"])
    arn = str(aws.client("secretsmanager").create_secret(**arguments)["ARN"])
    return Created(ref=arn, attributes={"Id": arn})


def generate_secret_string(spec: dict[str, Any]) -> str:
    """GetRandomPassword's rules (the ones CloudFormation's GenerateSecretString passes on): length,
    excluded characters and classes, one of each class unless told otherwise; with a
    SecretStringTemplate, the password goes into that JSON object under GenerateStringKey."""
    length = int(spec.get("PasswordLength") or 32)
    excluded = set(str(spec.get("ExcludeCharacters") or ""))
    classes = [
        chars
        for chars, skip in (
            (string.ascii_lowercase, spec.get("ExcludeLowercase")),
            (string.ascii_uppercase, spec.get("ExcludeUppercase")),
            (string.digits, spec.get("ExcludeNumbers")),
            (string.punctuation, spec.get("ExcludePunctuation")),
            (" ", not _flag(spec.get("IncludeSpace"))),
        )
        if not _flag(skip)
    ]
    classes = [pool for pool in ("".join(c for c in chars if c not in excluded) for chars in classes) if pool]
    if not classes:
        raise ValueError("GenerateSecretString excludes every character")
    alphabet = "".join(classes)
    required = classes if spec.get("RequireEachIncludedType", True) not in (False, "false") else []
    if len(required) > length:
        raise ValueError("GenerateSecretString: PasswordLength is shorter than the required types")
    chars = [secrets.choice(pool) for pool in required]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    password = "".join(chars)
    template_text = spec.get("SecretStringTemplate")
    if template_text is None:
        return password
    document = json.loads(str(template_text))
    document[str(spec.get("GenerateStringKey") or "password")] = password
    return json.dumps(document)


def create_state_machine(
    aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]
) -> Created:
    """Ref is the state machine's ARN. The definition is the deployed one (DefinitionUri file, or
    inline Definition / DefinitionString, with DefinitionSubstitutions); moto runs it for real."""
    if "DefinitionUri" in props:
        definition = template.state_machine_definition(logical_id, names)
    else:
        definition = _inline_definition(props, names)
    name = str(
        template.resolve(props.get("Name") or props.get("StateMachineName"), names)
        or physical_name(logical_id)
    )
    role = str(
        template.resolve(props.get("Role") or props.get("RoleArn"), names)
        or f"arn:aws:iam::{template.ACCOUNT}:role/{physical_name(logical_id)}-role"
    )
    machine_type = str(props.get("Type") or props.get("StateMachineType") or "STANDARD")
    arn = str(
        aws.client("stepfunctions").create_state_machine(
            name=name, definition=definition, roleArn=role, type=machine_type
        )["stateMachineArn"]
    )
    return Created(ref=arn, attributes={"Arn": arn, "Name": name})


def _inline_definition(props: dict[str, Any], names: dict[str, str]) -> str:
    substitutions = {
        str(key): str(template.resolve(value, names))
        for key, value in (props.get("DefinitionSubstitutions") or {}).items()
    }
    raw = props.get("Definition") if "Definition" in props else props.get("DefinitionString")
    resolved = template.resolve(raw, names)  # a DefinitionString may be an Fn::Sub
    text = resolved if isinstance(resolved, str) else json.dumps(resolved)
    return re.sub(r"\$\{([^}]+)\}", lambda match: substitutions.get(match.group(1), match.group(0)), text)


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _attribute(value: Any) -> str:
    """An attribute value as the API takes it: booleans in lower case, objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def create_user_pool(aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]) -> Created:
    """CreateUserPool with the template's properties (CloudFormation's names are the API's, except
    UserPoolName and EnabledMfas, which the API sets through SetUserPoolMfaConfig)."""
    resolved = template.resolve(props, names)
    arguments = {key: value for key, value in resolved.items() if key not in ("UserPoolName", "EnabledMfas")}
    arguments["PoolName"] = str(resolved.get("UserPoolName") or f"purchase-orders-local-{logical_id}")
    client = aws.client("cognito-idp")
    pool = client.create_user_pool(**arguments)["UserPool"]
    if "SOFTWARE_TOKEN_MFA" in (resolved.get("EnabledMfas") or []):
        client.set_user_pool_mfa_config(
            UserPoolId=pool["Id"],
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration=str(resolved.get("MfaConfiguration") or "OFF"),
        )
    return Created(
        ref=str(pool["Id"]),
        attributes={
            "Arn": str(pool["Arn"]),
            "ProviderName": f"cognito-idp.{template.REGION}.amazonaws.com/{pool['Id']}",
            "ProviderURL": cognito.issuer(str(pool["Id"])),
            "UserPoolId": str(pool["Id"]),
        },
    )


def create_user_pool_client(
    aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]
) -> Created:
    resolved = template.resolve(props, names)
    arguments = {key: value for key, value in resolved.items() if key != "ClientName"}
    arguments["ClientName"] = str(resolved.get("ClientName") or f"purchase-orders-local-{logical_id}")
    created = aws.client("cognito-idp").create_user_pool_client(**arguments)["UserPoolClient"]
    return Created(ref=str(created["ClientId"]), attributes={"ClientId": str(created["ClientId"])})


def create_user_pool_group(
    aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]
) -> Created:
    resolved = template.resolve(props, names)
    aws.client("cognito-idp").create_group(**resolved)
    return Created(ref=str(resolved["GroupName"]))


API_ID = "local"  # the id the local gateway answers for (requestContext.apiId)


def create_api(aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]) -> Created:
    """Nothing to make in moto: the local gateway serves every API of the template. Ref is its id,
    so that an execute-api URL built from it can be told apart (`local_api_url`); `<Api>.Stage` (SAM's
    reference to the stage it makes) is the stage's name."""
    stage = str(template.resolve(props.get("StageName"), names))
    return Created(ref=API_ID, attributes={"RootResourceId": "root", "Stage": stage})


def create_usage_plan(aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]) -> Created:
    """CreateUsagePlan: its API stages (the local API's id and stage) and its per-key throttle."""
    resolved = template.resolve(props, names)
    arguments: dict[str, Any] = {
        "name": str(resolved.get("UsagePlanName") or f"purchase-orders-local-{logical_id}"),
        "description": str(resolved.get("Description") or ""),
        "apiStages": [
            {"apiId": str(stage["ApiId"]), "stage": str(stage["Stage"])}
            for stage in resolved.get("ApiStages") or []
        ],
    }
    if "Throttle" in resolved:
        throttle = resolved["Throttle"]
        arguments["throttle"] = {
            "rateLimit": float(throttle["RateLimit"]),
            "burstLimit": int(throttle["BurstLimit"]),
        }
    return Created(ref=str(aws.client("apigateway").create_usage_plan(**arguments)["id"]))


def create_api_key(aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]) -> Created:
    """CreateApiKey; as in CloudFormation, a key is disabled unless the template enables it."""
    resolved = template.resolve(props, names)
    key = aws.client("apigateway").create_api_key(
        name=str(resolved.get("Name") or f"purchase-orders-local-{logical_id}"),
        description=str(resolved.get("Description") or ""),
        enabled=_flag(resolved.get("Enabled", False)),
    )
    return Created(ref=str(key["id"]), attributes={"APIKeyId": str(key["id"])})


def create_usage_plan_key(
    aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]
) -> Created:
    resolved = template.resolve(props, names)
    aws.client("apigateway").create_usage_plan_key(
        usagePlanId=str(resolved["UsagePlanId"]),
        keyId=str(resolved["KeyId"]),
        keyType=str(resolved["KeyType"]),
    )
    return Created(ref=f"{resolved['UsagePlanId']}:{resolved['KeyId']}")


def local_api_url(value: str, url: str) -> str:
    """`https://<api id>.execute-api.<region>.amazonaws.com[/<stage>]...` (what a template builds from
    an API's Ref) as the local gateway's URL, which carries no stage; anything else as it is."""
    pattern = rf"https://{re.escape(API_ID)}\.execute-api\.[a-z0-9-]+\.amazonaws\.com(/[^/?#\s]*)?"
    return re.sub(pattern, url.rstrip("/"), value)


LOCAL_DISTRIBUTION_DOMAIN = "console.cloudfront.local"  # `local.console` serves what it would


def create_distribution(
    aws: Clients, logical_id: str, props: dict[str, Any], names: dict[str, str]
) -> Created:
    """Nothing to make in moto: the local gateway serves the console (`local.console.local_url`
    maps URLs on this domain, such as the app client's callback URLs, to it)."""
    return Created(ref=f"local-{logical_id}", attributes={"DomainName": LOCAL_DISTRIBUTION_DOMAIN})


# Run in this order: a later creator may refer to what an earlier one made (through `names`);
# within a type, a resource is made after those of the same type it refers to.
CREATORS: dict[str, Creator] = {
    "AWS::DynamoDB::Table": create_table,
    "AWS::Serverless::Api": create_api,
    "AWS::ApiGateway::UsagePlan": create_usage_plan,  # after the API (its stage)
    "AWS::ApiGateway::ApiKey": create_api_key,
    "AWS::ApiGateway::UsagePlanKey": create_usage_plan_key,  # after the plan and the key
    "AWS::SQS::Queue": create_queue,
    "AWS::S3::Bucket": create_bucket,  # after the queues its notifications send to
    "AWS::SNS::Topic": create_topic,
    "AWS::SNS::Subscription": create_subscription,
    "AWS::SecretsManager::Secret": create_secret,
    "AWS::CloudFront::Distribution": create_distribution,
    "AWS::Cognito::UserPool": create_user_pool,
    "AWS::Cognito::UserPoolClient": create_user_pool_client,  # after the pool
    "AWS::Cognito::UserPoolGroup": create_user_pool_group,
    "AWS::SES::ConfigurationSet": ses_local.create_configuration_set,
    "AWS::SES::ConfigurationSetEventDestination": ses_local.create_event_destination,  # after topics
    "AWS::Serverless::StateMachine": create_state_machine,
    "AWS::StepFunctions::StateMachine": create_state_machine,
}


# Pseudo parameters `template.resolve` leaves to the names it is given.
PSEUDO_PARAMETERS = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}


@dataclass
class Resources:
    created: dict[str, Created] = field(default_factory=dict)

    @property
    def refs(self) -> dict[str, str]:
        """Logical id -> Ref value."""
        return {logical_id: created.ref for logical_id, created in self.created.items()}

    @property
    def names(self) -> dict[str, str]:
        """What resolves the template against the local cloud (the functions' environment, the
        creators' properties): logical id -> Ref value, and "<logical id>.<attribute>" -> the
        attribute's real value, which `template.resolve` gives for Fn::GetAtt and ${Id.Attribute}."""
        names = {**PSEUDO_PARAMETERS, **self.refs}
        for logical_id, created in self.created.items():
            names.update({f"{logical_id}.{key}": value for key, value in created.attributes.items()})
        return names


def create_resources(aws: Clients) -> Resources:
    resources = Resources()
    for resource_type, creator in CREATORS.items():
        for logical_id, props in _in_dependency_order(template.resources(resource_type)).items():
            resources.created[logical_id] = creator(aws, logical_id, props, resources.names)
    return resources


def _in_dependency_order(resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The resources of one type, each after the others of the list it refers to."""
    ordered: dict[str, dict[str, Any]] = {}

    def visit(logical_id: str, path: tuple[str, ...]) -> None:
        if logical_id in ordered:
            return
        if logical_id in path:
            raise ValueError(f"circular references: {' -> '.join((*path, logical_id))}")
        for other in sorted(_references(resources[logical_id]) & resources.keys()):
            visit(other, (*path, logical_id))
        ordered[logical_id] = resources[logical_id]

    for logical_id in resources:
        visit(logical_id, ())
    return ordered


def _references(value: Any) -> set[str]:
    """Logical ids a value names through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref":
                found.add(str(item))
            elif key == "Fn::GetAtt":
                found.add(str(item[0] if isinstance(item, list) else str(item).split(".", 1)[0]))
            elif key == "Fn::Sub":
                text = item if isinstance(item, str) else item[0]
                found.update(match.split(".", 1)[0] for match in re.findall(r"\$\{([^}!]+)\}", str(text)))
                found |= _references(item)
            else:
                found |= _references(item)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found
