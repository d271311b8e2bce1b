"""template.yaml as an operator needs it: an alarm on every failure that leaves work undone, all to
one topic CloudWatch can publish to, a dashboard of the same figures, one API stage, and a web ACL
on the link routes when asked for."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from local import template

ROOT = Path(__file__).resolve().parents[2]


def _alarms() -> dict[str, dict[str, Any]]:
    return template.resources("AWS::CloudWatch::Alarm")


def _ref(value: Any) -> str:
    """The logical id (or parameter) a `!Ref` / `!GetAtt` names, else the literal."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return ".".join(target) if isinstance(target, list) else str(target)
    return str(value)


def _watches(alarm: dict[str, Any]) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    dimensions = tuple(sorted((str(d["Name"]), _ref(d["Value"])) for d in alarm.get("Dimensions") or []))
    return str(alarm["Namespace"]), str(alarm["MetricName"]), dimensions


def _alarmed() -> set[tuple[str, str, tuple[tuple[str, str], ...]]]:
    return {_watches(alarm) for alarm in _alarms().values()}


def _powertools(name: str) -> str:
    return str(template.load()["Globals"]["Function"]["Environment"]["Variables"][name])


def test_every_alarm_goes_to_the_alarm_topic_in_and_out_of_alarm() -> None:
    assert _alarms()
    for name, alarm in _alarms().items():
        assert [_ref(action) for action in alarm["AlarmActions"]] == ["AlarmTopic"], name
        assert [_ref(action) for action in alarm["OKActions"]] == ["AlarmTopic"], name
        assert alarm["TreatMissingData"] == "notBreaching", name
        assert "runbook: " in alarm["AlarmDescription"], name


def test_every_alarm_has_a_runbook_section_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = {line.lstrip("#").strip().lower() for line in readme.splitlines() if line.startswith("#### ")}
    for name, alarm in _alarms().items():
        (section,) = re.findall(r"runbook: ([^)]+)\)", alarm["AlarmDescription"])
        assert section.lower() in headings, f"{name}: no '#### {section}' in README.md"


def test_the_alarm_topic_uses_a_key_cloudwatch_may_use() -> None:
    topic = template.resources("AWS::SNS::Topic")["AlarmTopic"]
    assert _ref(topic["KmsMasterKeyId"]) == "AlarmTopicKey"  # never alias/aws/sns: CloudWatch cannot use it
    key = template.resources("AWS::KMS::Key")["AlarmTopicKey"]
    assert key["EnableKeyRotation"] is True
    (statement,) = [
        s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_the_alarm_email_is_subscribed_only_when_given() -> None:
    parameter = template.load()["Parameters"]["AlarmEmail"]
    assert parameter["Default"] == ""
    resource = template.load()["Resources"]["AlarmEmailSubscription"]
    assert resource["Condition"] == "HasAlarmEmail"
    assert resource["Properties"]["Protocol"] == "email"
    assert _ref(resource["Properties"]["Endpoint"]) == "AlarmEmail"


def test_every_function_has_an_errors_and_a_throttles_alarm() -> None:
    for function in template.resources("AWS::Serverless::Function"):
        for metric in ("Errors", "Throttles"):
            assert ("AWS/Lambda", metric, (("FunctionName", function),)) in _alarmed(), (function, metric)


def _queues_that_collect_failures() -> set[str]:
    """Every dead-letter queue (a queue's RedrivePolicy) and every stream on-failure destination."""
    found = {
        _ref(queue["RedrivePolicy"]["deadLetterTargetArn"]).removesuffix(".Arn")
        for queue in template.resources("AWS::SQS::Queue").values()
        if "RedrivePolicy" in queue
    }
    for function in template.resources("AWS::Serverless::Function").values():
        for event in (function.get("Events") or {}).values():
            destination = ((event["Properties"].get("DestinationConfig") or {}).get("OnFailure") or {}).get(
                "Destination"
            )
            if destination is not None:
                found.add(_ref(destination).removesuffix(".Arn"))
    return found


def test_every_dead_letter_and_failure_queue_has_a_depth_alarm() -> None:
    queues = _queues_that_collect_failures()
    assert {"StatusStreamFailures", "DocumentUploadsDeadLetterQueue", "PoPdfDeadLetterQueue"} <= queues
    for queue in queues:
        watched = ("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", f"{queue}.QueueName"),))
        assert watched in _alarmed(), queue


def test_every_stream_consumer_has_an_iterator_age_alarm() -> None:
    consumers = [
        name
        for name, function in template.resources("AWS::Serverless::Function").items()
        if any(event["Type"] == "DynamoDB" for event in (function.get("Events") or {}).values())
    ]
    assert consumers == ["StatusStreamFunction"]
    for name in consumers:
        assert ("AWS/Lambda", "IteratorAge", (("FunctionName", name),)) in _alarmed()


def test_the_api_has_5xx_and_p99_latency_alarms_on_its_stage() -> None:
    api = template.resources("AWS::Serverless::Api")["PurchaseOrdersApi"]
    dimensions = (("ApiName", _ref(api["Name"])), ("Stage", _ref(api["StageName"])))
    assert ("AWS/ApiGateway", "5XXError", dimensions) in _alarmed()
    (latency,) = [a for a in _alarms().values() if a["MetricName"] == "Latency"]
    assert _watches(latency)[2] == dimensions
    assert latency["ExtendedStatistic"] == "p99"
    assert latency["Threshold"] < 29000  # API Gateway's integration timeout


def test_failed_timed_out_and_expired_rounds_are_alarmed() -> None:
    for machine in template.state_machines():
        for metric in ("ExecutionsFailed", "ExecutionsTimedOut"):
            assert ("AWS/States", metric, (("StateMachineArn", machine),)) in _alarmed(), metric
    # an expired round ends SUCCEEDED: the consumer's own metric, under Powertools' namespace and service
    expired = (
        _powertools("POWERTOOLS_METRICS_NAMESPACE"),
        "ApprovalRoundsExpired",
        (("service", _powertools("POWERTOOLS_SERVICE_NAME")),),
    )
    assert expired in _alarmed()
    code = (ROOT / "layers/shared/purchasing/services/status_service.py").read_text(encoding="utf-8")
    assert 'name="ApprovalRoundsExpired"' in code


def test_table_throttles_and_email_bounces_are_alarmed() -> None:
    for metric in ("ReadThrottleEvents", "WriteThrottleEvents"):
        assert ("AWS/DynamoDB", metric, (("TableName", "PurchaseOrdersTable"),)) in _alarmed()
    service = (("service", _powertools("POWERTOOLS_SERVICE_NAME")),)
    assert (_powertools("POWERTOOLS_METRICS_NAMESPACE"), "EmailBounced", service) in _alarmed()


def _dashboard_metrics() -> set[tuple[str, str, tuple[tuple[str, str], ...]]]:
    body = template.resources("AWS::CloudWatch::Dashboard")["Dashboard"]["DashboardBody"]["Fn::Sub"]
    shown = set()
    for widget in json.loads(body)["widgets"]:
        for metric in widget["properties"]["metrics"]:
            names = [part for part in metric if isinstance(part, str)]
            namespace, metric_name, *pairs = names
            dimensions = tuple(
                sorted(
                    (pairs[i], re.sub(r"^\$\{([^}]+)\}$", r"\1", pairs[i + 1]))
                    for i in range(0, len(pairs), 2)
                )
            )
            shown.add((namespace, metric_name, dimensions))
    return shown


def test_the_dashboard_shows_what_every_alarm_watches() -> None:
    aliases = {"AWS::StackName": "AWS::StackName", "Stage": "Stage"}
    shown = {(ns, m, tuple((k, aliases.get(v, v)) for k, v in dims)) for ns, m, dims in _dashboard_metrics()}
    for name, alarm in _alarms().items():
        assert _watches(alarm) in shown, name


def test_a_round_whose_outcome_cannot_be_written_fails_its_execution() -> None:
    definition = json.loads(template.state_machine_definition("ApprovalStateMachine", {}))
    states = definition["States"]
    for name in ("MarkApproved", "MarkRejected", "MarkExpired"):
        (catch,) = states[name]["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"]
        assert states[catch["Next"]]["Type"] == "Fail"


# --- the front door ---------------------------------------------------------------------------------


@cache
def _deployed() -> dict[str, Any]:
    return template.transformed()


def test_only_the_named_stage_exists_after_the_sam_transform() -> None:
    resources = _deployed()["Resources"].values()
    stages = [r["Properties"] for r in resources if r["Type"] == "AWS::ApiGateway::Stage"]
    assert [stage["StageName"] for stage in stages] == [{"Ref": "Stage"}]
    deployments = [r["Properties"] for r in resources if r["Type"] == "AWS::ApiGateway::Deployment"]
    assert deployments and all("StageName" not in deployment for deployment in deployments)  # no "Stage"


def test_the_named_stage_keeps_its_throttling_access_log_and_tracing() -> None:
    (stage,) = [
        r["Properties"] for r in _deployed()["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"
    ]
    assert stage["TracingEnabled"] is True
    assert "AccessLogSetting" in stage
    assert all("ThrottlingRateLimit" in setting for setting in stage["MethodSettings"])


def _link_prefixes() -> set[str]:
    """The first path segment of every route API Gateway serves without an authorizer."""
    return {
        "/" + route.path.strip("/").split("/")[0] + "/"
        for route in template.routes()
        if template.route_authorizer(route) is None
    }


def test_the_optional_web_acl_rate_limits_every_link_route_per_ip() -> None:
    assert _link_prefixes() == {"/approvals/", "/partner/", "/supplier/"}
    resources = template.load()["Resources"]
    assert template.load()["Parameters"]["WebAclLinkRateLimit"]["Default"] == 0  # off unless asked for
    for name in ("WebAcl", "WebAclAssociation", "WebAclLogGroup", "WebAclLogging"):
        assert resources[name]["Condition"] == "HasWebAcl", name
    acl = resources["WebAcl"]["Properties"]
    (rule,) = [rule for rule in acl["Rules"] if "RateBasedStatement" in rule["Statement"]]
    statement = rule["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP"
    assert _ref(statement["Limit"]) == "WebAclLinkRateLimit"
    matched = {
        s["ByteMatchStatement"]["SearchString"]
        for s in statement["ScopeDownStatement"]["OrStatement"]["Statements"]
    }
    assert matched == _link_prefixes()
    assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    association = resources["WebAclAssociation"]["Properties"]
    assert "${PurchaseOrdersApi.Stage}" in association["ResourceArn"]["Fn::Sub"]


# --- per-client throttling: a usage plan, API keys on the token routes ---------------------------


def _methods() -> dict[tuple[str, str], dict[str, Any]]:
    """(METHOD, path) -> the operation API Gateway imports, from the transformed API definition."""
    (api,) = [
        r["Properties"] for r in _deployed()["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"
    ]
    return {
        (method.upper(), path): operation
        for path, operations in api["Body"]["paths"].items()
        for method, operation in operations.items()
    }


def _schemes(operation: dict[str, Any]) -> set[str]:
    return {name for requirement in operation.get("security") or [] for name in requirement}


def test_the_client_usage_plan_throttles_each_key_on_the_named_stage() -> None:
    plan = _deployed()["Resources"]["ClientUsagePlan"]
    assert plan["Type"] == "AWS::ApiGateway::UsagePlan"
    (api_stage,) = plan["Properties"]["ApiStages"]
    (stage_id,) = [n for n, r in _deployed()["Resources"].items() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert api_stage == {"ApiId": {"Ref": "PurchaseOrdersApi"}, "Stage": {"Ref": stage_id}}  # waits for it
    assert plan["Properties"]["Throttle"] == {
        "RateLimit": {"Ref": "ClientThrottlingRateLimit"},
        "BurstLimit": {"Ref": "ClientThrottlingBurstLimit"},
    }
    parameters = template.load()["Parameters"]
    assert (
        parameters["ClientThrottlingRateLimit"]["Default"],
        parameters["ClientThrottlingBurstLimit"]["Default"],
    ) == (20, 40)
    resources = template.load()["Resources"]
    assert resources["ConsoleApiKey"]["Properties"]["Enabled"] is True  # CloudFormation's default: false
    assert resources["ConsoleApiKeyInPlan"]["Properties"] == {
        "UsagePlanId": {"Ref": "ClientUsagePlan"},
        "KeyId": {"Ref": "ConsoleApiKey"},
        "KeyType": "API_KEY",
    }


def test_every_token_route_takes_an_api_key_and_no_link_route_or_preflight_does() -> None:
    methods = _methods()
    token_routes = {(r.method, r.path) for r in template.routes() if template.route_authorizer(r) is not None}
    link_routes = {(r.method, r.path) for r in template.routes() if template.route_authorizer(r) is None}
    assert token_routes and len(link_routes) == 5
    for route in token_routes:
        assert _schemes(methods[route]) == {"CognitoAuthorizer", "api_key"}, route
    for route in link_routes:
        assert _schemes(methods[route]) <= {"NONE"}, route
    preflights = [operation for (method, _), operation in methods.items() if method == "OPTIONS"]
    assert preflights and all(not _schemes(operation) for operation in preflights)
    (api,) = [
        r["Properties"] for r in _deployed()["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"
    ]
    scheme = api["Body"]["components"]["securitySchemes"]["api_key"]
    assert (scheme["in"], scheme["name"]) == ("header", "x-api-key")
    allowed = template.resources("AWS::Serverless::Api")["PurchaseOrdersApi"]["Cors"]["AllowHeaders"]
    assert "x-api-key" in allowed.strip("'").lower().split(",")


def test_a_missing_key_and_a_throttled_key_get_problems_with_the_cors_headers() -> None:
    responses = template.resources("AWS::Serverless::Api")["PurchaseOrdersApi"]["GatewayResponses"]
    expected = {"INVALID_API_KEY": "403", "THROTTLED": "429", "QUOTA_EXCEEDED": "429"}
    for kind, status in expected.items():
        response = responses[kind]
        assert response["StatusCode"] == status
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert body["status"] == int(status) and body["type"].startswith("/problems/")
        assert (
            response["ResponseParameters"]["Headers"]
            == responses["UNAUTHORIZED"]["ResponseParameters"]["Headers"]
        )


def test_the_console_publisher_may_read_only_the_console_key() -> None:
    function = template.resources("AWS::Serverless::Function")["ConsoleFilesFunction"]
    statements = function["Policies"][0]["Statement"]
    (reads,) = [s for s in statements if "apigateway" in str(s["Action"])]
    assert reads["Action"] == "apigateway:GET"
    assert reads["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/apikeys/${ConsoleApiKey}"
    }
    assert template.load()["Resources"]["ConsoleFiles"]["Properties"]["ApiKeyId"] == {"Ref": "ConsoleApiKey"}


def test_an_operator_overrides_the_local_stacks_parameters_as_sam_deploy_takes_them() -> None:
    assert template._overrides("ClientThrottlingRateLimit=500  PublicBaseUrl=https://x.example/a=b junk") == {
        "ClientThrottlingRateLimit": "500",
        "PublicBaseUrl": "https://x.example/a=b",
    }
