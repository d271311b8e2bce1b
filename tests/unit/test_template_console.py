"""template.yaml's web console: a private bucket read by CloudFront alone, HTTPS and security
headers, the managed login's OAuth settings, CORS for the console's origin, and the deploy-time
publisher of web/ with its config.json (issue 14)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from moto import mock_aws

from local import console, template


def _resource(logical_id: str) -> dict[str, Any]:
    return dict(template.load()["Resources"][logical_id])


def _props(logical_id: str) -> dict[str, Any]:
    return dict(_resource(logical_id)["Properties"])


def _publisher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("console_publish", template.ROOT / "web" / "publish.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_console_bucket_is_private_encrypted_and_read_only_by_its_distribution() -> None:
    bucket = _props("ConsoleBucket")
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]

    statements = _props("ConsoleBucketPolicy")["PolicyDocument"]["Statement"]
    allows = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "CloudFrontReadsThroughOriginAccessControl",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "${ConsoleBucket.Arn}/*"},
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": {
                        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/"
                        "${ConsoleDistribution}"
                    }
                }
            },
        }
    ]
    (deny,) = [statement for statement in statements if statement["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_cloudfront_serves_https_only_through_origin_access_control_with_the_headers_policy() -> None:
    config = _props("ConsoleDistribution")["DistributionConfig"]
    (origin,) = config["Origins"]
    behavior = config["DefaultCacheBehavior"]

    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # OAC, not the legacy OAI
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": "ConsoleHeadersPolicy"}
    assert config["DefaultRootObject"] == "index.html"
    oac = _props("ConsoleOriginAccessControl")["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"]) == ("s3", "always")


def test_the_security_headers_allow_only_self_the_api_the_sign_in_domain_and_uploads() -> None:
    headers = _props("ConsoleHeadersPolicy")["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = " ".join(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"].split())
    directives = {part.split()[0]: part.split()[1:] for part in csp.split("; ")}

    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert directives["default-src"] == ["'self'"] and directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    assert directives["connect-src"] == [
        "'self'",
        "https://*.execute-api.${AWS::Region}.amazonaws.com",
        "https://po-${AWS::AccountId}-${Stage}.auth.${AWS::Region}.amazoncognito.com",
        "https://${DocumentsBucket}.s3.amazonaws.com",
        "https://${DocumentsBucket}.s3.${AWS::Region}.amazonaws.com",
    ]
    # the sign-in domain the CSP names is the pool's domain
    assert _props("UserPoolDomain")["Domain"] == {"Fn::Sub": "po-${AWS::AccountId}-${Stage}"}


def test_the_app_client_signs_in_with_the_code_flow_back_to_the_console_only() -> None:
    client = _props("UserPoolClient")
    console_url = {"Fn::Sub": "https://${ConsoleDistribution.DomainName}/"}

    assert client["GenerateSecret"] is False  # a browser app: PKCE, no secret
    assert client["AllowedOAuthFlows"] == ["code"] and client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["CallbackURLs"] == [console_url] and client["LogoutURLs"] == [console_url]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert _props("UserPoolDomain")["UserPoolId"] == {"Ref": "UserPool"}


def test_the_apis_cors_origin_is_the_consoles_unless_allowed_origins_says_otherwise() -> None:
    console_origin = {"Fn::Sub": "'https://${ConsoleDistribution.DomainName}'"}
    cors = _props("PurchaseOrdersApi")["Cors"]["AllowOrigin"]["Fn::If"]
    unauthorized = _props("PurchaseOrdersApi")["GatewayResponses"]["UNAUTHORIZED"]
    gateway_origin = unauthorized["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"]["Fn::If"]
    functions = template.load()["Globals"]["Function"]["Environment"]["Variables"]["ALLOWED_ORIGINS"][
        "Fn::If"
    ]

    assert template.load()["Parameters"]["AllowedOrigins"]["Default"] == ""
    assert template.load()["Conditions"]["HasAllowedOrigins"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AllowedOrigins"}, ""]}]
    }
    assert cors[0] == gateway_origin[0] == functions[0] == "HasAllowedOrigins"
    assert cors[2] == gateway_origin[2] == console_origin
    assert functions[2] == {"Fn::Sub": "https://${ConsoleDistribution.DomainName}"}
    # the local stack sets AllowedOrigins: its console (127.0.0.1) and API (localhost) origins
    assert template.condition("HasAllowedOrigins")


def test_one_deploy_publishes_web_and_a_config_json_with_the_keys_the_local_console_serves() -> None:
    files = _resource("ConsoleFiles")
    function = _props("ConsoleFilesFunction")

    assert function["CodeUri"] == "web/" and function["Handler"] == "publish.handler"
    assert files["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["ConsoleFilesFunction", "Arn"]}
    assert files["Properties"]["Release"] == {"Ref": "ConsoleFilesFunction.Version"}  # new files: publish
    assert function["AutoPublishAlias"]
    local_config = console.Console("http://127.0.0.1:3000", "c", api_key="k" * 40).config()
    # the publisher adds the console key's value (ApiKeyId) as apiKey: CloudFormation cannot give it
    assert set(files["Properties"]["Config"]) | {"apiKey"} == set(local_config)
    assert files["Properties"]["ApiKeyId"] == {"Ref": "ConsoleApiKey"}
    statements = function["Policies"][0]["Statement"]
    assert {action for statement in statements for action in _list(statement["Action"])} == {
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:ListBucket",
        "apigateway:GET",
    }
    assert "ConsoleUrl" in template.load()["Outputs"]


def _list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


@mock_aws
def test_the_publisher_puts_every_console_file_but_itself_and_the_config_then_empties_on_delete() -> None:
    publish = _publisher()
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="console")
    web = Path(template.ROOT / "web")

    keys = publish.publish(s3, "console", {"apiUrl": "https://api.example"})

    expected = sorted(
        path.relative_to(web).as_posix() for path in web.rglob("*") if path.is_file() and path.suffix != ".py"
        and "__pycache__" not in path.parts
    )  # fmt: skip
    assert sorted(keys) == sorted([*expected, "config.json"])
    assert "publish.py" not in keys and "index.html" in keys and "js/app.js" in keys
    index = s3.get_object(Bucket="console", Key="index.html")
    assert (index["ContentType"], index["CacheControl"]) == ("text/html; charset=utf-8", "no-cache")
    assert s3.get_object(Bucket="console", Key="js/app.js")["ContentType"] == "text/javascript; charset=utf-8"
    config = s3.get_object(Bucket="console", Key="config.json")
    assert json.loads(config["Body"].read()) == {"apiUrl": "https://api.example"}

    publish.empty(s3, "console")
    assert s3.list_objects_v2(Bucket="console")["KeyCount"] == 0


@mock_aws
def test_the_published_config_carries_the_console_api_key_value() -> None:
    publish = _publisher()
    apigateway = boto3.client("apigateway", region_name="us-east-1")
    key = apigateway.create_api_key(name="console", enabled=True)

    config = publish.with_api_key(apigateway, {"apiUrl": "https://api.example"}, key["id"])

    assert config == {"apiUrl": "https://api.example", "apiKey": key["value"]}
    assert len(key["value"]) >= 20


def test_the_publisher_answers_cloudformation_even_when_it_fails(monkeypatch: Any) -> None:
    publish = _publisher()
    answers: list[tuple[str, str]] = []
    monkeypatch.setattr(
        publish, "respond", lambda event, context, status, reason, data: answers.append((status, reason))
    )

    class Failing:
        def put_object(self, **_: Any) -> None:
            raise RuntimeError("AccessDenied")

    monkeypatch.setattr(publish.boto3, "client", lambda *_: Failing())
    event = {"RequestType": "Create", "ResourceProperties": {"Bucket": "b", "Config": {}}}
    publish.handler(event, None)

    assert answers == [("FAILED", "RuntimeError: AccessDenied")]
