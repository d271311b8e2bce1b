"""The approval state machine, run by moto from the very file template.yaml deploys.

The test plays the stream consumer: it starts one execution per round, waits for the PENDING
APPROVAL item the state machine writes, and answers with the item's task token
(SendTaskSuccess, or SendTaskFailure with error "Rejected"). Timeouts are real seconds.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError
from moto import mock_aws

from local import template

TABLE = os.environ["TABLE_NAME"]  # set by tests/conftest.py, with the region and fake credentials
ROLE_ARN = f"arn:aws:iam::{template.ACCOUNT}:role/approval-state-machine"
PO_ID = "po-1"
PK = f"ORG#acme#PO#{PO_ID}"
POLL_SECONDS = 5.0  # the longest any single wait may take; timeouts below are 1-2 s
NO_TIMEOUT = 2592000  # what the consumer passes for a level whose policy sets no timeout

_deserialize = TypeDeserializer().deserialize


def level(
    number: int,
    *,
    round_no: int = 1,
    timeout: int = NO_TIMEOUT,
    approvers: list[str] | None = None,
    escalate_to: list[str] | None = None,
) -> dict[str, Any]:
    """One level of the execution input, as the stream consumer pins it."""
    return {
        "level": number,
        "name": f"Level {number}",
        "approvers": approvers if approvers is not None else [f"approver{number}@acme.example.com"],
        "timeoutSeconds": timeout,
        "escalateTo": escalate_to or [],
        "sk": f"APPROVAL#{round_no:03d}#{number:02d}",
        "escalationSk": f"APPROVAL#{round_no:03d}#{number:02d}#E",
    }


def levels(count: int) -> list[dict[str, Any]]:
    return [level(number) for number in range(1, count + 1)]


class Workflow:
    """The state machine on moto, and what the stream consumer does with it."""

    def __init__(self) -> None:
        self.ddb = boto3.client("dynamodb")
        self.sfn = boto3.client("stepfunctions")
        self.ddb.create_table(**template.table_definition("PurchaseOrdersTable", TABLE))
        definition = template.state_machine_definition("ApprovalStateMachine", {"PurchaseOrdersTable": TABLE})
        assert template.state_machines()["ApprovalStateMachine"]["Type"] == "STANDARD"
        self.arn = self.sfn.create_state_machine(
            name="approval", definition=definition, roleArn=ROLE_ARN, type="STANDARD"
        )["stateMachineArn"]

    def start(self, route: list[dict[str, Any]], *, round_no: int = 1, with_round_item: bool = True) -> str:
        """Create the round item and start the round's execution, as the consumer does."""
        round_sk = f"ROUND#{round_no:03d}"
        if with_round_item:
            self.ddb.put_item(
                TableName=TABLE,
                Item={
                    "PK": {"S": PK},
                    "SK": {"S": round_sk},
                    "type": {"S": "ROUND"},
                    "round": {"N": str(round_no)},
                    "status": {"S": "PENDING"},
                },
            )
        execution_input = {"pk": PK, "round": round_no, "roundSk": round_sk, "levels": route}
        return str(
            self.sfn.start_execution(
                stateMachineArn=self.arn, name=f"{PO_ID}-r{round_no}", input=json.dumps(execution_input)
            )["executionArn"]
        )

    def item(self, sk: str) -> dict[str, Any] | None:
        raw = self.ddb.get_item(TableName=TABLE, Key={"PK": {"S": PK}, "SK": {"S": sk}}, ConsistentRead=True)
        return {key: _deserialize(value) for key, value in raw["Item"].items()} if "Item" in raw else None

    def pending(self, sk: str) -> dict[str, Any]:
        """The approval request at `sk`, once the state machine has written it."""
        deadline = time.monotonic() + POLL_SECONDS
        while time.monotonic() < deadline:
            item = self.item(sk)
            if item is not None and item["status"] == "PENDING":
                return item
            time.sleep(0.02)
        raise AssertionError(f"no PENDING approval request at {sk} within {POLL_SECONDS}s")

    def approve(self, sk: str) -> dict[str, Any]:
        item = self.pending(sk)
        self.sfn.send_task_success(taskToken=item["taskToken"], output=json.dumps({"decision": "APPROVED"}))
        return item

    def reject(self, sk: str) -> dict[str, Any]:
        item = self.pending(sk)
        self.sfn.send_task_failure(taskToken=item["taskToken"], error="Rejected")
        return item

    def finished(self, execution_arn: str) -> dict[str, Any]:
        deadline = time.monotonic() + POLL_SECONDS
        while time.monotonic() < deadline:
            execution = self.sfn.describe_execution(executionArn=execution_arn)
            if execution["status"] != "RUNNING":
                return dict(execution)
            time.sleep(0.02)
        raise AssertionError(f"the execution did not finish within {POLL_SECONDS}s")

    def round_item(self, round_no: int = 1) -> dict[str, Any] | None:
        return self.item(f"ROUND#{round_no:03d}")

    def approval_keys(self) -> list[str]:
        items = self.ddb.query(
            TableName=TABLE,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :approval)",
            ExpressionAttributeValues={":pk": {"S": PK}, ":approval": {"S": "APPROVAL#"}},
            ConsistentRead=True,
        )["Items"]
        return [item["SK"]["S"] for item in items]

    def history(self, execution_arn: str) -> list[Any]:
        events: list[Any] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn}
        while True:
            page = self.sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def states_entered(self, execution_arn: str) -> list[str]:
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history(execution_arn)
            if event["type"].endswith("StateEntered")
        ]

    def release(self) -> None:
        """Fail whatever request is still waiting, so no execution outlives its test."""
        for sk in self.approval_keys():
            item = self.item(sk)
            if item is not None and item["status"] == "PENDING":
                try:
                    self.sfn.send_task_failure(taskToken=item["taskToken"], error="TestTeardown")
                except ClientError:
                    pass


@pytest.fixture
def workflow() -> Iterator[Workflow]:
    # moto logs every error a state raises (a rejection, a timeout) with the whole state's repr
    interpreter_log = logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component")
    level_before = interpreter_log.level
    interpreter_log.setLevel(logging.CRITICAL)
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            flow = Workflow()
            yield flow
            flow.release()
    finally:
        interpreter_log.setLevel(level_before)


def test_every_level_approved_in_order_approves_the_round(workflow: Workflow) -> None:
    execution = workflow.start(levels(3))

    first = workflow.pending("APPROVAL#001#01")
    time.sleep(0.2)  # time enough for a second request, were levels requested side by side
    assert workflow.approval_keys() == ["APPROVAL#001#01"]  # one level at a time
    workflow.approve("APPROVAL#001#01")
    workflow.approve("APPROVAL#001#02")
    workflow.approve("APPROVAL#001#03")

    result = workflow.finished(execution)
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"decision": "APPROVED"}
    round_item = workflow.round_item()
    assert round_item is not None
    assert round_item["status"] == "APPROVED"
    assert round_item["decidedAt"] >= first["requestedAt"]
    # the request exactly as the contract has it (the approval API records decisions on it)
    token = first.pop("taskToken")
    assert isinstance(token, str) and token
    requested_at = first.pop("requestedAt")
    assert isinstance(requested_at, str) and requested_at
    assert first == {
        "PK": PK,
        "SK": "APPROVAL#001#01",
        "type": "APPROVAL",
        "round": 1,
        "level": 1,
        "levelName": "Level 1",
        "approvers": {"approver1@acme.example.com"},
        "status": "PENDING",
        "escalation": False,
        "timeoutSeconds": NO_TIMEOUT,
        "deliveries": {},  # the mailer records each approver's email in it
    }


def test_approvers_are_written_once_each(workflow: Workflow) -> None:
    team = ["a@acme.example.com", "b@acme.example.com", "a@acme.example.com"]
    execution = workflow.start([level(1, approvers=team)])

    assert workflow.approve("APPROVAL#001#01")["approvers"] == {"a@acme.example.com", "b@acme.example.com"}
    assert workflow.finished(execution)["status"] == "SUCCEEDED"


def test_a_rejection_rejects_the_round_and_requests_no_further_level(workflow: Workflow) -> None:
    execution = workflow.start(levels(3))

    workflow.approve("APPROVAL#001#01")
    workflow.reject("APPROVAL#001#02")

    result = workflow.finished(execution)
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"decision": "REJECTED"}
    round_item = workflow.round_item()
    assert round_item is not None
    assert round_item["status"] == "REJECTED"
    assert "decidedAt" in round_item
    assert workflow.approval_keys() == ["APPROVAL#001#01", "APPROVAL#001#02"]


def test_a_level_that_times_out_escalates_and_the_escalation_can_approve(workflow: Workflow) -> None:
    # 2 s rather than 1: the escalation gets the same timeout, and the test must answer within it
    boss = "boss@acme.example.com"
    execution = workflow.start([level(1, timeout=2, escalate_to=[boss]), level(2)])

    original = workflow.pending("APPROVAL#001#01")
    escalation = workflow.approve("APPROVAL#001#01#E")
    assert escalation["approvers"] == {boss}
    assert escalation["escalation"] is True
    assert escalation["level"] == 1
    assert escalation["levelName"] == "Level 1"
    assert escalation["timeoutSeconds"] == 2
    assert escalation["taskToken"] != original["taskToken"]
    workflow.approve("APPROVAL#001#02")
    result = workflow.finished(execution)
    assert result["status"] == "SUCCEEDED"
    round_item = workflow.round_item()
    assert round_item is not None and round_item["status"] == "APPROVED"
    assert workflow.approval_keys() == ["APPROVAL#001#01", "APPROVAL#001#01#E", "APPROVAL#001#02"]


def test_a_late_decision_on_a_timed_out_request_moves_nothing(workflow: Workflow) -> None:
    execution = workflow.start([level(1, timeout=2, escalate_to=["boss@acme.example.com"]), level(2)])
    original = workflow.pending("APPROVAL#001#01")
    workflow.pending("APPROVAL#001#01#E")

    # AWS answers TaskTimedOut; moto accepts the call while the execution runs, and drops it
    try:
        workflow.sfn.send_task_success(taskToken=original["taskToken"], output="{}")
    except ClientError as error:
        assert error.response["Error"]["Code"] in {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}
    time.sleep(0.2)
    assert workflow.item("APPROVAL#001#02") is None  # the level is still waiting on its escalation

    workflow.reject("APPROVAL#001#01#E")

    assert workflow.finished(execution)["status"] == "SUCCEEDED"
    round_item = workflow.round_item()
    assert round_item is not None and round_item["status"] == "REJECTED"
    assert "APPROVAL#001#02" not in workflow.approval_keys()


def test_an_escalation_that_times_out_too_expires_the_round(workflow: Workflow) -> None:
    execution = workflow.start([level(1, timeout=1, escalate_to=["boss@acme.example.com"]), level(2)])

    workflow.pending("APPROVAL#001#01#E")
    result = workflow.finished(execution)

    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"decision": "EXPIRED"}
    round_item = workflow.round_item()
    assert round_item is not None
    assert round_item["status"] == "EXPIRED"
    assert "decidedAt" in round_item
    assert workflow.approval_keys() == ["APPROVAL#001#01", "APPROVAL#001#01#E"]


def test_a_level_without_escalation_that_times_out_expires_the_round(workflow: Workflow) -> None:
    execution = workflow.start([level(1, timeout=1), level(2)])

    result = workflow.finished(execution)

    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"decision": "EXPIRED"}
    round_item = workflow.round_item()
    assert round_item is not None and round_item["status"] == "EXPIRED"
    assert workflow.approval_keys() == ["APPROVAL#001#01"]


@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_an_outcome_that_cannot_be_written_fails_the_round_visibly(workflow: Workflow, decide: str) -> None:
    # Issue 12 changes the error: a round whose outcome is not recorded stayed RUNNING unseen, so the
    # execution now fails with an error of its own (the ExecutionsFailed alarm; `make redrive`).
    execution = workflow.start([level(1)], with_round_item=False)

    getattr(workflow, decide)("APPROVAL#001#01")

    result = workflow.finished(execution)
    assert result["status"] == "FAILED"
    assert result["error"] == "RoundNotRecorded"
    assert workflow.round_item() is None
    failed = [e for e in workflow.history(execution) if e["type"] == "TaskFailed"]
    assert failed[-1]["taskFailedEventDetails"]["error"] == "DynamoDB.ConditionalCheckFailedException"


@pytest.mark.parametrize("count", [1, 3, 5])
def test_state_transitions_stay_low(workflow: Workflow, count: int) -> None:
    execution = workflow.start(levels(count))
    for number in range(1, count + 1):
        workflow.approve(f"APPROVAL#001#{number:02d}")
    assert workflow.finished(execution)["status"] == "SUCCEEDED"

    entered = workflow.states_entered(execution)

    # the Map, one task per level, the round's outcome
    assert entered == ["Levels", *["RequestApproval"] * count, "MarkApproved"]
    assert len(entered) <= 2 * count + 3


def test_the_definition_calls_dynamodb_only() -> None:
    definition = json.loads(template.state_machine_definition("ApprovalStateMachine", {}))
    tasks: list[dict[str, Any]] = []

    def collect(states: dict[str, Any]) -> None:
        for state in states.values():
            if state["Type"] == "Task":
                tasks.append(state)
            if state["Type"] == "Map":
                collect(state["ItemProcessor"]["States"])

    collect(definition["States"])
    assert {task["Resource"] for task in tasks} == {
        "arn:aws:states:::aws-sdk:dynamodb:putItem.waitForTaskToken",
        "arn:aws:states:::dynamodb:updateItem",
    }
    assert {task["Parameters"]["TableName"] for task in tasks} == {"PurchaseOrdersTable"}
