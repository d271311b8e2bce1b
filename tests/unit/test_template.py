"""template.yaml keeps the properties that matter: data safety, least privilege, explicit routes,
logs with retention, the Lambda runtime, justified checkov skips, and sample events that route."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local import template

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"

CONTRACT_ROUTES = {
    ("POST", "/pos"),
    ("GET", "/pos"),
    ("GET", "/pos/{poId}"),
    ("PATCH", "/pos/{poId}"),
    ("POST", "/pos/{poId}/lines"),
    ("PATCH", "/pos/{poId}/lines/{lineId}"),
}
# What the PO API does on the table, and nothing else (TransactWriteItems is authorized per item).
PO_API_TABLE_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:Query",
}
# SAM policy templates and AWS managed policies that grant dynamodb:Scan.
SCAN_GRANTING_POLICIES = {
    "DynamoDBCrudPolicy",
    "DynamoDBReadPolicy",
    "AmazonDynamoDBFullAccess",
    "AmazonDynamoDBReadOnlyAccess",
}


def _table() -> dict[str, Any]:
    return template.resources("AWS::DynamoDB::Table")["PurchaseOrdersTable"]


def _functions() -> dict[str, dict[str, Any]]:
    return template.resources("AWS::Serverless::Function")


def _globals() -> dict[str, Any]:
    return dict(template.load()["Globals"]["Function"])


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _policy_entries() -> Iterator[tuple[str, Any]]:
    """Every policy in the template: SAM function policies and IAM roles, policies, managed policies."""
    for name, props in _functions().items():
        for entry in _as_list(props.get("Policies") or []):
            yield name, entry
    for name, props in template.resources("AWS::IAM::Role").items():
        for policy in props.get("Policies") or []:
            yield name, policy["PolicyDocument"]
        for arn in props.get("ManagedPolicyArns") or []:
            yield name, arn
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for name, props in template.resources(kind).items():
            yield name, props["PolicyDocument"]


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(statement) for statement in _as_list(document.get("Statement") or [])]


def _allowed_actions(statement: dict[str, Any]) -> list[str]:
    if statement.get("Effect") != "Allow":
        return []
    return [str(action) for action in _as_list(statement.get("Action") or [])]


def _all_allowed_actions() -> list[tuple[str, str]]:
    return [
        (owner, action)
        for owner, entry in _policy_entries()
        if isinstance(entry, dict) and "Statement" in entry
        for statement in _statements(entry)
        for action in _allowed_actions(statement)
    ]


def _routes() -> set[tuple[str, str]]:
    return {(route.method, route.path) for route in template.routes()}


def _sample_events() -> list[Path]:
    """The API Gateway events (stream consumers' samples are stream events)."""
    return sorted(path for path in EVENTS.glob("*/*.json") if "httpMethod" in json.loads(path.read_text()))


# --- data ---------------------------------------------------------------------------------------


def test_table_streams_new_and_old_images() -> None:
    assert _table()["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_table_has_point_in_time_recovery() -> None:
    assert _table()["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_table_is_encrypted_at_rest() -> None:
    assert _table()["SSESpecification"]["SSEEnabled"] is True


def test_table_expires_items_on_the_expiration_attribute() -> None:
    assert _table()["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert template.ttl_attribute("PurchaseOrdersTable") == "expiration"


def test_table_is_pay_per_request() -> None:
    assert _table()["BillingMode"] == "PAY_PER_REQUEST"


def test_table_is_retained_when_the_stack_goes() -> None:
    resource = template.load()["Resources"]["PurchaseOrdersTable"]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"


def test_table_keys_and_indexes() -> None:
    table = _table()
    assert {(key["AttributeName"], key["KeyType"]) for key in table["KeySchema"]} == {
        ("PK", "HASH"),
        ("SK", "RANGE"),
    }
    assert all(attribute["AttributeType"] == "S" for attribute in table["AttributeDefinitions"])
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    for name, number in (("ByStatus", 1), ("BySupplier", 2), ("ByUpdated", 3)):
        keys = [(key["AttributeName"], key["KeyType"]) for key in indexes[name]["KeySchema"]]
        assert keys == [(f"GSI{number}PK", "HASH"), (f"GSI{number}SK", "RANGE")]
        assert indexes[name]["Projection"]["ProjectionType"] == "ALL"


# --- routes -------------------------------------------------------------------------------------


def test_the_contract_routes_are_served() -> None:
    assert CONTRACT_ROUTES <= _routes()


def test_no_catch_all_routes() -> None:
    for method, path in _routes():
        assert method != "ANY", path
        assert "+}" not in path, f"{method} {path} is a greedy catch-all"


def test_api_uses_the_cognito_authorizer_by_default() -> None:
    api = template.resources("AWS::Serverless::Api")["PurchaseOrdersApi"]
    auth = api["Auth"]
    assert auth["DefaultAuthorizer"] == "CognitoAuthorizer"
    assert auth["Authorizers"]["CognitoAuthorizer"]["UserPoolArn"] == {"Fn::GetAtt": ["UserPool", "Arn"]}


def test_gateway_errors_are_problem_json() -> None:
    api = template.resources("AWS::Serverless::Api")["PurchaseOrdersApi"]
    responses = api["GatewayResponses"]
    assert {"UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    for response in responses.values():
        assert response["ResponseParameters"]["Headers"]["Content-Type"] == "'application/problem+json'"


def test_api_access_logs_are_one_json_object_per_request() -> None:
    setting = template.resources("AWS::Serverless::Api")["PurchaseOrdersApi"]["AccessLogSetting"]
    logical_id, attribute = setting["DestinationArn"]["Fn::GetAtt"]
    assert attribute == "Arn"
    assert logical_id in template.resources("AWS::Logs::LogGroup")
    record = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "x", str(setting["Format"])))
    assert record["requestId"] == "x"


# --- logs, runtime ------------------------------------------------------------------------------


def test_every_log_group_has_retention() -> None:
    log_groups = template.resources("AWS::Logs::LogGroup")
    assert log_groups
    for name, props in log_groups.items():
        assert props.get("RetentionInDays"), name


def test_every_function_logs_to_its_own_log_group() -> None:
    log_groups = template.resources("AWS::Logs::LogGroup")
    targets = []
    for name, props in _functions().items():
        reference = props["LoggingConfig"]["LogGroup"]
        assert reference.get("Ref") in log_groups, name
        targets.append(reference["Ref"])
    assert len(targets) == len(set(targets))


def test_functions_run_python_313_on_arm64_with_active_tracing() -> None:
    function_globals = _globals()
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Tracing"] == "Active"
    for name, props in _functions().items():
        assert props.get("Runtime", "python3.13") == "python3.13", name
        assert props.get("Architectures", ["arm64"]) == ["arm64"], name
        assert props.get("Tracing", "Active") == "Active", name


def test_functions_get_the_table_and_powertools_settings() -> None:
    variables = _globals()["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": "PurchaseOrdersTable"}
    powertools = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
    assert powertools <= set(variables)


def test_the_po_api_function_is_where_the_tooling_expects_it() -> None:
    props = _functions()["PoApiFunction"]
    assert props["CodeUri"] == "functions/po_api/"
    assert props["Handler"] == "app.lambda_handler"
    assert template.functions()["PoApiFunction"].module_file.is_file()


def test_shared_layer_builds_for_python_313_on_arm64() -> None:
    resource = template.load()["Resources"]["SharedLayer"]
    assert resource["Properties"]["ContentUri"] == "layers/shared/"
    assert resource["Metadata"]["BuildMethod"] == "python3.13"
    assert resource["Metadata"]["BuildArchitecture"] == "arm64"
    assert resource["Properties"]["CompatibleArchitectures"] == ["arm64"]


# --- least privilege ----------------------------------------------------------------------------


def test_no_policy_grants_scan_or_every_dynamodb_action() -> None:
    for owner, action in _all_allowed_actions():
        assert action.lower() != "dynamodb:*", owner
        assert not fnmatch.fnmatch("dynamodb:scan", action.lower()), f"{owner} grants Scan through {action}"


def test_no_policy_template_or_managed_policy_that_grants_scan() -> None:
    for owner, entry in _policy_entries():
        names = [str(entry)] if isinstance(entry, str) else [str(key) for key in entry]
        for name in names:
            assert not any(name.endswith(policy) for policy in SCAN_GRANTING_POLICIES), f"{owner}: {name}"


def test_po_api_may_do_only_what_its_code_does_on_the_table() -> None:
    (document,) = _functions()["PoApiFunction"]["Policies"]
    statements = _statements(document)
    table_arn = {"Fn::GetAtt": ["PurchaseOrdersTable", "Arn"]}
    index_arn = {"Fn::Sub": "${PurchaseOrdersTable.Arn}/index/*"}
    granted: set[str] = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for resource in _as_list(statement["Resource"]):
            assert resource in (table_arn, index_arn), resource
        granted |= set(_allowed_actions(statement))
    assert granted == PO_API_TABLE_ACTIONS
    on_indexes = {
        action
        for statement in statements
        if index_arn in _as_list(statement["Resource"])
        for action in _allowed_actions(statement)
    }
    assert on_indexes == {"dynamodb:Query"}


# --- identity -----------------------------------------------------------------------------------


def test_users_can_read_but_never_write_their_org() -> None:
    client = template.resources("AWS::Cognito::UserPoolClient")["UserPoolClient"]
    assert "custom:org_id" in client["ReadAttributes"]
    # Without WriteAttributes, Cognito lets users write every mutable attribute, custom ones included.
    assert "WriteAttributes" in client
    assert "custom:org_id" not in client["WriteAttributes"]


def test_the_three_roles_are_user_pool_groups() -> None:
    groups = template.resources("AWS::Cognito::UserPoolGroup").values()
    assert {group["GroupName"] for group in groups} == {"buyer", "approver", "admin"}


# --- checkov ------------------------------------------------------------------------------------


def test_every_checkov_skip_is_justified_on_its_resource() -> None:
    skips = 0
    for name, resource in template.load()["Resources"].items():
        for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip") or []:
            assert re.fullmatch(r"CKV2?_AWS_\d+", str(skip.get("id"))), f"{name}: {skip}"
            assert str(skip.get("comment") or "").strip(), f"{name} skips {skip['id']} without a reason"
            skips += 1
    assert skips


def test_checkov_has_no_global_skip_list() -> None:
    assert not list(ROOT.glob(".checkov.y*ml"))
    checkov_lines = [line for line in (ROOT / "Makefile").read_text().splitlines() if "$(CHECKOV) " in line]
    assert checkov_lines
    assert not any("--skip-check" in line for line in checkov_lines)


# --- sample events ------------------------------------------------------------------------------


def test_every_function_has_sample_events() -> None:
    for spec in template.functions().values():
        assert list((EVENTS / spec.code_uri.name).glob("*.json")), spec.logical_id


def test_every_contract_route_has_a_sample_event() -> None:
    sampled = {
        (event["httpMethod"], event["resource"])
        for event in (json.loads(path.read_text()) for path in _sample_events())
    }
    assert CONTRACT_ROUTES <= sampled


@pytest.mark.parametrize("path", _sample_events(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_sample_event_is_routed_by_the_template(path: Path) -> None:
    event = json.loads(path.read_text())
    route = (event["httpMethod"], event["resource"])
    functions = {r.function for r in template.routes() if (r.method, r.path) == route}
    assert functions, f"{path.name}: {route} is not a route in template.yaml"
    assert {template.functions()[function].code_uri.name for function in functions} == {path.parent.name}

    context = event["requestContext"]
    assert (context["httpMethod"], context["resourcePath"]) == route
    parameters = event["pathParameters"] or {}
    assert set(parameters) == set(re.findall(r"\{(\w+)\}", event["resource"]))
    expected_path = re.sub(r"\{(\w+)\}", lambda match: parameters[match.group(1)], event["resource"])
    assert event["path"] == expected_path
    assert re.fullmatch(r"[0-9a-f]{32}", parameters.get("poId", "0" * 32))
    assert re.fullmatch(r"\d{5}", parameters.get("lineId", "00001"))
    assert context["path"].endswith(expected_path)
    if event["body"] is not None and event["headers"].get("Content-Type") == "application/json":
        assert isinstance(json.loads(event["body"]), dict)


@pytest.mark.parametrize("path", _sample_events(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_sample_event_carries_cognito_claims_as_strings(path: Path) -> None:
    event = json.loads(path.read_text())
    (route,) = [
        r for r in template.routes() if (r.method, r.path) == (event["httpMethod"], event["resource"])
    ]
    if template.route_authorizer(route) is None:
        assert event["requestContext"]["authorizer"] is None  # a public route: no token, no claims
        return
    claims = event["requestContext"]["authorizer"]["claims"]
    assert {"sub", "email", "custom:org_id", "cognito:groups"} <= set(claims)
    assert all(isinstance(value, str) and value for value in claims.values())


# --- documents ----------------------------------------------------------------------------------


def _bucket() -> dict[str, Any]:
    return template.resources("AWS::S3::Bucket")["DocumentsBucket"]


def test_documents_bucket_blocks_every_kind_of_public_access() -> None:
    block = _bucket()["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert _bucket()["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_documents_bucket_is_encrypted_versioned_and_retained() -> None:
    bucket = template.load()["Resources"]["DocumentsBucket"]
    (rule,) = _bucket()["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert _bucket()["VersioningConfiguration"]["Status"] == "Enabled"
    assert bucket["DeletionPolicy"] == "Retain"


def test_documents_bucket_refuses_requests_without_tls() -> None:
    policies = template.resources("AWS::S3::BucketPolicy").values()
    (policy,) = [policy for policy in policies if policy["Bucket"] == {"Ref": "DocumentsBucket"}]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(statement["Resource"]) == 2  # the bucket and every object in it


def test_documents_bucket_expires_quarantine_and_incomplete_uploads() -> None:
    rules = {rule["Id"]: rule for rule in _bucket()["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireQuarantine"]["Prefix"] == "quarantine/"
    assert rules["ExpireQuarantine"]["ExpirationInDays"] <= 90
    assert rules["AbortIncompleteUploads"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1
    assert all(rule["Status"] == "Enabled" for rule in rules.values())


def test_browsers_may_post_to_the_documents_bucket() -> None:
    (rule,) = _bucket()["CorsConfiguration"]["CorsRules"]
    assert "POST" in rule["AllowedMethods"]
    assert "PUT" not in rule["AllowedMethods"] and "DELETE" not in rule["AllowedMethods"]


def test_only_uploads_notify_the_ingest_queue_which_has_a_dead_letter_queue() -> None:
    (notification,) = _bucket()["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Queue"] == {"Fn::GetAtt": ["DocumentUploadsQueue", "Arn"]}
    (rule,) = notification["Filter"]["S3Key"]["Rules"]
    assert rule == {"Name": "prefix", "Value": "uploads/"}  # never the PDFs or the quarantine
    queues = template.resources("AWS::SQS::Queue")
    redrive = queues["DocumentUploadsQueue"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["DocumentUploadsDeadLetterQueue", "Arn"]}


@pytest.mark.parametrize("function", ["DocumentIngestFunction", "PoPdfFunction"])
def test_queue_consumers_report_partial_batch_failures(function: str) -> None:
    (event,) = _functions()[function]["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = template.resources("AWS::SQS::Queue")[event["Properties"]["Queue"]["Fn::GetAtt"][0]]
    assert queue["RedrivePolicy"]["maxReceiveCount"] <= 10
    assert queue["VisibilityTimeout"] >= 6 * _functions()[function]["Timeout"]


def test_only_the_ingest_function_may_delete_or_quarantine_uploads() -> None:
    for owner, entry in _policy_entries():
        if not isinstance(entry, dict) or "Statement" not in entry:
            continue
        for statement in _statements(entry):
            if any(action.startswith("s3:Delete") for action in _allowed_actions(statement)):
                if owner == "ConsoleFilesFunction":  # the web console's publisher, in its own bucket
                    assert statement["Resource"] == {"Fn::Sub": "${ConsoleBucket.Arn}/*"}
                else:
                    assert owner == "DocumentIngestFunction", (owner, statement)


# --- links: one public base URL (issue 10, point 6) ---------------------------------------------


def test_every_function_gets_the_public_base_url_and_none_names_a_request_header() -> None:
    """PublicBaseUrl reaches every function as API_BASE_URL: the API's functions take it as it is
    (empty: the API's own URL from its id and stage), the others, which cannot be in a cycle with
    the API, get the API's execute-api URL when it is empty."""
    parameter = template.load()["Parameters"]["PublicBaseUrl"]
    pattern = re.compile(parameter["AllowedPattern"])
    assert parameter["Default"] == ""
    assert all(pattern.fullmatch(url) for url in ("", "https://po.example.com", "https://x.example/v1"))
    assert not any(pattern.fullmatch(url) for url in ("http://po.example.com", "https://a b", "https://x/"))
    assert _globals()["Environment"]["Variables"]["API_BASE_URL"] == {"Fn::Sub": "${PublicBaseUrl}"}
    own = {"Fn::Sub": "https://${PurchaseOrdersApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}"}
    builders = {
        name: fn["Environment"]["Variables"]["API_BASE_URL"]
        for name, fn in _functions().items()
        if "API_BASE_URL" in ((fn.get("Environment") or {}).get("Variables") or {})
    }
    assert set(builders) == {"StatusStreamFunction", "PoPdfFunction"}
    assert all(
        value == {"Fn::If": ["HasPublicBaseUrl", {"Ref": "PublicBaseUrl"}, own]}
        for value in builders.values()
    )
    sources = [path.read_text() for path in (ROOT / "functions").rglob("*.py")]
    sources += [path.read_text() for path in (ROOT / "layers" / "shared" / "purchasing").rglob("*.py")]
    headers = re.compile(r"domain_name|domainName|x-forwarded-(host|proto)|[\"']host[\"']", re.I)
    assert not any(headers.search(text) for text in sources)
