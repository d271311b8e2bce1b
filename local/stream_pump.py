"""DynamoDB stream event source mappings: the template's `Type: DynamoDB` function events, run
against moto's stream of the table the way Lambda runs them.

What is implemented, per mapping (one thread reads the stream; batches run on workers):
- FilterCriteria: records that match no pattern are dropped before batching, as Lambda does
  (local.event_filter applies the patterns as Lambda does);
- ParallelizationFactor: each shard's records are split by their partition key into that many
  lanes, as Lambda does; a lane runs one batch at a time, in order, and lanes (of one shard or
  of several) run concurrently, so one PO's large batch does not hold up another PO's;
- batches of at most BatchSize, sent when full or MaximumBatchingWindowInSeconds after the
  first record of the batch was seen (moto's stream is polled every `POLL_SECONDS` while there is
  work; with nothing to do the pump waits for the next record written to moto's stream, or
  `IDLE_SECONDS`, rather than poll for nothing: a quarter of a core, idle);
- the event is `{"Records": [...]}` as Lambda sends it (eventSourceARN, epoch
  ApproximateCreationDateTime), the handler runs in process through the gateway's `Invoker`;
- ReportBatchItemFailures: the records before the first reported failure are done, the batch is
  retried from it; a response naming a record not in the batch fails the whole batch;
- a raised error retries the batch, or with BisectBatchOnFunctionError splits it in two and
  goes on with each half (a split is not a retry; a single record is retried);
- MaximumRetryAttempts bounds the retries of the batch's first pending record (-1: no bound);
  MaximumRecordAgeInSeconds drops older records before an invocation. What is dropped goes to
  the OnFailure destination (SQS or SNS) as Lambda's invocation record (`DDBStreamBatchInfo`,
  condition RetryAttemptsExhausted or RecordAgeExceeded), and the stream moves on.
Retries wait `RETRY_SECONDS` doubling up to `MAX_RETRY_SECONDS` (Lambda backs off too).
Not implemented: TumblingWindowInSeconds, the 6 MB payload bound. Handlers still run one at a
time (local.gateway.Invoker): concurrent lanes interleave invocation by invocation.
"""

from __future__ import annotations

import copy
import functools
import json
import threading
import time
import traceback
import uuid
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from local import event_filter, streams, template
from local.polling import Group, Poller, log

if TYPE_CHECKING:
    from local.pumps import PumpContext

POLL_SECONDS = 0.05  # how often moto's stream is read: the local cloud's own polling
IDLE_SECONDS = 1.0  # with nothing to do and a write signal (local.streams.on_write): read at least this often
RETRY_SECONDS = 0.2
MAX_RETRY_SECONDS = 2.0

Record = dict[str, Any]
Reader = Callable[[], list[tuple[str, list[Record]]]]  # new records, shard by shard
Invoke = Callable[[dict[str, Any]], Any]
Send = Callable[[str, dict[str, Any]], None]  # (destination ARN, invocation record)
Run = Callable[[Callable[[], None]], None]  # runs one lane's batch (at once, or on a worker)


@dataclass(frozen=True)
class StreamMapping:
    """One event source mapping, from a function's `Type: DynamoDB` event (Lambda's defaults)."""

    function: str
    event: str
    stream_arn: str
    batch_size: int = 100
    batching_window: float = 0.0
    bisect: bool = False
    max_retries: int = -1
    max_record_age: int = -1
    report_item_failures: bool = False
    patterns: tuple[str, ...] = ()
    on_failure: str | None = None
    starting_position: str = "TRIM_HORIZON"
    parallelization: int = 1

    @classmethod
    def from_event(cls, function: str, event: str, props: dict[str, Any]) -> StreamMapping:
        """From the event's properties, already resolved against the local names."""
        destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        return cls(
            function=function,
            event=event,
            stream_arn=str(props["Stream"]),
            batch_size=int(props.get("BatchSize") or 100),
            batching_window=float(props.get("MaximumBatchingWindowInSeconds") or 0),
            bisect=_flag(props.get("BisectBatchOnFunctionError")),
            max_retries=int(props.get("MaximumRetryAttempts", -1)),
            max_record_age=int(props.get("MaximumRecordAgeInSeconds", -1)),
            report_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
            patterns=tuple(event_filter.filter_patterns(props)),
            on_failure=str(destination) if destination else None,
            starting_position=str(props.get("StartingPosition") or "TRIM_HORIZON"),
            parallelization=int(props.get("ParallelizationFactor") or 1),
        )

    @property
    def table(self) -> str:
        return self.stream_arn.split(":table/", 1)[-1].split("/stream/", 1)[0]


@dataclass
class Outcome:
    """How an invocation went: done, failed from a record on, or raised."""

    failed_from: int | None = None  # index of the first record to retry; None when all succeeded
    error: BaseException | None = None
    reported: int = 0  # batchItemFailures returned


@dataclass
class _Lane:
    """Records of one shard whose partition keys hash to one lane: delivered in order, one batch at
    a time (`busy` while a batch runs)."""

    pending: list[Record] = field(default_factory=list)
    first_seen: float = 0.0
    busy: bool = False


def _at_once(work: Callable[[], None]) -> None:
    work()


def lane_of(record: Record, lanes: int) -> int:
    """Which of a shard's `lanes` a record goes to: by its partition key, as Lambda splits a shard."""
    if lanes <= 1:
        return 0
    keys = record.get("dynamodb", {}).get("Keys") or {}
    partition = json.dumps(keys.get("PK", keys), sort_keys=True)
    return zlib.crc32(partition.encode()) % lanes


def function_arn(logical_id: str) -> str:
    """The ARN the local gateway's Lambda context gives the function."""
    name = f"{template.resolve({'Ref': 'AWS::StackName'}, {})}-{logical_id}"
    return f"arn:aws:lambda:{template.REGION}:{template.ACCOUNT}:function:{name}"


class StreamPump(Poller):
    def __init__(
        self,
        mapping: StreamMapping,
        read: Reader,
        invoke: Invoke,
        send: Send | None = None,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        retry_seconds: float | None = None,
        poll_seconds: float | None = None,
        concurrent: bool = False,
        wake: threading.Event | None = None,
    ) -> None:
        super().__init__(
            f"stream {mapping.table} -> {mapping.function}",
            POLL_SECONDS if poll_seconds is None else poll_seconds,
        )
        self.mapping = mapping
        self.read = read
        self.invoke = invoke
        self.send = send
        self.clock = clock
        self.monotonic = monotonic
        self.retry_seconds = RETRY_SECONDS if retry_seconds is None else retry_seconds
        self.lanes: dict[tuple[str, int], _Lane] = {}
        self._skip_existing = mapping.starting_position == "LATEST"
        self.wake = wake  # set when a record is written to the stream (local.streams.on_write)
        self._workers: ThreadPoolExecutor | None = None
        # Lanes' batches run on worker threads in the local cloud; at once, in order, in unit tests.
        self.run: Run = self._on_a_worker if concurrent else _at_once

    # -- polling and batching

    def idle(self) -> bool:
        """With records pending or a batch running, poll again soon; else wait for a write."""
        if self.wake is None or any(lane.pending or lane.busy for lane in self.lanes.values()):
            return self.sleep(self.interval)
        if self.wake.wait(IDLE_SECONDS):  # a write: read a poll later, what a poll would have read
            return self.sleep(self.interval)
        return self.stopping

    def poll_once(self) -> bool:
        """Read what is new, then start every batch that is due on a lane not busy; True if one went."""
        if self.wake is not None:
            self.wake.clear()  # before the read: a record written after it wakes the next wait
        now = self.monotonic()
        for shard_id, records in self.read():
            if self._skip_existing:
                continue
            for record in records:
                if not event_filter.matches(list(self.mapping.patterns), record):
                    continue
                lane = self.lanes.setdefault(
                    (shard_id, lane_of(record, self.mapping.parallelization)), _Lane()
                )
                if not lane.pending:
                    lane.first_seen = now
                lane.pending.append(record)
        self._skip_existing = False
        delivered = False
        for (shard_id, _), lane in list(self.lanes.items()):
            while (
                not lane.busy
                and lane.pending
                and (
                    len(lane.pending) >= self.mapping.batch_size
                    or self.monotonic() - lane.first_seen >= self.mapping.batching_window
                )
            ):
                batch = lane.pending[: self.mapping.batch_size]
                del lane.pending[: len(batch)]
                lane.busy = True
                self.run(functools.partial(self._lane_batch, shard_id, lane, batch))
                delivered = True
                if self.stopping:
                    return False
        return delivered

    def _lane_batch(self, shard_id: str, lane: _Lane, batch: list[Record]) -> None:
        try:
            self.process(shard_id, batch)
        finally:
            lane.busy = False

    def _on_a_worker(self, work: Callable[[], None]) -> None:
        if self._workers is None:
            self._workers = ThreadPoolExecutor(
                max_workers=4 * self.mapping.parallelization, thread_name_prefix=self.name
            )
        self._workers.submit(self._logged, work)

    @staticmethod
    def _logged(work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:  # a lane's batch that failed outside the handler: say so, the lane goes on
            traceback.print_exc()

    def stop(self) -> None:
        self._stopping.set()
        if self.wake is not None:
            self.wake.set()  # out of its wait at once, to find it is stopping
        super().stop()
        if self._workers is not None:
            self._workers.shutdown(wait=True, cancel_futures=True)
            self._workers = None

    # -- one batch, until it is done or given up

    def process(self, shard_id: str, records: list[Record]) -> None:
        segments: list[tuple[list[Record], int]] = [(records, 0)]  # (records, invocations so far)
        while segments and not self.stopping:
            batch, invocations = segments.pop(0)
            retries = 0
            while batch:
                aged = self._aged(batch)
                if aged:
                    self.give_up(shard_id, batch[:aged], "RecordAgeExceeded", invocations, None)
                    batch = batch[aged:]
                    continue
                outcome = self.deliver(batch)
                invocations += 1
                if outcome.failed_from is None:
                    break
                if outcome.error is not None and self.mapping.bisect and len(batch) > 1:
                    middle = len(batch) // 2
                    segments[:0] = [(batch[:middle], invocations), (batch[middle:], invocations)]
                    break
                if outcome.failed_from > 0:
                    batch, retries = batch[outcome.failed_from :], 0  # progress: a new first record
                retries += 1
                if 0 <= self.mapping.max_retries < retries:
                    self.give_up(shard_id, batch, "RetryAttemptsExhausted", invocations, outcome.error)
                    break
                if self.sleep(min(MAX_RETRY_SECONDS, self.retry_seconds * 2 ** (retries - 1))):
                    return

    def deliver(self, batch: list[Record]) -> Outcome:
        """One invocation, logged: function, records, failures, time."""
        started = time.monotonic()
        try:
            response = self.invoke({"Records": copy.deepcopy(batch)})  # fresh each time, as sent
        except Exception as error:
            traceback.print_exc()
            outcome = Outcome(failed_from=0, error=error)
        else:
            outcome = self._outcome(batch, response)
        elapsed = (time.monotonic() - started) * 1000
        result = (
            f"raised {outcome.error!r}"
            if outcome.error is not None
            else f"{outcome.reported} failure{'s' if outcome.reported != 1 else ''}"
        )
        log(
            f"stream: {self.mapping.function} <- {self.mapping.table}: "
            f"{len(batch)} record{'s' if len(batch) != 1 else ''}, {result}, {elapsed:.0f}ms"
        )
        return outcome

    def _outcome(self, batch: list[Record], response: Any) -> Outcome:
        if not self.mapping.report_item_failures or response is None:
            return Outcome()
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        if not failures:
            return Outcome()
        positions = {
            str(record["dynamodb"].get("SequenceNumber")): index for index, record in enumerate(batch)
        }
        identifiers = [item.get("itemIdentifier") if isinstance(item, dict) else None for item in failures]
        if not all(isinstance(found, str) and found in positions for found in identifiers):
            log(
                f"warning: {self.mapping.function} reported failures not in the batch: the whole batch failed"
            )
            return Outcome(failed_from=0, reported=len(failures))
        return Outcome(
            failed_from=min(positions[str(found)] for found in identifiers), reported=len(failures)
        )

    def _aged(self, batch: list[Record]) -> int:
        """How many records at the head of the batch are older than MaximumRecordAgeInSeconds."""
        if self.mapping.max_record_age < 0:
            return 0
        oldest_allowed = self.clock() - self.mapping.max_record_age
        count = 0
        for record in batch:
            created = record["dynamodb"].get("ApproximateCreationDateTime")
            if created is None or float(created) >= oldest_allowed:
                break
            count += 1
        return count

    # -- what is given up

    def give_up(
        self,
        shard_id: str,
        records: list[Record],
        condition: str,
        invocations: int,
        error: BaseException | None,
    ) -> None:
        destination = self.mapping.on_failure
        log(
            f"stream: {self.mapping.function} <- {self.mapping.table}: gave up {len(records)} "
            f"record{'s' if len(records) != 1 else ''} ({condition}) -> {destination or 'dropped'}"
        )
        if destination is not None and self.send is not None:
            self.send(destination, self.failure_record(shard_id, records, condition, invocations, error))

    def failure_record(
        self,
        shard_id: str,
        records: list[Record],
        condition: str,
        invocations: int,
        error: BaseException | None,
    ) -> dict[str, Any]:
        """Lambda's invocation record for discarded stream records: where they are, not what."""
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if error is not None:
            response["functionError"] = "Unhandled"
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": function_arn(self.mapping.function),
                "condition": condition,
                "approximateInvokeCount": invocations,
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": _iso(self.clock(), milliseconds=True),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": str(first.get("SequenceNumber")),
                "endSequenceNumber": str(last.get("SequenceNumber")),
                "approximateArrivalOfFirstRecord": _iso(float(first.get("ApproximateCreationDateTime") or 0)),
                "approximateArrivalOfLastRecord": _iso(float(last.get("ApproximateCreationDateTime") or 0)),
                "batchSize": len(records),
                "streamArn": self.mapping.stream_arn,
            },
        }


def _iso(epoch: float, *, milliseconds: bool = False) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    if milliseconds:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


# --- wiring: the template's DynamoDB events against the embedded moto ----------------------------


def mappings(names: dict[str, str]) -> list[StreamMapping]:
    """Every `Type: DynamoDB` function event of the template, resolved against local names."""
    found = []
    for spec in template.functions(names).values():
        for event_name, event in spec.events.items():
            if event.get("Type") == "DynamoDB":
                props = template.resolve(dict(event.get("Properties") or {}), names)
                found.append(StreamMapping.from_event(spec.logical_id, event_name, props))
    return found


def sender(clients: Any) -> Send:
    """Sends an invocation record to an SQS queue or an SNS topic, by its ARN."""
    sqs = clients.client("sqs")
    sns = clients.client("sns")

    def send(destination: str, record: dict[str, Any]) -> None:
        body = json.dumps(record)
        if destination.startswith("arn:aws:sqs:"):
            _, _, _, region, account, name = destination.split(":", 5)
            url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=body)
        elif destination.startswith("arn:aws:sns:"):
            sns.publish(TopicArn=destination, Message=body)
        else:
            log(f"warning: on-failure destination {destination} is neither SQS nor SNS: record dropped")

    return send


def factory(context: PumpContext) -> Group | None:
    found = mappings(context.resources.names)
    if not found:
        return None
    send = sender(context.moto)
    pumps: list[Poller] = []
    for mapping in found:
        reader = streams.StreamReader(
            streams.streams_client(template.REGION, context.moto.endpoint), mapping.stream_arn
        )

        def invoke(event: dict[str, Any], function: str = mapping.function) -> Any:
            return context.invoker.invoke(function, event)

        pumps.append(
            StreamPump(mapping, reader.read_shards, invoke, send, concurrent=True, wake=streams.on_write())
        )
    return Group(pumps)
