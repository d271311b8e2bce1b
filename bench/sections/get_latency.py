"""(c) Warm in-process latency of GET /pos/{poId} (100 lines) next to a raw boto3 Query of its partition.

Both run in this process on the same moto, after a warm-up, alternating (handler then raw, then raw
then handler) so they share the machine's noise. The handler's time is also split into the time
spent inside its DynamoDB call (botocore + moto) and the rest (Powertools, pynamodb, pydantic, JSON).
"""

from __future__ import annotations

import gc
import time
import uuid

from bench.core import Check, Context, Result, Section, Table, median, ms, p90, verdict
from bench.harness import new_po_body

LINES = 100
WARMUP = 20
CALLS = 200
TARGET = 1.5


def run(ctx: Context) -> Result:
    cloud = ctx.cloud()
    cloud.reset_table()
    from purchasing.data.tables import po_pk

    org = f"bench-latency-{uuid.uuid4().hex[:8]}"
    created = cloud.invoke("POST", "/pos", new_po_body(LINES), org=org)
    if created.status != 201:
        raise RuntimeError(f"could not create the PO: {created.status} {created.body}")
    po_id = str(created.body["id"])
    path = f"/pos/{po_id}"
    query = {
        "TableName": cloud.table_name,
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": po_pk(org, po_id)}},
    }

    handler_ns: list[int] = []
    handler_call_ns: list[int] = []
    handler_moto_ns: list[int] = []
    raw_ns: list[int] = []
    raw_moto_ns: list[int] = []

    def handler() -> None:
        with cloud.calls.record() as calls:
            start = time.perf_counter_ns()
            reply = cloud.invoke("GET", path, org=org)
            elapsed = time.perf_counter_ns() - start
        if reply.status != 200 or len(reply.body["lines"]) != LINES or calls.total != 1:
            raise RuntimeError(f"GET {path} answered {reply.status} after {calls.describe()}")
        handler_ns.append(elapsed)
        handler_call_ns.append(calls.ns)
        handler_moto_ns.append(calls.server_ns)

    def raw() -> None:
        with cloud.calls.record() as calls:
            start = time.perf_counter_ns()
            response = cloud.dynamodb.query(**query)  # type: ignore[arg-type]
            elapsed = time.perf_counter_ns() - start
        if response["Count"] != LINES + 1 or "LastEvaluatedKey" in response:
            raise RuntimeError(f"raw query returned {response['Count']} items")
        raw_ns.append(elapsed)
        raw_moto_ns.append(calls.server_ns)

    samples = (handler_ns, handler_call_ns, handler_moto_ns, raw_ns, raw_moto_ns)
    for _ in range(WARMUP):
        handler()
        raw()
    for sample in samples:
        sample.clear()
    gc.collect()
    for call in range(CALLS):
        first, second = (handler, raw) if call % 2 == 0 else (raw, handler)
        first()
        second()

    app_ns = [total - inside for total, inside in zip(handler_ns, handler_call_ns, strict=True)]
    handler_client_ns = [total - moto for total, moto in zip(handler_ns, handler_moto_ns, strict=True)]
    raw_client_ns = [total - moto for total, moto in zip(raw_ns, raw_moto_ns, strict=True)]
    ratio = median(handler_ns) / median(raw_ns)
    client_ratio = median(handler_client_ns) / median(raw_client_ns)

    timings = Table(
        f"(c) Warm GET of a PO with {LINES} lines, in process on moto: {CALLS} calls each after "
        f"{WARMUP} warm-up, alternated",
        ["measurement", "n", "median ms", "p90 ms"],
    )
    rows = [
        ("GET /pos/{poId} through lambda_handler", handler_ns),
        ("  in its one DynamoDB call (botocore + moto)", handler_call_ns),
        ("    of which moto answering the request", handler_moto_ns),
        ("  the app around that call", app_ns),
        ("  all but moto (what would run in Lambda)", handler_client_ns),
        (f"raw boto3 query, PK = :pk ({LINES + 1} items)", raw_ns),
        ("  of which moto answering the request", raw_moto_ns),
        ("  all but moto (botocore alone)", raw_client_ns),
    ]
    for label, values in rows:
        timings.add(label, len(values), ms(median(values)), ms(p90(values)))

    target = Table("(c) target", ["ratio", "measured", "target", "verdict", "difference of medians (ms)"])
    target.add(
        "handler / raw query",
        f"{ratio:.2f}x",
        f"<= {TARGET:.2f}x",
        verdict(ratio <= TARGET),
        f"{(median(handler_ns) - median(raw_ns)) / 1e6:+.2f}",
    )
    target.add(
        "  the same without moto's time (info)",
        f"{client_ratio:.2f}x",
        "-",
        "-",
        f"{(median(handler_client_ns) - median(raw_client_ns)) / 1e6:+.2f}",
    )
    target.notes += [
        "moto's time to answer a Query is in both numbers of the target ratio and dominates them; the "
        "second row takes it out of both",
        "(as if DynamoDB answered instantly): real latency would put the ratio between the two",
    ]
    return Result(
        tables=[timings, target], checks=[Check(f"warm GET <= {TARGET}x raw query", ratio <= TARGET)]
    )


SECTION = Section("latency", "Warm GET latency vs raw Query", run)
