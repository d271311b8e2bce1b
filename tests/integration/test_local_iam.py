"""Each function of the local cloud under its own role (moto's IAM enforcement, the transformed
template's policies) and with only its own environment."""

from __future__ import annotations

import concurrent.futures
import copy
import json
import os
import threading
import time
import types
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local import cloud, gateway, iam, runtime, template


@pytest.fixture
def local_aws(moto_server: cloud.Moto, monkeypatch: pytest.MonkeyPatch) -> Iterator[cloud.Resources]:
    """The template's resources in the embedded moto, the handlers' SDK pointed at it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", template.REGION)
    monkeypatch.setenv("AWS_REGION", template.REGION)
    for key, value in cloud.FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    yield cloud.create_resources(moto_server)


def role_client(credentials: iam.Credentials, service: str, endpoint: str) -> Any:
    factory: Any = boto3.client
    return factory(
        service,
        endpoint_url=endpoint,
        region_name=template.REGION,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
    )


def error_code(call: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


def test_the_transformed_template_gives_every_function_a_role_with_the_issue_12_permissions() -> None:
    transformed = iam.transform()
    roles = iam.roles(transformed)
    functions = set(template.resources("AWS::Serverless::Function"))

    assert functions <= set(roles)
    assert "ApprovalStateMachine" in roles

    def actions(function: str) -> set[str]:
        found: set[str] = set()
        for document in iam.policies(transformed, roles[function], {}).values():
            for statement in json.loads(document)["Statement"]:
                listed = statement["Action"]
                found |= {listed} if isinstance(listed, str) else set(listed)
        return found

    assert "dynamodb:BatchWriteItem" in actions("TemplatesApiFunction")
    assert "s3:ListBucket" in actions("DocumentIngestFunction")


def test_a_function_may_do_what_its_role_allows_and_nothing_else(
    moto_server: cloud.Moto, local_aws: cloud.Resources
) -> None:
    names = local_aws.names
    credentials = iam.enforce(moto_server.client, names)
    settings_role = credentials["SettingsApiFunction"]
    dynamodb = role_client(settings_role, "dynamodb", moto_server.endpoint)
    table = names["PurchaseOrdersTable"]
    item = {"PK": {"S": f"T#{uuid.uuid4().hex}"}, "SK": {"S": "X"}}

    dynamodb.put_item(TableName=table, Item=item)  # its policy: GetItem and PutItem on the table

    assert error_code(lambda: dynamodb.delete_item(TableName=table, Key=item)) == "AccessDeniedException"
    assert error_code(lambda: dynamodb.describe_table(TableName=table)) == "AccessDeniedException"
    # a transaction is authorized item by item: PutItem is allowed, DeleteItem is not
    other = {"PK": item["PK"], "SK": {"S": "Y"}}
    transaction = [
        {"Put": {"TableName": table, "Item": item}},
        {"Delete": {"TableName": table, "Key": other}},
    ]
    assert error_code(lambda: dynamodb.transact_write_items(TransactItems=transaction)) == (
        "AccessDeniedException"
    )
    sns = role_client(settings_role, "sns", moto_server.endpoint)
    topic = names["PoEventsTopic"]
    assert error_code(lambda: sns.publish(TopicArn=topic, Message="{}")) == "AccessDenied"  # moto's code
    # the stream consumer may publish to its topics; the local cloud itself may do anything
    role_client(credentials["StatusStreamFunction"], "sns", moto_server.endpoint).publish(
        TopicArn=topic, Message="{}"
    )
    moto_server.client("sns").publish(TopicArn=topic, Message="{}")
    # unknown or forged credentials are refused
    forged = iam.Credentials(settings_role.access_key_id, "not-the-secret", settings_role.session_token)
    assert error_code(lambda: role_client(forged, "sns", moto_server.endpoint).list_topics()) == (
        "SignatureDoesNotMatch"
    )
    stranger = iam.Credentials("AKIAUNKNOWN000000000", "secret")
    assert error_code(lambda: role_client(stranger, "sns", moto_server.endpoint).list_topics()) == (
        "InvalidClientTokenId"
    )


def test_a_browser_preflight_to_the_bucket_is_answered_by_its_cors_rules_unsigned(
    moto_server: cloud.Moto, local_aws: cloud.Resources
) -> None:
    """A page that follows an upload's progress (XMLHttpRequest upload events) makes the browser
    send a preflight before the presigned POST; S3 answers it with no signature, from the rules."""
    import urllib.error
    import urllib.request

    iam.enforce(moto_server.client, local_aws.names)
    bucket_url = f"{moto_server.endpoint}/{local_aws.names['DocumentsBucket']}"

    def preflight(headers: dict[str, str]) -> tuple[int, dict[str, str]]:
        request = urllib.request.Request(bucket_url, method="OPTIONS", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers)

    origin = {"Origin": "http://localhost:5173"}
    status, headers = preflight({**origin, "Access-Control-Request-Method": "POST"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    # anything else unsigned is still refused: an OPTIONS that is no preflight, a GET of the bucket
    assert preflight(origin)[0] == 403
    request = urllib.request.Request(f"{bucket_url}?list-type=2")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403


def test_each_function_sees_exactly_its_own_environment_and_layer(local_aws: cloud.Resources) -> None:
    specs = template.functions(local_aws.names)
    credentials = {"SettingsApiFunction": iam.Credentials("ASIAEXAMPLE", "secret", "token")}
    runtimes = runtime.Runtimes(specs, credentials)
    assert "DOCUMENTS_BUCKET" not in specs["SettingsApiFunction"].environment  # what the test relies on

    settings_env = runtimes.environment("SettingsApiFunction")
    documents_env = runtimes.environment("DocumentsApiFunction")

    assert "DOCUMENTS_BUCKET" not in settings_env
    assert documents_env["DOCUMENTS_BUCKET"] == local_aws.names["DocumentsBucket"]
    assert settings_env["AWS_ACCESS_KEY_ID"] == "ASIAEXAMPLE" and settings_env["AWS_SESSION_TOKEN"] == "token"
    assert documents_env["AWS_ACCESS_KEY_ID"] == cloud.FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]  # none given
    seen: dict[str, Any] = {}
    for function in ("DocumentsApiFunction", "SettingsApiFunction", "DocumentsApiFunction"):
        with runtimes.running(function):
            from purchasing import config

            seen.setdefault(function, []).append((config, _bucket(config)))
    documents_first, documents_second = seen["DocumentsApiFunction"]
    (settings,) = seen["SettingsApiFunction"]
    assert documents_first == documents_second  # its own copy of the layer, kept between invocations
    assert documents_first[1] == local_aws.names["DocumentsBucket"]
    assert settings[0] is not documents_first[0]  # cached by the other: not seen
    assert "missing DOCUMENTS_BUCKET" in settings[1]  # not in its environment: an error, never ""


def test_functions_and_instances_run_at_the_same_time_each_with_its_own_environment_and_layer(
    local_aws: cloud.Resources,
) -> None:
    """Issue 12, point 7: a big PO's calls must not hold other functions up, so the local cloud runs
    different functions, and two events of one function, at once (as Lambda does); each instance
    still sees only its own (issue 12, point 4)."""
    specs = template.functions(local_aws.names)
    invoker = gateway.Invoker(specs, runtime.Runtimes(specs))
    all_inside = threading.Barrier(3, timeout=60)  # broken (an error, not a wait) if one runs alone

    def handler(event: dict[str, Any], context: Any) -> tuple[str | None, str, Any]:
        from purchasing import config

        all_inside.wait()
        seen = (os.environ.get("DOCUMENTS_BUCKET"), _bucket(config), config)
        all_inside.wait()
        return seen

    functions = ("DocumentsApiFunction", "DocumentsApiFunction", "SettingsApiFunction")
    for function in set(functions):
        module = types.ModuleType(function)  # a handler of its own, in place of the function's
        setattr(module, specs[function].handler_name, handler)
        invoker._instances[function] = [gateway._Instance(n, module=module) for n in range(2)]
    process_value = os.environ.get("DOCUMENTS_BUCKET")
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        first, second, settings = pool.map(lambda function: invoker.invoke(function, {}), functions)

    bucket = local_aws.names["DocumentsBucket"]
    assert first[:2] == second[:2] == (bucket, bucket)
    assert settings[0] is None  # not the other's variable, nor its cached configuration:
    assert "missing DOCUMENTS_BUCKET" in settings[1]  # the error naming what its template lacks
    assert len({id(first[2]), id(second[2]), id(settings[2])}) == 3  # each instance its own layer
    assert os.environ.get("DOCUMENTS_BUCKET") == process_value  # and the process keeps its own


def test_an_event_held_up_behind_a_long_one_gets_a_new_instance_and_others_a_warm_one(
    local_aws: cloud.Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream lane's event behind a big PO's long invocation is not held up for long (issue 12,
    point 7); a short wait reuses the warm instance (a cold start costs more)."""
    specs = template.functions(local_aws.names)
    invoker = gateway.Invoker(specs, runtime.Runtimes(specs))
    release = threading.Event()

    def handler(event: dict[str, Any], context: Any) -> str:
        if event.get("long"):
            assert release.wait(timeout=60), "the event behind it never ran"
        else:
            release.set()
        return "done"

    module = types.ModuleType("status_stream")
    setattr(module, specs["StatusStreamFunction"].handler_name, handler)
    monkeypatch.setattr(template, "load_module", lambda spec, fresh=False: module)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        long = pool.submit(invoker.invoke, "StatusStreamFunction", {"long": True})
        while not invoker._instances["StatusStreamFunction"]:
            time.sleep(0.01)  # the long one has its instance
        assert invoker.invoke("StatusStreamFunction", {}) == "done"  # on a second instance
        assert long.result() == "done"
    for _ in range(3):
        invoker.invoke("StatusStreamFunction", {})
    assert [instance.number for instance in invoker._instances["StatusStreamFunction"]] == [0, 1]


def _bucket(config: Any) -> str:
    """The documents bucket as the function's own copy of purchasing.config reads it, or its error."""
    try:
        return str(config.get(config.Documents).documents_bucket)
    except config.MissingConfiguration as error:
        return str(error)


def _gone_upload_event(bucket: str, queue_arn: str) -> dict[str, Any]:
    """What S3 sent for an upload that has been quarantined (deleted) since: delivered again."""
    key = f"uploads/acme/{uuid.uuid4().hex}/{uuid.uuid4().hex}/file.pdf"
    notification = {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 10}},
            }
        ]
    }
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": json.dumps(notification),
                "attributes": {"ApproximateReceiveCount": "2"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": template.REGION,
            }
        ]
    }


def _without_statement(function: str, sid: str) -> dict[str, Any]:
    """A copy of template.yaml whose function has lost one statement of its policy."""
    source = copy.deepcopy(json.loads(json.dumps(template.load())))
    for policy in source["Resources"][function]["Properties"]["Policies"]:
        if isinstance(policy, dict) and "Statement" in policy:
            policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != sid]
    return source


@pytest.mark.parametrize(
    ("source", "failed"),
    [
        pytest.param(None, 0, id="template.yaml: 404, the message is done"),
        pytest.param(
            _without_statement("DocumentIngestFunction", "SeeMissingUploads"),
            1,
            id="without s3:ListBucket: 403, the message fails (until the DLQ)",
        ),
    ],
)
def test_a_redelivered_event_for_a_gone_upload_needs_list_bucket(
    moto_server: cloud.Moto, local_aws: cloud.Resources, source: dict[str, Any] | None, failed: int
) -> None:
    names = local_aws.names
    transformed = iam.transform(source) if source is not None else None
    credentials = iam.enforce(moto_server.client, names, transformed)
    specs = template.functions(names)
    invoker = gateway.Invoker(specs, runtime.Runtimes(specs, credentials))
    event = _gone_upload_event(names["DocumentsBucket"], names["DocumentUploadsQueue.Arn"])

    response = invoker.invoke("DocumentIngestFunction", event)

    assert len(response["batchItemFailures"]) == failed
    admin = moto_server.client("s3")
    assert error_code(lambda: admin.head_object(Bucket=names["DocumentsBucket"], Key="uploads/gone")) == "404"


def test_the_parts_function_may_list_parts_through_by_updated_and_query_no_other_index(
    moto_server: cloud.Moto, local_aws: cloud.Resources
) -> None:
    names = local_aws.names
    dynamodb = role_client(
        iam.enforce(moto_server.client, names)["PartsApiFunction"], "dynamodb", moto_server.endpoint
    )

    def query(index: str, key: str) -> Any:
        return lambda: dynamodb.query(
            TableName=names["PurchaseOrdersTable"],
            IndexName=index,
            KeyConditionExpression=f"{key} = :pk",
            ExpressionAttributeValues={":pk": {"S": "ORG#acme#PARTS"}},
        )

    assert query("ByUpdated", "GSI3PK")()["Items"] == []
    assert error_code(query("ByStatus", "GSI1PK")) == "AccessDeniedException"


def test_requests_resolved_at_once_each_read_their_own_event_in_powertools() -> None:
    # Powertools keeps the event it resolves on a class: in one process two functions (or two
    # instances of one) resolving at once read each other's (a form without its decision: a 422).
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    from local.lambda_events import LambdaContext, api_event

    runtime.Runtimes(template.functions())  # what the local cloud runs its functions under
    both_resolving = threading.Barrier(2, timeout=30)
    apps = [APIGatewayRestResolver(), APIGatewayRestResolver()]  # two functions' resolvers
    for app in apps:

        @app.get("/pos/<po_id>")
        def read(po_id: str, app: APIGatewayRestResolver = app) -> dict[str, Any]:
            both_resolving.wait()  # the other request's event is set by now
            context = app.lambda_context.function_name
            return {"asked": po_id, "read": app.current_event.path, "context": context}

    def resolve(index: int) -> dict[str, Any]:
        context = LambdaContext(function_name=f"instance-{index}")
        answer = apps[index].resolve(api_event("GET", f"/pos/po-{index}"), context)  # type: ignore[arg-type]
        return dict(json.loads(answer["body"]))

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(resolve, [0, 1]))

    assert answers == [
        {"asked": "po-0", "read": "/pos/po-0", "context": "instance-0"},
        {"asked": "po-1", "read": "/pos/po-1", "context": "instance-1"},
    ]
