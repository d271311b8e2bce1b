"""(h) A 1,000-line PO: each API call's DynamoDB calls and time, and the stream records it causes;
(i) on the local cloud, another PO's status change and approval email while the big PO is processed.

(h) In process, on moto (bench.harness.Cloud, with local.moto_fixes as the local cloud has them:
the time is what the local cloud spends), on an emptied table: a buyer of an org with no
approval policy creates a PO of LINES lines (PoApiFunction), reads it (GET), submits it, orders it and
cancels it (PoLifecycleFunction). After each call the table's stream is read from moto: every record the
call wrote, and those the template's FilterCriteria let through to StatusStreamFunction; these are
delivered to the real handler in batches of the template's BatchSize (as Lambda would with all of them
available), then again whatever the consumer's own writes put through the filter, until nothing does.
Counted per call: DynamoDB calls by operation (the call's own thread), TransactWriteItems items, time;
per consumer pass: invocations, its DynamoDB calls, time.
Targets: each call under 10 s; calls linear in lines with the 100-item transaction as the unit (as
many TransactWriteItems as ceil(items written / 100), and at most 3 other calls, Query pages
included); the consumer's own writes wake it for nothing (0 records through the filter after its pass).

(i) `python -m local` as a child process (as the approvals section starts it). Baseline: a small PO of
an org with no policy is submitted and its status read until APPROVED; a small PO of an org with a
one-level policy is submitted and the outbox polled until its approver's email is there. Then a PO of
LINES lines (another org, no policy) is created and submitted, and right after its submit answers the
same two small POs (new ones) are submitted and timed the same way, while the consumer works on the big
PO (the big PO's own APPROVED is awaited after). Target: each small PO's time grows by at most 2 s.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.core import Check, Context, Result, Section, Table, verdict
from bench.harness import Cloud, new_po_body

LINES = 1000
TARGET_SECONDS = 10.0
DELAY_TARGET_SECONDS = 2.0
WAIT_SECONDS = 120.0
POLL_SECONDS = 0.05
WRITES = ("TransactWriteItems", "BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem")


@dataclass
class Step:
    name: str
    status: int
    ms: float
    calls: Counter[str]
    items: list[int]  # TransactWriteItems sizes
    records: int  # every record the call wrote to the stream
    passed: int  # of those, what the filter lets through to the consumer
    invocations: int = 0
    consumer_ms: float = 0.0
    consumer_calls: Counter[str] = field(default_factory=Counter)
    own_passed: int = 0  # records of the consumer's own writes that the filter let through


def _consume(cloud: Cloud, stream: Any, batch_size: int, step: Step, records: list[dict[str, Any]]) -> None:
    """Deliver the records in batches, then what the consumer's writes let through, until nothing."""
    first = True
    while records:
        for start in range(0, len(records), batch_size):
            with cloud.calls.record(this_thread=True) as made:
                began = time.perf_counter()
                response = stream.deliver(records[start : start + batch_size])
                step.consumer_ms += (time.perf_counter() - began) * 1000
            if response.get("batchItemFailures"):
                raise RuntimeError(f"{step.name}: the consumer failed records: {response}")
            step.invocations += 1
            step.consumer_calls.update(made.counts)
        records, _ = stream.read()
        if not first or records:
            step.own_passed += len(records)
        first = False


def _steps(cloud: Cloud) -> list[Step]:
    cloud.reset_table()
    stream = cloud.stream()
    properties = cloud.functions["StatusStreamFunction"].events["TableStream"]["Properties"]
    batch_size = int(properties["BatchSize"])
    org = f"bench-big-{uuid.uuid4().hex[:8]}"
    po_id = ""
    plan = [
        ("create", "POST", "/pos", new_po_body(LINES), "PoApiFunction"),
        ("GET", "GET", "/pos/{id}", None, "PoApiFunction"),
        ("submit", "POST", "/pos/{id}/submit", None, "PoLifecycleFunction"),
        ("order", "POST", "/pos/{id}/order", None, "PoLifecycleFunction"),
        ("cancel", "POST", "/pos/{id}/cancel", None, "PoLifecycleFunction"),
    ]
    steps = []
    for name, method, path, body, function in plan:
        with cloud.calls.record(this_thread=True) as made:
            began = time.perf_counter()
            reply = cloud.invoke(method, path.replace("{id}", po_id), body, org=org, function=function)
            elapsed = (time.perf_counter() - began) * 1000
        if reply.status >= 300:
            raise RuntimeError(f"{name}: {reply.status} {str(reply.body)[:300]}")
        po_id = po_id or str(reply.body["id"])
        passed, read = stream.read()
        sizes = [len(p.get("TransactItems", [])) for op, p in made.requests if op == "TransactWriteItems"]
        step = Step(name, reply.status, elapsed, made.counts, sizes, read, len(passed))
        _consume(cloud, stream, batch_size, step, passed)
        steps.append(step)
    return steps


OTHER_CALLS = 3  # reads besides the writes: the header and a setting or two, whatever the size


def _linear(step: Step) -> bool:
    """Linear in lines, the 100-item transaction as the unit: as many TransactWriteItems as the items
    written need (ceil(items / 100)), and at most OTHER_CALLS other calls."""
    transactions = step.calls.get("TransactWriteItems", 0)
    others = sum(step.calls.values()) - transactions
    return transactions == math.ceil(sum(step.items) / 100) and others <= OTHER_CALLS


def _big_table(steps: list[Step]) -> tuple[Table, list[Check]]:
    table = Table(
        f"(h) A {LINES}-line PO through the API, in process on moto (local.moto_fixes as in the local cloud)",
        [
            "call",
            "ms",
            "< 10 s",
            "DynamoDB calls",
            "total",
            "linear",
            "transaction items",
            "stream records",
            "to the consumer",
            "invocations",
            "consumer ms",
            "consumer DynamoDB calls",
            "own writes back",
        ],
    )
    checks = []
    for step in steps:
        total = sum(step.calls.values())
        table.add(
            step.name,
            f"{step.ms:.0f}",
            verdict(step.ms < TARGET_SECONDS * 1000),
            " ".join(f"{op}={n}" for op, n in sorted(step.calls.items())),
            total,
            verdict(_linear(step)),
            "+".join(str(n) for n in step.items) or "-",
            step.records,
            step.passed,
            step.invocations,
            f"{step.consumer_ms:.0f}",
            " ".join(f"{op}={n}" for op, n in sorted(step.consumer_calls.items())) or "-",
            step.own_passed,
        )
        checks += [
            Check(
                f"{step.name} of a {LINES}-line PO under {TARGET_SECONDS:.0f} s ({step.ms / 1000:.1f} s)",
                step.ms < TARGET_SECONDS * 1000,
            ),  # fmt: skip
            Check(
                f"{step.name}: DynamoDB calls linear in lines, by 100-item transactions ({total})",
                _linear(step),
            ),  # fmt: skip
            Check(
                f"{step.name}: the consumer's own writes wake it for nothing ({step.own_passed})",
                step.own_passed == 0,
            ),  # fmt: skip
        ]
    table.notes += [
        "DynamoDB calls: made by the API call itself (its thread); transaction items: the size of each "
        "TransactWriteItems, in order (100 at most: the unit of a multi-item change)",
        "stream records: every record the call wrote; to the consumer: those the template's FilterCriteria "
        "let through, delivered in batches of its BatchSize (invocations); own writes back: records of the "
        "consumer's own writes that the filter let through again (each would wake it for nothing)",
    ]
    return table, checks


# --- (i) on the local cloud ----------------------------------------------------------------------------


@dataclass
class Timing:
    status_s: float
    email_s: float


def _small_pos(cloud: Any, quiet_org: str, policy_org: str) -> Timing:
    """Submit a small PO in each org at once; seconds to APPROVED (quiet) and to the email (policy)."""
    from bench.sections.approvals import approver

    quiet = cloud.token(quiet_org, f"buyer@{quiet_org}.example.com", "buyer")
    gated = cloud.token(policy_org, f"buyer@{policy_org}.example.com", "buyer")
    ids = []
    for token in (quiet, gated):
        created = cloud.request("POST", "/pos", new_po_body(1), bearer=token)
        if created.status != 201:
            raise RuntimeError(f"could not create a small PO: {created.status} {created.text[:300]}")
        ids.append(str(created.json["id"]))
    began = time.time()
    for token, po_id in zip((quiet, gated), ids, strict=True):
        if cloud.request("POST", f"/pos/{po_id}/submit", bearer=token).status != 202:
            raise RuntimeError(f"could not submit PO {po_id}")
    status_s = email_s = 0.0
    deadline = time.monotonic() + WAIT_SECONDS
    while (not status_s or not email_s) and time.monotonic() < deadline:
        if not status_s and cloud.request("GET", f"/pos/{ids[0]}", bearer=quiet).json["status"] == "APPROVED":
            status_s = time.time() - began
        if not email_s and any(
            (mail.get("attributes") or {}).get("poId") == ids[1] and mail.get("to") == approver(policy_org, 1)
            for mail in cloud.outbox()
        ):
            email_s = time.time() - began
        time.sleep(POLL_SECONDS)
    if not status_s or not email_s:
        raise RuntimeError(f"small POs not settled within {WAIT_SECONDS}s:\n{cloud.tail()}")
    return Timing(status_s, email_s)


def _contended(cloud: Any) -> tuple[Timing, Timing, float, float]:
    from bench.sections.approvals import policy

    def fresh_orgs() -> tuple[str, str]:
        quiet, gated = (f"bench-small-{uuid.uuid4().hex[:8]}" for _ in range(2))
        admin = cloud.token(gated, f"admin@{gated}.example.com", "admin")
        if cloud.request("PUT", "/settings/approval-policy", policy(gated, 1), bearer=admin).status != 200:
            raise RuntimeError("could not set the small PO's policy")
        return quiet, gated

    baseline = _small_pos(cloud, *fresh_orgs())
    big_org = f"bench-big-{uuid.uuid4().hex[:8]}"
    buyer = cloud.token(big_org, f"buyer@{big_org}.example.com", "buyer")
    created = cloud.request("POST", "/pos", new_po_body(LINES), bearer=buyer, timeout=WAIT_SECONDS)
    if created.status != 201:
        raise RuntimeError(f"could not create the big PO: {created.status} {created.text[:300]}")
    big_id = str(created.json["id"])
    orgs = fresh_orgs()
    began = time.time()
    if cloud.request("POST", f"/pos/{big_id}/submit", bearer=buyer, timeout=WAIT_SECONDS).status != 202:
        raise RuntimeError("could not submit the big PO")
    submitted = time.time() - began
    busy = _small_pos(cloud, *orgs)
    deadline = time.monotonic() + WAIT_SECONDS
    while cloud.request("GET", f"/pos/{big_id}", bearer=buyer).json["status"] != "APPROVED":
        if time.monotonic() > deadline:
            raise RuntimeError(f"the big PO was not APPROVED within {WAIT_SECONDS}s:\n{cloud.tail()}")
        time.sleep(POLL_SECONDS)
    return baseline, busy, submitted, time.time() - began


def _contended_table(
    baseline: Timing, busy: Timing, submit_s: float, big_s: float
) -> tuple[Table, list[Check]]:
    table = Table(
        f"(i) On the local cloud: another PO while a {LINES}-line PO's submit is processed",
        ["small PO, submitted", "alone s", f"beside the {LINES}-line PO s", "delay s", "<= 2 s"],
    )
    checks = []
    for label, alone, beside in (
        ("no policy: status APPROVED", baseline.status_s, busy.status_s),
        ("one level: the approver's email", baseline.email_s, busy.email_s),
    ):
        delay = beside - alone
        table.add(
            label, f"{alone:.2f}", f"{beside:.2f}", f"{delay:+.2f}", verdict(delay <= DELAY_TARGET_SECONDS)
        )
        checks.append(
            Check(f"{label}: delayed {delay:+.2f} s by a {LINES}-line PO", delay <= DELAY_TARGET_SECONDS)
        )
    table.notes += [
        f"the big PO's submit answered in {submit_s:.2f} s; it read APPROVED {big_s:.2f} s after the submit "
        "(the consumer's work on it, beside the small POs')",
        "the small POs are submitted right after the big PO's submit answers; times are from their submit to "
        f"the status read (GET every {POLL_SECONDS * 1000:.0f} ms) or the email seen in the outbox",
    ]
    return table, checks


def run(ctx: Context) -> Result:
    from bench.sections.approvals import LocalCloud

    cloud = ctx.cloud()
    steps = _steps(cloud)
    big, checks = _big_table(steps)
    local_cloud = LocalCloud()
    try:
        local_cloud.start()
        timings = _contended(local_cloud)
    except Exception as error:  # (h) stands without (i): print it, and (i) as not measured
        big.notes.append(f"(i) could not run on the local cloud: {error!r}"[:2000])
        return Result(
            tables=[big], checks=[*checks, Check("(i) another PO beside a big one: measured", False)]
        )
    finally:
        local_cloud.stop()
        local_cloud.remove()
    contended, more = _contended_table(*timings)
    return Result(tables=[big, contended], checks=checks + more)


SECTION = Section("big_po", f"A {LINES}-line PO: calls, time, stream records; other POs beside it", run)
