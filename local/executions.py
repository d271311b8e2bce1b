"""Step Functions rounds that go on across a local restart: their task tokens, and what each got.

In AWS a round waiting on an approver's callback waits through anything; locally moto's interpreter
holds it in a thread of this process, and a restart would end it. So `apply` makes moto's
interpreter keep, per execution, each waitForTaskToken task's token, when it was issued and, once
answered, its outcome (success with its output, failure with its error and cause, or a timeout).
`local.persistence` saves that with the execution's name and input; on the next start `resume`
starts the execution again under the same name and input, and the interpreter replays it: each
task it saved gets its old token back and makes no call (its item is in the table already); a task
that was answered gets the same answer at once; the task still waiting waits again, for what is
left of its timeout, on the token the approval link's item holds. From there on it runs as usual.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from functools import wraps
from typing import Any

_lock = threading.Lock()
_issued: dict[str, list[dict[str, Any]]] = {}  # execution ARN -> its callback tasks, in order
_replays: dict[str, deque[dict[str, Any]]] = {}  # execution ARN -> the saved tasks not replayed yet
_replaying: dict[str, dict[str, Any]] = {}  # token -> its saved task, while the interpreter replays it
_applied = False


def tasks(execution_arn: str) -> list[dict[str, Any]]:
    """The callback tasks of a running execution, as `resume` takes them back (JSON-ready)."""
    with _lock:
        return [dict(task) for task in _issued.get(execution_arn, [])]


def forget_all_but(running: set[str]) -> None:
    """Drop what finished executions left (memory stays bounded)."""
    with _lock:
        for arn in [arn for arn in _issued if arn not in running]:
            del _issued[arn]


def resume(sfn: Any, state_machine_arn: str, saved: dict[str, Any]) -> None:
    """Start the saved execution again; the interpreter replays its saved tasks (see above)."""
    arn = state_machine_arn.replace(":stateMachine:", ":execution:") + f":{saved['name']}"
    with _lock:
        _replays[arn] = deque(saved["tasks"])
    sfn.start_execution(stateMachineArn=state_machine_arn, name=saved["name"], input=saved["input"])


def _execution(context: Any) -> str:
    return str(context.context_object_data["Execution"]["Id"])


def _token(env: Any) -> str | None:
    task = env.states.context_object.context_object_data.get("Task") or {}
    return task.get("Token")


def _issue(context: Any, fresh: Any) -> str:
    """The next saved token of a resumed execution, else a new one; kept either way."""
    arn = _execution(context)
    with _lock:
        queue = _replays.get(arn)
        saved = queue.popleft() if queue else None
        if queue is not None and not queue:
            del _replays[arn]
    if saved is None:
        token = str(fresh(context))
        task: dict[str, Any] = {"token": token, "issuedAt": time.time(), "outcome": None}
    else:
        token, task = saved["token"], dict(saved)
        context.context_object_data["Task"] = {"Token": token}
        with _lock:
            _replaying[token] = task
    with _lock:
        _issued.setdefault(arn, []).append(task)
    return token


def _outcome(saved: dict[str, Any], token: str) -> Any:
    from moto.stepfunctions.parser.asl.eval.callback import callback

    kind = saved["kind"]
    if kind == "success":
        return callback.CallbackOutcomeSuccess(callback_id=token, output=saved["output"])
    if kind == "failure":
        return callback.CallbackOutcomeFailure(callback_id=token, error=saved["error"], cause=saved["cause"])
    return callback.CallbackOutcomeTimedOut(callback_id=token)


def _record(outcome: Any) -> dict[str, Any]:
    from moto.stepfunctions.parser.asl.eval.callback import callback

    if isinstance(outcome, callback.CallbackOutcomeSuccess):
        return {"kind": "success", "output": outcome.output}
    if isinstance(outcome, callback.CallbackOutcomeFailure):
        return {"kind": "failure", "error": outcome.error, "cause": outcome.cause}
    return {"kind": "timeout"}


def apply() -> None:
    """Idempotent: moto's interpreter keeps and replays callback tasks as described above."""
    global _applied
    if _applied:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as aws_sdk,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callbacks,
    )
    from moto.stepfunctions.parser.asl.eval.callback import callback
    from moto.stepfunctions.parser.asl.eval.states import ContextObject

    fresh_token = ContextObject.update_task_token

    @wraps(fresh_token)
    def update_task_token(self: Any) -> str:
        return _issue(self, fresh_token)

    service_task = aws_sdk.StateTaskServiceAwsSdk._eval_service_task

    @wraps(service_task)
    def eval_service_task(self: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        with _lock:
            replayed = _token(env) in _replaying
        if replayed:
            env.stack.append({})  # made before the restart: its item is in the table already
            return
        service_task(self, env, *args, **kwargs)

    wait = callbacks.StateTaskServiceCallback._eval_wait_for_task_token

    @wraps(wait)
    def eval_wait_for_task_token(
        self: Any, env: Any, timeout_seconds: int, callback_endpoint: Any, heartbeat_endpoint: Any
    ) -> Any:
        token = callback_endpoint.callback_id
        with _lock:
            task = _replaying.pop(token, None)
        if task is not None and task["outcome"] is not None:
            return _outcome(task["outcome"], token)
        if task is not None:  # waiting when it stopped: only what is left of its timeout
            waited = time.time() - float(task["issuedAt"])
            timeout_seconds = max(0, int(timeout_seconds - waited))
        outcome = wait(self, env, timeout_seconds, callback_endpoint, heartbeat_endpoint)
        if not isinstance(outcome, callback.CallbackConsumerError):
            with _lock:
                for kept in _issued.get(_execution(env.states.context_object), []):
                    if kept["token"] == token:
                        kept["outcome"] = _record(outcome)
        return outcome

    ContextObject.update_task_token = update_task_token  # type: ignore[method-assign]
    aws_sdk.StateTaskServiceAwsSdk._eval_service_task = eval_service_task  # type: ignore[method-assign]
    callbacks.StateTaskServiceCallback._eval_wait_for_task_token = eval_wait_for_task_token  # type: ignore[method-assign]
    _applied = True
