"""Shared fixtures: Powertools env before any handler import, a Lambda context, API events,
and a moto table built from template.yaml's own properties."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

os.environ.update(
    TABLE_NAME="purchase-orders-test",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    POWERTOOLS_SERVICE_NAME="purchase-orders",
    POWERTOOLS_METRICS_NAMESPACE="PurchaseOrders",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING",
    POWERTOOLS_METRICS_DISABLED="true",
    EVENTS_TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:po-events-test",
    APPROVALS_TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:po-approvals-test",
    APPROVAL_STATE_MACHINE_ARN="arn:aws:states:us-east-1:123456789012:stateMachine:approval-test",
    APPROVAL_LINK_SECRET_ARN="approval-link-test",
    API_BASE_URL="https://api.example.com/test",
    DOCUMENTS_BUCKET="documents-test",
    SUPPLIER_TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:po-suppliers-test",
    SENDER_EMAIL="purchasing@po-test.example",
    SES_CONFIGURATION_SET="po-mail-test",
    ALLOWED_ORIGINS="",  # no browser origin but the API's own (the template's default)
    USER_POOL_ID="us-east-1_placeholder",  # the users tests point it at their moto pool
)
LINK_SECRET = "test-link-secret-" + "x" * 40

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.stepfunctions.parser.models import StepFunctionsParserBackend  # noqa: E402

from local import lambda_events, moto_fixes, template  # noqa: E402
from local.lambda_events import LambdaContext, api_event  # noqa: E402
from local.routes import Match  # noqa: E402

moto_fixes.apply()


# What each test's fresh moto (the `aws` fixture) would pay again for the same inputs: the approval
# state machine's definition parsed (ANTLR, a fifth of a second) to validate it, and a new boto3
# session with nothing loaded. A definition that validated once validates again (an invalid one still
# raises, every time); the worker's one session holds the fake credentials above.
StepFunctionsParserBackend._validate_definition = staticmethod(  # type: ignore[method-assign]
    functools.cache(StepFunctionsParserBackend._validate_definition)
)
WORKER_SESSION = boto3.session.Session()

# make test runs the suite on several pytest-xdist workers, each a process of its own: moto's state and
# the environment are the worker's already; so are the ports, which the kernel hands out (local.cloud's
# free_port: never one that is bound, so workers and other runs on the machine do not share one).


@pytest.fixture(scope="session", autouse=True)
def local_cloud_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Whatever a test starts without a state directory of its own keeps it in the worker's, never in
    the repository's .local-cloud/ (which make dev uses, and the other workers would share)."""
    with pytest.MonkeyPatch.context() as patch:
        state = tmp_path_factory.mktemp("local-cloud")
        patch.setenv("LOCAL_CLOUD_DIR", str(state))
        yield state


def claims(
    org: str = "acme", email: str = "buyer@acme.example.com", role: str = "buyer", sub: str = "user-1"
) -> dict[str, str]:
    return {"sub": sub, "email": email, "custom:org_id": org, "cognito:groups": role, "token_use": "id"}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


@pytest.fixture
def aws() -> Iterator[None]:
    """moto (running state machines) with what the template declares: the table from its own
    properties, the topics, the approval state machine from its own ASL file, the link secret,
    the versioned documents bucket."""
    import boto3

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        boto3.DEFAULT_SESSION = WORKER_SESSION  # moto's patch puts back None when the mock stops
        boto3.client("dynamodb").create_table(
            **template.table_definition("PurchaseOrdersTable", os.environ["TABLE_NAME"])
        )
        boto3.client("sns").create_topic(Name="po-events-test")
        boto3.client("sns").create_topic(Name="po-approvals-test")
        definition = template.state_machine_definition(
            "ApprovalStateMachine", {"PurchaseOrdersTable": os.environ["TABLE_NAME"]}
        )
        boto3.client("stepfunctions").create_state_machine(
            name="approval-test",
            definition=definition,
            roleArn="arn:aws:iam::123456789012:role/approval-test",
            type="STANDARD",
        )
        boto3.client("secretsmanager").create_secret(Name="approval-link-test", SecretString=LINK_SECRET)
        boto3.client("sns").create_topic(Name="po-suppliers-test")
        boto3.client("s3").create_bucket(Bucket=os.environ["DOCUMENTS_BUCKET"])
        boto3.client("s3").put_bucket_versioning(
            Bucket=os.environ["DOCUMENTS_BUCKET"], VersioningConfiguration={"Status": "Enabled"}
        )
        yield


class Topic:
    """What a topic (the PO events one unless named) published, through an SQS queue on it."""

    def __init__(self, topic_arn: str | None = None) -> None:
        import boto3

        topic_arn = topic_arn or os.environ["EVENTS_TOPIC_ARN"]
        self.sqs = boto3.client("sqs")
        self.queue_url = self.sqs.create_queue(QueueName=topic_arn.rsplit(":", 1)[-1] + "-tap")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
        boto3.client("sns").subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn["Attributes"]["QueueArn"],
        )

    def messages(self) -> list[dict[str, Any]]:
        """Every message published since the last call: its body and its attributes."""
        received = []
        while batch := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
            "Messages"
        ):
            for message in batch:
                envelope = json.loads(message["Body"])
                attributes = {
                    key: value["Value"] for key, value in envelope.get("MessageAttributes", {}).items()
                }
                body = envelope["Message"]
                received.append(
                    {
                        "body": json.loads(body) if body.startswith("{") else body,
                        "subject": envelope.get("Subject"),
                        "attributes": attributes,
                    }
                )
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return received


@pytest.fixture
def topic(aws: None) -> Topic:
    return Topic()


class Stream:
    """The table's stream as Lambda delivers it to the status consumer: read from moto, filtered
    by the template's FilterCriteria, passed to the real handler."""

    def __init__(self) -> None:
        import boto3

        from local import event_filter, streams

        spec = template.functions()["StatusStreamFunction"]
        self.module = template.load_module(spec)
        self.patterns = event_filter.filter_patterns(spec.events["TableStream"]["Properties"])
        self.matches = event_filter.matches
        table = boto3.client("dynamodb").describe_table(TableName=os.environ["TABLE_NAME"])["Table"]
        self.reader = streams.StreamReader(streams.streams_client("us-east-1"), table["LatestStreamArn"])

    def records(self) -> list[dict[str, Any]]:
        return [record for record in self.reader.read() if self.matches(self.patterns, record)]

    def deliver(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return self.module.lambda_handler({"Records": records}, LambdaContext(function_name="status-stream"))

    def drain(self, rounds: int = 5) -> int:
        """Deliver until the consumer's own writes stop producing records; how many were delivered."""
        delivered = 0
        for _ in range(rounds):
            records = self.records()
            if not records:
                return delivered
            assert self.deliver(records) == {"batchItemFailures": []}
            delivered += len(records)
        raise AssertionError("the stream did not settle")


@pytest.fixture
def stream(aws: None) -> Stream:
    return Stream()


@pytest.fixture(scope="session")
def po_api_module() -> ModuleType:
    return template.load_module(template.functions()["PoApiFunction"])


class Api:
    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.caller = claims()

    def __call__(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        kwargs.setdefault("caller", self.caller)
        response = self.module.lambda_handler(api_event(method, path, body, **kwargs), LambdaContext())
        headers = {key: values[-1] for key, values in (response.get("multiValueHeaders") or {}).items()}
        headers.update(response.get("headers") or {})
        text = response.get("body") or ""
        is_json = "json" in headers.get("Content-Type", "application/json")
        return Reply(response["statusCode"], headers, json.loads(text) if text and is_json else text or None)


class Apis(Api):
    """Every API function of the template, routed by method and path as API Gateway does."""

    def __init__(self) -> None:
        self.caller = claims()

    def __call__(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        found = lambda_events.router().match(method, path)
        assert isinstance(found, Match), f"no route for {method} {path}"
        self.module = template.load_module(template.functions()[found.endpoint.route.function])
        return super().__call__(method, path, body, **kwargs)


@pytest.fixture
def api(aws: None, po_api_module: ModuleType) -> Api:
    return Apis()


def new_po_body(lines: int = 1, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "supplier": {"name": "Acme Metals", "email": "sales@acme-metals.example.com"},
        "currency": "USD",
        "lines": [
            {"description": f"Bolt M{6 + n}", "quantity": "10", "unitCost": "1.25"} for n in range(lines)
        ],
    }
    body.update(overrides)
    return body


def pytest_collection_finish(session: pytest.Session) -> None:
    """The garbage collector's full passes over the worker's big, long-lived heap (botocore's models,
    moto, every handler's module) cost a test seconds at random: what is loaded by now is frozen out
    of them, and young objects are collected less often."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 20, 10)
