"""(d) The status consumer given 1,000 stream records of 100 POs: DynamoDB calls and SNS publishes.

Setup, through the real handlers on moto: 100 POs of 10 lines each created (PO API) and submitted
(lifecycle API). The 1,000 line records the submits put on the table's stream are read from moto's own
stream and filtered with the template's FilterCriteria, as Lambda would, then given to
StatusStreamFunction's lambda_handler:

1. as ONE event of 1,000 records;
2. the same 1,000 records again (a redelivery: Lambda retries and replays): nothing may change;
3. the line records the consumer's own writes put on the stream (its approval moves every line), which
   the filter lets through: they come back to it (shown, no target);
4. the 1,000 records of step 1, from the state before step 1 (moto's table restored), as 10 events of
   100 (the template's BatchSize).

All on moto with local.moto_fixes (moto's work per request cut to the partitions it touches, as the
local cloud has it; the same answers). Counted during each delivery: DynamoDB calls by operation, header
writes (TransactWriteItems calls with an Update on a PO header item, SK "PO", read from the request
parameters) and SNS publishes. The POs whose status changed are found by reading every header's status
before and after (a Scan, not counted).

Targets: per delivery of 1 and 4, at most 100 Queries and 100 header writes, one publish per PO whose
status changed and no batchItemFailures; the redelivery costs 100 Queries, no write and no publish.

(d2) One PO of 10 lines of a part that creates inventory, submitted and delivered the same ways: the
lot writes (BatchWriteItem) each delivery makes. Shown, no target.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from typing import Any

from bench.core import Check, Context, Result, Section, Table, verdict
from bench.harness import (
    Calls,
    Cloud,
    Stream,
    header_writes,
    new_po_body,
    submitted_pos,
)

POS = 100
LINES = 10
WRITES = ("TransactWriteItems", "BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem")
PUBLISH = "sns.Publish"
INVENTORY_PART = "bench-stock-part"


def transaction_sizes(calls: Calls) -> list[int]:
    return [
        len(params.get("TransactItems", [])) for op, params in calls.requests if op == "TransactWriteItems"
    ]


def _span(values: list[int]) -> str:
    return (
        "-"
        if not values
        else f"{min(values)}"
        if min(values) == max(values)
        else f"{min(values)}-{max(values)}"
    )


def _moves(before: dict[str, str], after: dict[str, str]) -> Counter[str]:
    """How many headers went from which status to which (those that changed)."""
    return Counter(f"{before.get(pk)}->{status}" for pk, status in after.items() if before.get(pk) != status)


def writes(calls: Calls) -> int:
    return sum(calls.counts[operation] for operation in WRITES)


def lot_requests(calls: Calls) -> Counter[str]:
    """The item requests of the BatchWriteItem calls: "put" and "delete"."""
    requests: Counter[str] = Counter()
    for operation, params in calls.requests:
        if operation == "BatchWriteItem":
            for items in params.get("RequestItems", {}).values():
                for item in items:
                    requests["put" if "PutRequest" in item else "delete"] += 1
    return requests


def header_statuses(cloud: Cloud, org: str, header_sk: str) -> dict[str, str]:
    """PK -> status of every PO header of the org (a Scan: moto's time, not the consumer's)."""
    statuses: dict[str, str] = {}
    params: dict[str, Any] = {
        "TableName": cloud.table_name,
        "FilterExpression": "SK = :sk AND begins_with(PK, :org)",
        "ProjectionExpression": "PK, #s",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {":sk": {"S": header_sk}, ":org": {"S": f"ORG#{org}#PO#"}},
    }
    while True:
        page = cloud.dynamodb.scan(**params)
        statuses.update({item["PK"]["S"]: item["status"]["S"] for item in page["Items"]})
        if "LastEvaluatedKey" not in page:
            return statuses
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class Delivery:
    """One or more invocations of the consumer, counted together."""

    def __init__(self, cloud: Cloud, stream: Stream, records: list[dict[str, Any]], batch: int) -> None:
        self.records = len(records)
        self.events = 0
        self.failures: list[Any] = []
        self.most_queries = 0
        start = time.perf_counter_ns()
        with cloud.calls.record() as calls:
            for first in range(0, len(records), max(batch, 1)):
                before = calls.counts["Query"]
                response = stream.deliver(records[first : first + batch])
                self.failures += response.get("batchItemFailures") or []
                self.most_queries = max(self.most_queries, calls.counts["Query"] - before)
                self.events += 1
        self.ns = time.perf_counter_ns() - start
        self.calls = calls

    @property
    def publishes(self) -> int:
        return self.calls.others[PUBLISH]


def run(ctx: Context) -> Result:
    cloud = ctx.cloud()
    cloud.reset_table()
    from purchasing.data.tables import HEADER_SK

    org = f"bench-stream-{uuid.uuid4().hex[:8]}"
    lots = _inventory_lots(cloud, f"{org}-lots")  # first: on the empty table, it costs least
    stream = cloud.stream()
    setup_start = time.perf_counter()
    _, records = submitted_pos(cloud, stream, org, POS, new_po_body(LINES))
    setup_s = time.perf_counter() - setup_start
    if len(records) != POS * LINES:
        raise RuntimeError(f"the submits put {len(records)} line records on the stream, not {POS * LINES}")
    restore = cloud.snapshot_table()
    before = header_statuses(cloud, org, HEADER_SK)

    one = Delivery(cloud, stream, records, len(records))
    after = header_statuses(cloud, org, HEADER_SK)
    replay = Delivery(cloud, stream, records, len(records))
    after_replay = header_statuses(cloud, org, HEADER_SK)
    own, _ = stream.read()
    follow = Delivery(cloud, stream, own, len(own))
    after_follow = header_statuses(cloud, org, HEADER_SK)

    restore()
    batched = Delivery(cloud, stream, records, stream.batch_size)
    after_batched = header_statuses(cloud, org, HEADER_SK)

    def changes(old: dict[str, str], new: dict[str, str]) -> int:
        return sum(old.get(pk) != status for pk, status in new.items())

    changed, changed_batched = changes(before, after), changes(before, after_batched)
    moved = ", ".join(f"{move} x{n}" for move, n in _moves(before, after).items())

    table = Table(
        f"(d) StatusStreamFunction given the {len(records)} line records of {POS} submitted POs "
        f"({LINES} lines each), through lambda_handler on moto",
        [
            "delivery",
            "events",
            "records",
            "Query",
            "header writes",
            "SNS publishes",
            "POs changed",
            "batchItemFailures",
            "all DynamoDB calls",
            "ms",
            "verdict",
        ],
    )

    def row(label: str, delivery: Delivery, changed_pos: int, passed: bool | None) -> None:
        table.add(
            label,
            delivery.events,
            delivery.records,
            delivery.calls.counts["Query"],
            header_writes(delivery.calls, HEADER_SK),
            delivery.publishes,
            changed_pos,
            len(delivery.failures),
            delivery.calls.describe(),
            f"{delivery.ns / 1e6:.0f}",
            "-" if passed is None else verdict(passed),
        )

    checks: list[Check] = []

    def first_delivery(label: str, delivery: Delivery, changed_pos: int) -> None:
        queries = delivery.calls.counts["Query"] <= POS
        headers = header_writes(delivery.calls, HEADER_SK) <= POS
        notified = delivery.publishes == changed_pos and not delivery.failures
        row(label, delivery, changed_pos, queries and headers and notified)
        checks.extend(
            [
                Check(f"{label}: <= {POS} Queries", queries),
                Check(f"{label}: <= {POS} header writes", headers),
                Check(f"{label}: 1 publish per PO changed, no batchItemFailures", notified),
            ]
        )

    first_delivery("one event of 1,000", one, changed)
    idempotent = (
        replay.calls.counts["Query"] == POS
        and writes(replay.calls) == 0
        and replay.publishes == 0
        and not replay.failures
        and changes(after, after_replay) == 0
    )
    row("the same 1,000 again (replay)", replay, changes(after, after_replay), idempotent)
    checks.append(Check(f"replay: {POS} Queries, 0 writes, 0 publishes", idempotent))
    row("the consumer's own line records", follow, changes(after_replay, after_follow), None)
    first_delivery(f"as {batched.events} events of {stream.batch_size} (BatchSize)", batched, changed_batched)

    table.notes += [
        "targets: Query <= 100, header writes <= 100, SNS publishes = POs changed, no batchItemFailures; "
        "replay: 100 Queries, 0 writes of any kind, 0 publishes",
        f"POs changed: header status before != after ({moved or 'none'})",
        "header writes: TransactWriteItems calls with an Update of a header item (SK "
        f'"{HEADER_SK}"), here with {_span(transaction_sizes(one.calls))} items each (the header, the '
        "lines the consumer moved, history events)",
        f"the consumer's own line records: the {len(own)} line records its own writes put on the stream "
        f"(read after the first delivery); the filter lets them through, and they cost "
        f"{follow.calls.counts['Query']} more Queries",
        f"{batched.events} events of {stream.batch_size}: from the table as it was before the first "
        f"delivery (restored); at most {batched.most_queries} Queries in one event",
        f"setup (not measured): {POS} creates + {POS} submits through the handlers and the stream read, "
        f"{setup_s:.1f} s",
    ]
    return Result(tables=[table, lots], checks=checks)


def _inventory_lots(cloud: Cloud, org: str) -> Table:
    """A PO of 10 lines of a part that creates inventory: lot writes per delivery (info)."""
    from purchasing.data.tables import HEADER_SK

    part = cloud.invoke(
        "PUT",
        f"/parts/{INVENTORY_PART}",
        {"name": "Stocked bolt", "purchaseType": "CREATES_INVENTORY"},
        org=org,
        function="PartsApiFunction",
    )
    if part.status not in (200, 201):
        raise RuntimeError(f"could not create the part: {part.status} {part.body}")
    body = new_po_body(LINES)
    for line in body["lines"]:
        line["partId"] = INVENTORY_PART
    stream = cloud.stream()
    _, records = submitted_pos(cloud, stream, org, 1, body)
    first = Delivery(cloud, stream, records, len(records))
    again = Delivery(cloud, stream, records, len(records))
    own, _ = stream.read()
    follow = Delivery(cloud, stream, own, len(own))

    table = Table(
        f"(d2) One submitted PO of {LINES} lines of a part that creates inventory: lot writes per delivery",
        [
            "delivery",
            "records",
            "BatchWriteItem",
            "lot puts",
            "lot deletes",
            "header writes",
            "all DynamoDB calls",
        ],
    )
    for label, delivery in (
        ("its submit's line records", first),
        ("the same again (replay)", again),
        ("the consumer's own line records", follow),
    ):
        requests = lot_requests(delivery.calls)
        table.add(
            label,
            delivery.records,
            delivery.calls.counts["BatchWriteItem"],
            requests["put"],
            requests["delete"],
            header_writes(delivery.calls, HEADER_SK),
            delivery.calls.describe(),
        )
    table.notes.append(
        "no target. The PO was never ordered, so none of its lines has a lot: every lot request here "
        "deletes a lot that does not exist"
    )
    if again.calls.counts["BatchWriteItem"] or follow.calls.counts["BatchWriteItem"]:
        table.notes.append(
            "the replay and the consumer's own records change nothing, yet the lots are written again: "
            "_write_lots writes the lot of every touched line of such a part, changed or not"
        )
    return table


SECTION = Section("stream", "Status stream consumer: 1,000 records of 100 POs", run)
