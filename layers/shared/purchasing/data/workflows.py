"""The approval state machine: start a round, relay decisions, stop a superseded round."""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from purchasing import config

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

# A task that already finished (decided twice, timed out, stopped): nothing left to tell it.
_GONE = ("TaskDoesNotExist", "TaskTimedOut", "InvalidToken")


@cache
def _sfn() -> SFNClient:
    return boto3.client("stepfunctions", region_name=config.region())


def start_round(name: str, execution_input: dict[str, Any]) -> None:
    """Idempotent: the name is fixed by the round, so a second start finds the first."""
    try:
        _sfn().start_execution(
            stateMachineArn=config.get(config.Approvals).approval_state_machine_arn,
            name=name,
            input=json.dumps(execution_input),
        )
    except _sfn().exceptions.ExecutionAlreadyExists:
        pass


def relay_decision(task_token: str, approved: bool) -> None:
    try:
        if approved:
            _sfn().send_task_success(taskToken=task_token, output=json.dumps({"decision": "APPROVED"}))
        else:  # the comment stays in DynamoDB: the failure's cause does not travel everywhere
            _sfn().send_task_failure(taskToken=task_token, error="Rejected", cause="rejected by an approver")
    except _sfn().exceptions.ClientError as error:
        if error.response["Error"]["Code"] not in _GONE:
            raise


def escalate_undeliverable(task_token: str) -> None:
    """Nobody at the level can receive the request: the state machine escalates, as on a timeout."""
    try:
        _sfn().send_task_failure(
            taskToken=task_token, error="Undeliverable", cause="every approver's address bounced"
        )
    except _sfn().exceptions.ClientError as error:
        if error.response["Error"]["Code"] not in _GONE:
            raise


def stop_round(name: str) -> None:
    arn = (
        config.get(config.Approvals).approval_state_machine_arn.replace(":stateMachine:", ":execution:")
        + f":{name}"
    )
    try:
        _sfn().stop_execution(executionArn=arn, cause="superseded: the PO changed")
    except _sfn().exceptions.ClientError as error:
        if error.response["Error"]["Code"] not in ("ExecutionDoesNotExist",):
            raise
