"""(b) DynamoDB calls per API operation, counted through the real handler on moto.

Every botocore call to DynamoDB is counted by operation name (bench.harness.CallCounter), whichever
client makes it: pynamodb's, Powertools idempotency's boto3 client, or any other.

Targets:
- GET /pos/{poId} (250 lines): exactly 1 call, a Query.
- POST /pos with N lines: ceil(items / 100) TransactWriteItems, items = N lines + header + number
  reservation, plus calls that do not grow with N (the same for 1, 50 and 250 lines).
- GET /pos?limit=25 with more than 25 POs: shown, expected to be 1 Query on a GSI.
"""

from __future__ import annotations

import math
import uuid

from bench.core import Check, Context, Result, Section, Table, verdict
from bench.harness import Calls, Cloud, Reply, new_po_body

LINE_COUNTS = (1, 50, 250)
TRANSACTION_LIMIT = 100  # DynamoDB's item limit per TransactWriteItems
ITEMS_BESIDES_LINES = 2  # the header and the PO-number reservation
LIST_POS = 30
LIST_LIMIT = 25
TRANSACT = "TransactWriteItems"


def _counted(
    cloud: Cloud,
    method: str,
    path: str,
    body: object = None,
    *,
    org: str,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> tuple[Reply, Calls]:
    with cloud.calls.record() as calls:
        reply = cloud.invoke(method, path, body, org=org, headers=headers, query=query)
    return reply, calls


def run(ctx: Context) -> Result:
    cloud = ctx.cloud()
    org = f"bench-calls-{uuid.uuid4().hex[:8]}"
    cloud.reset_table()
    # Warm-up: the first request of a process makes its clients; counts below are steady state.
    cloud.invoke("POST", "/pos", new_po_body(1), org=org)
    cloud.invoke("POST", "/pos", new_po_body(1), org=org, headers={"Idempotency-Key": uuid.uuid4().hex})

    result = Result()
    get_250 = _creates(cloud, org, result)
    reads = Table(
        "(b2) Reads: DynamoDB calls per request, through lambda_handler on moto",
        ["request", "status", "result", "expected", "counted", "verdict"],
    )
    result.tables.append(reads)
    _get(reads, result, get_250)
    _list(cloud, reads, result)
    return result


def _creates(cloud: Cloud, org: str, result: Result) -> tuple[Reply, Calls] | None:
    """(b1), into `result`; the GET of the 250-line PO it made, counted, for (b2)."""
    create = Table(
        "(b1) POST /pos: DynamoDB calls per create, through lambda_handler on moto",
        [
            "lines",
            "Idempotency-Key",
            "status",
            "items",
            "expected TransactWriteItems",
            "counted TransactWriteItems",
            "other calls (constant?)",
            "verdict",
        ],
    )
    result.tables.append(create)
    get_250: tuple[Reply, Calls] | None = None
    for with_key in (False, True):
        reference: str | None = None
        for lines in LINE_COUNTS:
            cloud.reset_table()  # counts do not depend on it; moto's time does (see reset_table)
            headers = {"Idempotency-Key": uuid.uuid4().hex} if with_key else None
            reply, calls = _counted(cloud, "POST", "/pos", new_po_body(lines), org=org, headers=headers)
            items = lines + ITEMS_BESIDES_LINES
            expected = math.ceil(items / TRANSACTION_LIMIT)
            others = calls.describe(exclude=TRANSACT)
            reference = reference or others
            passed = reply.status == 201 and calls.counts[TRANSACT] == expected and others == reference
            if lines == max(LINE_COUNTS) and not with_key and reply.status == 201:
                get_250 = _counted(cloud, "GET", f"/pos/{reply.body['id']}", org=org)
            create.add(
                lines,
                "yes" if with_key else "no",
                reply.status,
                items,
                expected,
                calls.counts[TRANSACT],
                others,
                verdict(passed),
            )
            result.checks.append(
                Check(
                    f"create {lines} lines {'with' if with_key else 'without'} key: {expected} transact",
                    passed,
                )
            )
        create.notes.append(f"constant {'with' if with_key else 'without'} Idempotency-Key: {reference}")
    create.notes.append(
        "a row passes when TransactWriteItems = ceil(items/100) and the other calls equal the 1-line row's"
    )
    return get_250


def _get(reads: Table, result: Result, get_250: tuple[Reply, Calls] | None) -> None:
    if get_250 is None:
        reads.add(
            "GET /pos/{poId} (250 lines)", "-", "no PO: its create failed", "1 (Query)", "-", verdict(False)
        )
        result.checks.append(Check("GET 250 lines: 1 Query", False))
    else:
        reply, calls = get_250
        passed = reply.status == 200 and calls.total == 1 and calls.counts["Query"] == 1
        got = f"{len(reply.body['lines'])} lines" if reply.status == 200 else str(reply.body)
        reads.add(
            "GET /pos/{poId} (250 lines)", reply.status, got, "1 (Query)", calls.describe(), verdict(passed)
        )
        result.checks.append(Check("GET 250 lines: 1 Query", passed))


def _list(cloud: Cloud, reads: Table, result: Result) -> None:
    list_org = f"bench-list-{uuid.uuid4().hex[:8]}"
    cloud.reset_table()
    for _ in range(LIST_POS):
        cloud.invoke("POST", "/pos", new_po_body(1), org=list_org)
    reply, calls = _counted(cloud, "GET", "/pos", org=list_org, query={"limit": str(LIST_LIMIT)})
    page_ok = (
        reply.status == 200 and len(reply.body["items"]) == LIST_LIMIT and bool(reply.body["nextCursor"])
    )
    passed = page_ok and calls.total == 1 and calls.counts["Query"] == 1
    got = str(reply.body)
    if reply.status == 200:
        got = f"{len(reply.body['items'])} POs" + (", a next cursor" if reply.body.get("nextCursor") else "")
    reads.add(
        f"GET /pos?limit={LIST_LIMIT} ({LIST_POS} POs)",
        reply.status,
        got,
        "1 (Query)",
        calls.describe(),
        verdict(passed),
    )
    result.checks.append(Check(f"list page of {LIST_LIMIT}: 1 Query", passed))


SECTION = Section("calls", "DynamoDB calls per operation", run)
