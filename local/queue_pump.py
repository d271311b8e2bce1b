"""SQS event source mappings: the template's `Type: SQS` function events, against moto's queues.

Per mapping: receive up to BatchSize messages (waiting at most MaximumBatchingWindowInSeconds
to fill the batch), drop (delete) those that match no FilterCriteria pattern, invoke the handler
with `{"Records": [...]}` in Lambda's SQS shape, then delete what succeeded. A raised error
deletes nothing; with ReportBatchItemFailures, the messages named in `batchItemFailures` stay
(a response naming a message not in the batch fails the whole batch). What stays comes back
after the queue's visibility timeout, and its redrive policy moves it to the dead-letter queue
after maxReceiveCount receives, as in AWS. Not implemented: ScalingConfig, FIFO ordering
guarantees beyond what moto's receive gives.
"""

from __future__ import annotations

import base64
import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local import event_filter, template
from local.polling import Group, Poller, log

if TYPE_CHECKING:
    from local.pumps import PumpContext

POLL_SECONDS = 0.2
# The local cloud's pumps long-poll, as Lambda's SQS poller does: a message is taken as it arrives
# (moto's ReceiveMessage wakes on it), and an idle queue costs one call a second, not five.
LONG_POLL_SECONDS = 1
Invoke = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class QueueMapping:
    function: str
    event: str
    queue_arn: str
    batch_size: int = 10
    batching_window: float = 0.0
    report_item_failures: bool = False
    patterns: tuple[str, ...] = ()

    @classmethod
    def from_event(cls, function: str, event: str, props: dict[str, Any]) -> QueueMapping:
        return cls(
            function=function,
            event=event,
            queue_arn=str(props["Queue"]),
            batch_size=int(props.get("BatchSize") or 10),
            batching_window=float(props.get("MaximumBatchingWindowInSeconds") or 0),
            report_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
            patterns=tuple(event_filter.filter_patterns(props)),
        )

    @property
    def queue_name(self) -> str:
        return self.queue_arn.rsplit(":", 1)[-1]


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A received message as Lambda puts it in an SQS event."""
    attributes = {
        key: {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(value["BinaryValue"]).decode()
            if "BinaryValue" in value
            else None,
            "stringListValues": list(value.get("StringListValues") or []),
            "binaryListValues": [
                base64.b64encode(item).decode() for item in value.get("BinaryListValues") or []
            ],
            "dataType": value.get("DataType"),
        }
        for key, value in (message.get("MessageAttributes") or {}).items()
    }
    for value in attributes.values():
        for key in ("stringValue", "binaryValue"):
            if value[key] is None:
                del value[key]
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3] if queue_arn.count(":") >= 5 else template.REGION,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _filterable(record: dict[str, Any]) -> dict[str, Any]:
    """What FilterCriteria see: the body as JSON when it is JSON."""
    try:
        return {**record, "body": json.loads(record["body"])}
    except ValueError:
        return record


class QueuePump(Poller):
    def __init__(
        self,
        mapping: QueueMapping,
        sqs: Any,
        invoke: Invoke,
        *,
        queue_url: str | None = None,
        poll_seconds: float | None = None,
        long_poll: int = 0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            f"queue {mapping.queue_name} -> {mapping.function}",
            POLL_SECONDS if poll_seconds is None else poll_seconds,
        )
        self.mapping = mapping
        self.sqs = sqs
        self.invoke = invoke
        self.queue_url = queue_url or sqs.get_queue_url(QueueName=mapping.queue_name)["QueueUrl"]
        self.monotonic = monotonic
        self.long_poll = long_poll  # seconds a receive may wait for a first message, as Lambda's poller

    def poll_once(self) -> bool:
        messages = self.receive()
        records = [sqs_record(message, self.mapping.queue_arn) for message in messages]
        patterns = list(self.mapping.patterns)
        wanted = [record for record in records if event_filter.matches(patterns, _filterable(record))]
        dropped = [record for record in records if record not in wanted]
        self.delete(dropped)
        if wanted:
            self.delete(self.deliver(wanted))
        return bool(messages)

    def receive(self) -> list[dict[str, Any]]:
        """Up to BatchSize messages, waiting up to the batching window to fill the batch."""
        messages: list[dict[str, Any]] = []
        deadline: float | None = None
        while len(messages) < self.mapping.batch_size and not self.stopping:
            received = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.mapping.batch_size - len(messages)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=self.long_poll if deadline is None else 0,
            ).get("Messages", [])
            taken = {message["MessageId"] for message in messages}  # seen again: a short visibility
            got = [message for message in received if message["MessageId"] not in taken]
            if got and deadline is None:
                deadline = self.monotonic() + self.mapping.batching_window
            messages += got
            if not got and (deadline is None or self.monotonic() >= deadline):
                break
            if not got:
                self.sleep(min(self.interval, max(0.0, deadline - self.monotonic()) if deadline else 0))
        return messages

    def deliver(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Invoke with the batch; the records that succeeded (to delete)."""
        started = time.monotonic()
        try:
            response = self.invoke({"Records": records})
        except Exception as error:
            traceback.print_exc()
            done: list[dict[str, Any]] = []
            result = f"raised {error!r}"
        else:
            failed = self._failed(records, response)
            done = [record for record in records if record["messageId"] not in failed]
            result = f"{len(records) - len(done)} failure{'s' if len(records) - len(done) != 1 else ''}"
        elapsed = (time.monotonic() - started) * 1000
        log(
            f"queue: {self.mapping.function} <- {self.mapping.queue_name}: "
            f"{len(records)} message{'s' if len(records) != 1 else ''}, {result}, {elapsed:.0f}ms"
        )
        return done

    def _failed(self, records: list[dict[str, Any]], response: Any) -> set[str]:
        if not self.mapping.report_item_failures or not isinstance(response, dict):
            return set()
        failures = response.get("batchItemFailures") or []
        ids = {record["messageId"] for record in records}
        named = {item.get("itemIdentifier") if isinstance(item, dict) else None for item in failures}
        if not all(isinstance(found, str) and found in ids for found in named):
            log(
                f"warning: {self.mapping.function} reported failures not in the batch: the whole batch failed"
            )
            return ids
        return {str(found) for found in named}

    def delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": record["receiptHandle"]}
                    for index, record in enumerate(chunk)
                ],
            )


def mappings(names: dict[str, str]) -> list[QueueMapping]:
    found = []
    for spec in template.functions(names).values():
        for event_name, event in spec.events.items():
            if event.get("Type") == "SQS":
                props = template.resolve(dict(event.get("Properties") or {}), names)
                if props.get("Enabled", True) not in (False, "false"):
                    found.append(QueueMapping.from_event(spec.logical_id, event_name, props))
    return found


def factory(context: PumpContext) -> Group | None:
    found = mappings(context.resources.names)
    if not found:
        return None
    pumps: list[Poller] = []
    for mapping in found:

        def invoke(event: dict[str, Any], function: str = mapping.function) -> Any:
            return context.invoker.invoke(function, event)

        pumps.append(
            QueuePump(
                mapping, context.moto.client("sqs"), invoke, poll_seconds=0, long_poll=LONG_POLL_SECONDS
            )
        )
    return Group(pumps)
