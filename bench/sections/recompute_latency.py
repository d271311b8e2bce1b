"""(e) Warm in-process time for the status consumer to recompute a 1,000-line PO, next to a raw Query.

Setup, through the real handlers on moto: one PO of 1,000 lines created and submitted; the 1,000 line
records the submit put on the stream are read from moto's stream (filtered as Lambda would) and given to
StatusStreamFunction's lambda_handler as Lambda would give them, in events of the template's BatchSize
(100): the first approves every line, and each of the others recomputes the PO again (timed once,
shown; it also warms every path the runs take). Then, warm, alternating, RUNS times each:

- header right: the same 1,000 records delivered again as one event. The stored status is already
  right, so this is what a PO's recomputation costs when nothing changes: one Query of the partition,
  the PO built from it and its status derived, nothing written.
- header stale: before each run (untimed) the header's stored status is set back to DRAFT with a raw
  UpdateItem, as if the lines had moved and the consumer not yet run; the delivery then derives
  APPROVED, publishes one SNS message and makes one header write (a TransactWriteItems: the header
  update and a status-changed history event).
- raw query: a boto3 Query of the same partition (PK = :pk), paginated to completion.

All on the same moto in this process, with local.moto_fixes (moto's work per request cut to the
partitions it touches; the same answers). Where the time goes is measured by timing a few app functions
while they run (each is wrapped for the duration; each runs once per delivery): status_service's
recompute_batch, po_repository's get_stored, _to_domain, recompute and materialize, and the SNS
publish. moto's own time (answering the requests) is in both sides of each ratio; it is also shown
taken out of both. No target: the ratios are printed.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.core import Context, Result, Section, Table, median, ms, p90
from bench.harness import Calls, header_writes, new_po_body, submitted_pos

LINES = 1000
RUNS = 5
WARMUP = 0  # the first delivery (below) runs every path the runs take: handler, Query, write, publish

# label -> (module name, function name) of what is timed inside a delivery
PROBES = {
    "recompute_batch": ("purchasing.services.status_service", "recompute_batch"),
    "get_stored": ("purchasing.data.po_repository", "get_stored"),
    "to_domain": ("purchasing.data.po_repository", "_to_domain"),
    "derive": ("purchasing.data.po_repository", "recompute"),
    "materialize": ("purchasing.data.po_repository", "materialize"),
    "publish": ("purchasing.services.status_service", "_publish_status_change"),
}


@contextmanager
def probes() -> Iterator[dict[str, int]]:
    """Nanoseconds spent in each PROBES function while open (summed over calls); a function the app
    no longer has is left out (its rows then print n/a)."""
    import importlib

    spent: dict[str, int] = {}
    installed: list[tuple[Any, str, Any]] = []

    def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter_ns()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0) + time.perf_counter_ns() - start

        return wrapper

    for label, (module_name, name) in PROBES.items():
        module = importlib.import_module(module_name)
        function = getattr(module, name, None)
        if callable(function):
            installed.append((module, name, function))
            setattr(module, name, timed(label, function))
    try:
        yield spent
    finally:
        for module, name, function in installed:
            setattr(module, name, function)


class Samples:
    """Per-run values of one kind of run, by name."""

    def __init__(self) -> None:
        self.values: dict[str, list[int]] = {}
        self.calls: Calls | None = None

    def add(self, **values: int) -> None:
        for name, value in values.items():
            self.values.setdefault(name, []).append(value)

    def clear(self) -> None:
        self.values.clear()

    def row(self, table: Table, label: str, name: str) -> None:
        values = self.values.get(name)
        if not values or len(values) < len(self.values.get("total", [])):
            table.add(label, "-", "n/a", "n/a")
            return
        table.add(label, len(values), ms(median(values)), ms(p90(values)))

    def median(self, name: str) -> float:
        return median(self.values[name])


def run(ctx: Context) -> Result:
    cloud = ctx.cloud()
    cloud.reset_table()
    org = f"bench-recompute-{uuid.uuid4().hex[:8]}"
    stream = cloud.stream()
    from purchasing.data.tables import HEADER_SK, PoHeaderItem, po_pk, status_key
    from purchasing.domain.model import Status

    (po_id,), records = submitted_pos(cloud, stream, org, 1, new_po_body(LINES))
    if len(records) != LINES:
        raise RuntimeError(f"the submit put {len(records)} line records on the stream, not {LINES}")
    # As Lambda would deliver them: events of the template's BatchSize. This also warms up.
    batch = stream.batch_size
    with cloud.calls.record() as first_calls:
        start = time.perf_counter_ns()
        for first in range(0, len(records), batch):
            response = stream.deliver(records[first : first + batch])
            if response.get("batchItemFailures"):
                raise RuntimeError(f"the first delivery failed: {response}")
        first_ns = time.perf_counter_ns() - start
    events = -(-len(records) // batch)
    first_label = f"first delivery: {events} events of {batch} (BatchSize), approves the lines"
    first_note = (
        f"first delivery: the submit's {len(records)} records in {events} events, as Lambda would "
        f"deliver them: {first_calls.describe()}. Each event recomputes the PO: a Query of the whole "
        "partition each time; the first event also writes the approval"
    )

    pk = po_pk(org, po_id)
    query: dict[str, Any] = {
        "TableName": cloud.table_name,
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": pk}},
    }
    stale: dict[str, Any] = {
        "TableName": cloud.table_name,
        "Key": {"PK": {"S": pk}, "SK": {"S": HEADER_SK}},
        "UpdateExpression": "SET #status = :status, #gsi1pk = :gsi1pk",
        "ExpressionAttributeNames": {
            "#status": PoHeaderItem.status.attr_name,
            "#gsi1pk": PoHeaderItem.gsi1pk.attr_name,
        },
        "ExpressionAttributeValues": {
            ":status": {"S": Status.DRAFT.value},
            ":gsi1pk": {"S": status_key(org, Status.DRAFT.value)},
        },
    }
    right, wrong, raw = Samples(), Samples(), Samples()
    pages: list[int] = []
    items: list[int] = []

    def deliver(samples: Samples, changes: bool) -> None:
        if changes:
            cloud.dynamodb.update_item(**stale)
        with probes() as spent, cloud.calls.record() as calls:
            start = time.perf_counter_ns()
            response = stream.deliver(records)
            elapsed = time.perf_counter_ns() - start
        written = header_writes(calls, HEADER_SK)
        if response.get("batchItemFailures") or (written > 0) is not changes:
            kind = "a stale" if changes else "a right"
            raise RuntimeError(f"{kind} header gave {response} after {calls.describe()}")
        samples.calls = calls
        samples.add(total=elapsed, calls=calls.ns, moto=calls.server_ns, client=elapsed - calls.server_ns)
        samples.add(**spent)
        if set(calls.counts) == {"Query"} and {"get_stored", "to_domain", "derive"} <= spent.keys():
            # get_stored's only DynamoDB calls are its Query pages: the rest of it is pynamodb
            samples.add(pynamodb=spent["get_stored"] - spent["to_domain"] - spent["derive"] - calls.ns)
        if "recompute_batch" in spent:
            samples.add(powertools=elapsed - spent["recompute_batch"])
            if "get_stored" in spent:
                samples.add(rest=spent["recompute_batch"] - spent["get_stored"])

    def query_raw() -> None:
        with cloud.calls.record() as calls:
            start = time.perf_counter_ns()
            params, count, page_count = dict(query), 0, 0
            while True:
                page = cloud.dynamodb.query(**params)
                count, page_count = count + page["Count"], page_count + 1
                if "LastEvaluatedKey" not in page:
                    break
                params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            elapsed = time.perf_counter_ns() - start
        raw.calls = calls
        raw.add(total=elapsed, moto=calls.server_ns, client=elapsed - calls.server_ns)
        pages.append(page_count)
        items.append(count)

    kinds: list[Callable[[], None]] = [
        lambda: deliver(right, changes=False),
        lambda: deliver(wrong, changes=True),
        query_raw,
    ]
    for _ in range(WARMUP):
        for kind in kinds:
            kind()
    for samples in (right, wrong, raw):
        samples.clear()
    pages.clear()
    items.clear()
    gc.collect()
    for round_ in range(RUNS):
        for index in range(len(kinds)):
            kinds[(index + round_) % len(kinds)]()

    tables = _tables(right, wrong, raw, first_label, first_ns, pages, items)
    tables[0].notes.insert(0, first_note)
    return Result(tables=tables)


def _tables(
    right: Samples,
    wrong: Samples,
    raw: Samples,
    first_label: str,
    first_ns: int,
    pages: list[int],
    items: list[int],
) -> list[Table]:
    timings = Table(
        f"(e) Recomputing a PO of {LINES} lines: its {LINES} line records delivered to lambda_handler in "
        f"process on moto, {RUNS} runs each, alternated, warm",
        ["measurement", "n", "median ms", "p90 ms"],
    )
    timings.add(
        first_label,
        1,
        ms(first_ns),
        "-",
    )
    right_calls, wrong_calls = _describe(right.calls), _describe(wrong.calls)
    for samples, label, name in (
        (right, f"header right: deliver again, nothing changes ({right_calls})", "total"),
        (right, "  status_service.recompute_batch", "recompute_batch"),
        (right, "    po_repository.get_stored", "get_stored"),
        (right, "      its Query (botocore + moto)", "calls"),
        (right, "        of which moto answering the request", "moto"),
        (right, "      pynamodb: model items from the pages", "pynamodb"),
        (right, f"      _to_domain: the pydantic PurchaseOrder of {LINES} lines", "to_domain"),
        (right, "      purchase_orders.recompute: status and totals from the lines", "derive"),
        (right, "    the rest: approvals, compare (no write)", "rest"),
        (right, f"  Powertools: BatchProcessor over {LINES} records, decorators", "powertools"),
        (right, "  all but moto (what would run in Lambda)", "client"),
        (wrong, f"header stale: status reset to DRAFT before each run ({wrong_calls})", "total"),
        (wrong, "  po_repository.get_stored", "get_stored"),
        (wrong, "  po_repository.materialize: the header write", "materialize"),
        (wrong, "  the SNS publish (moto's SNS included)", "publish"),
        (wrong, "  in DynamoDB calls (botocore + moto)", "calls"),
        (wrong, "    of which moto answering the requests", "moto"),
        (wrong, "  all but moto (what would run in Lambda)", "client"),
        (raw, f"raw boto3 query, PK = :pk, {_span(items)} items in {_span(pages)} page(s)", "total"),
        (raw, "  of which moto answering the request", "moto"),
        (raw, "  all but moto (botocore alone)", "client"),
    ):
        samples.row(timings, label, name)
    timings.notes += [
        "get_stored's pieces: its Query is the DynamoDB time of the run (the only call); pynamodb = "
        "get_stored - Query - _to_domain - recompute",
        "the rest = recompute_batch - get_stored; Powertools = the handler - recompute_batch",
    ]
    if items and "moto" in raw.values:
        per_item = raw.median("moto") / max(items) / 1e6
        timings.notes.append(
            f"moto takes {per_item:.2f} ms per item it returns to answer a Query: that is most of both "
            "sides of the first ratio"
        )

    ratios = Table("(e) ratios (no target)", ["ratio", "measured", "difference of medians (ms)"])

    def ratio(label: str, over: Samples, under: Samples, name: str) -> None:
        if name not in over.values or name not in under.values:
            ratios.add(label, "n/a", "n/a")
            return
        top, bottom = over.median(name), under.median(name)
        ratios.add(label, f"{top / bottom:.2f}x", f"{(top - bottom) / 1e6:+.2f}")

    ratio("header right / raw query", right, raw, "total")
    ratio("  the same without moto's time", right, raw, "client")
    ratio("header stale / raw query", wrong, raw, "total")
    ratio("  the same without moto's time", wrong, raw, "client")
    ratios.notes.append(
        "without moto's time = as if DynamoDB answered instantly; real latency puts a ratio between the two"
    )
    return [timings, ratios]


def _describe(calls: Calls | None) -> str:
    if calls is None:
        return "-"
    return " ".join([calls.describe(), *(f"{name}={n}" for name, n in sorted(calls.others.items()))])


def _span(values: list[int]) -> str:
    if not values:
        return "?"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


SECTION = Section("recompute", "Status consumer: recompute a 1,000-line PO vs raw Query", run)
