"""(h) Documents: the ingest's AWS calls per upload, the PO PDF's render time and the PDF function's
AWS calls, through the real handlers on moto.

(h1) Ten uploads in one SQS event as DocumentIngestFunction receives it: five PDFs that are what
they claim, five "PDFs" whose bytes are a PNG's. Each pending document is made through the documents
API; each object is put in the versioned bucket and described by an S3 event notification in the
shape S3 (and moto) sends. Counted per delivery: calls by service and operation, and the outcome of
each message. Then the same event again (a redelivery). Target: the five accepted, the five rejected
and quarantined, the redelivery changes nothing and fails nothing.

(h2) Rendering a PO's PDF (supplier_pdf.renderer.render, pure Python fpdf2) for 10, 100 and 1,000 ordered
lines: median of 3 runs, pages and size. No target; it tells what PoPdfFunction's timeout must cover.

(h3) PoPdfFunction given the `po.status-changed` message of a 100-line PO that was just ordered, then
the same message again. Target: the first sends exactly one supplier message and stores one PDF; the
redelivery sends and stores nothing.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from bench import env
from bench.core import Check, Context, Result, Section, Table, verdict
from bench.harness import Calls, Cloud, new_po_body

BUCKET = env.DOCUMENTS_BUCKET
PDF = b"%PDF-1.7\n" + b"x" * 2000 + b"\n%%EOF\n"
FAKE = b"\x89PNG\r\n\x1a\n" + b"x" * 2000  # declared a PDF, is a PNG
RENDER_LINES = (10, 100, 1000)
RENDER_RUNS = 3


def _prepare(cloud: Cloud) -> None:
    """The versioned documents bucket and the supplier topic (bench.env names them), and the link
    secret the PDF function signs supplier links with."""
    import boto3

    boto3.client("sns").create_topic(Name=env.SUPPLIER_TOPIC_NAME)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=env.DOCUMENTS_BUCKET)
    s3.put_bucket_versioning(Bucket=env.DOCUMENTS_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    cloud.add_approvals()


def _s3_event(key: str, size: int, version_id: str) -> dict[str, Any]:
    from urllib.parse import quote_plus

    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": datetime.now(UTC).isoformat(),
                "eventName": "ObjectCreated:Post",
                "s3": {
                    "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
                    "object": {"key": quote_plus(key), "size": size, "versionId": version_id},
                },
            }
        ]
    }


def _sqs_record(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": uuid.uuid4().hex,
        "receiptHandle": uuid.uuid4().hex,
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:document-uploads-bench",
        "awsRegion": "us-east-1",
    }


def _all_calls(calls: Calls) -> str:
    parts = [f"dynamodb.{op}={n}" for op, n in sorted(calls.counts.items())]
    parts += [f"{op}={n}" for op, n in sorted(calls.others.items())]
    return " ".join(parts) or "none"


def _ingest(cloud: Cloud, org: str) -> tuple[Table, list[Check]]:
    import boto3

    from local.lambda_events import LambdaContext

    s3 = boto3.client("s3")
    po = cloud.invoke("POST", "/pos", new_po_body(1), org=org).body["id"]
    records = []
    for index in range(10):
        content = PDF if index < 5 else FAKE
        body = {"fileName": f"po-{index}.pdf", "contentType": "application/pdf", "size": len(content)}
        upload = cloud.invoke(
            "POST", f"/pos/{po}/documents", body, org=org, function="DocumentsApiFunction"
        ).body
        key = upload["fields"]["key"]
        put = s3.put_object(Bucket=BUCKET, Key=key, Body=content, ContentType="application/pdf")
        records.append(_sqs_record(_s3_event(key, len(content), put["VersionId"])))
    handler = cloud.handler("DocumentIngestFunction")
    table = Table(
        "(h1) DocumentIngestFunction: one SQS event of 10 uploads (5 good PDFs, 5 PNGs declared as PDFs)",
        ["delivery", "failures", "ms", "AWS calls (all 10 messages)"],
    )
    deliveries = []
    for label in ("first", "again (redelivery)"):
        started = time.perf_counter()
        with cloud.calls.record() as calls:
            response = handler.lambda_handler({"Records": records}, LambdaContext(function_name="ingest"))
        elapsed = (time.perf_counter() - started) * 1000
        table.add(label, len(response["batchItemFailures"]), f"{elapsed:.0f}", _all_calls(calls))
        deliveries.append((response, calls))
    statuses = [doc["status"] for doc in cloud.invoke("GET", f"/pos/{po}", org=org).body["documents"]]
    quarantined = s3.list_objects_v2(Bucket=BUCKET, Prefix="quarantine/").get("KeyCount", 0)
    table.notes.append(
        f"documents after both deliveries: {statuses.count('ACCEPTED')} ACCEPTED, "
        f"{statuses.count('REJECTED')} REJECTED; {quarantined} objects under quarantine/"
    )
    replay_writes = sum(
        n
        for op, n in deliveries[1][1].counts.items()
        if op in ("PutItem", "UpdateItem", "TransactWriteItems")
    ) + sum(n for op, n in deliveries[1][1].others.items() if op in ("s3.CopyObject", "s3.DeleteObject"))
    table.notes.append(f"writes made by the redelivery (DynamoDB and S3): {replay_writes}")
    passed = (
        statuses.count("ACCEPTED") == 5
        and statuses.count("REJECTED") == 5
        and quarantined == 5
        and replay_writes == 0
        and not any(response["batchItemFailures"] for response, _ in deliveries)
    )
    table.notes.append(f"target: 5 accepted, 5 quarantined, a harmless redelivery: {verdict(passed)}")
    return table, [Check("(h1) ingest: 5 accepted, 5 quarantined, harmless redelivery", passed)]


def _render() -> Table:
    from local import template
    from purchasing.domain.model import PurchaseOrder, Status

    template.put_layers_on_path(template.functions()["PoPdfFunction"])  # the PDF layer's renderer
    from supplier_pdf import renderer

    table = Table(
        f"(h2) Rendering a PO's PDF (fpdf2), median of {RENDER_RUNS}", ["lines", "ms", "pages", "KiB"]
    )
    for count in RENDER_LINES:
        po = PurchaseOrder.model_validate(
            {
                "id": "0" * 32,
                "number": "PO-000001",
                "supplier": {"name": "Acme Metals", "email": "sales@acme-metals.example.com"},
                "currency": "USD",
                "createdAt": "2026-11-21T00:00:00Z",
                "updatedAt": "2026-11-21T00:00:00Z",
                "createdBy": "bench@example.com",
                "lines": [
                    {
                        "id": f"{n:05d}",
                        "lineNo": n,
                        "description": f"Hex bolt M{6 + n % 20} x {20 + n % 80} mm, zinc plated, DIN 933",
                        "quantity": "10",
                        "unitCost": "1.25",
                        "status": Status.ORDERED,
                    }
                    for n in range(1, count + 1)
                ],
            }
        )
        times, pdf = [], b""
        for _ in range(RENDER_RUNS):
            started = time.perf_counter()
            pdf = renderer.render(po, buyer="bench", issued_at=datetime.now(UTC))
            times.append((time.perf_counter() - started) * 1000)
        from io import BytesIO

        from pypdf import PdfReader

        pages = len(PdfReader(BytesIO(pdf)).pages)
        table.add(count, f"{statistics.median(times):.0f}", pages, f"{len(pdf) / 1024:.0f}")
    table.notes.append("no target; PoPdfFunction has 1,769 MB (one vCPU) and a 90 s timeout")
    return table


def _pdf_function(cloud: Cloud, org: str) -> tuple[Table, list[Check]]:
    from local.lambda_events import LambdaContext

    stream = cloud.stream()
    stream.skip()
    po = cloud.invoke("POST", "/pos", new_po_body(100), org=org).body["id"]
    for step in ("submit", "order"):
        reply = cloud.invoke("POST", f"/pos/{po}/{step}", org=org, function="PoLifecycleFunction")
        assert reply.status in (200, 202), reply.body
        records, _ = stream.read()
        assert stream.deliver(records) == {"batchItemFailures": []}
    current = cloud.invoke("GET", f"/pos/{po}", org=org).body
    message = {"type": "po.status-changed", "orgId": org, "poId": po, "to": current["status"]}
    event = {"Records": [_sqs_record(message)]}
    handler = cloud.handler("PoPdfFunction")
    table = Table(
        "(h3) PoPdfFunction: the status-changed message of a 100-line PO just ordered",
        ["delivery", "failures", "ms", "AWS calls"],
    )
    counted = []
    for label in ("first", "again (redelivery)"):
        started = time.perf_counter()
        with cloud.calls.record() as calls:
            response = handler.lambda_handler(event, LambdaContext(function_name="po-pdf"))
        elapsed = (time.perf_counter() - started) * 1000
        table.add(label, len(response["batchItemFailures"]), f"{elapsed:.0f}", _all_calls(calls))
        counted.append(calls)
    first, again = counted
    passed = (
        current["status"] == "ORDERED"
        and first.others["sns.Publish"] == 1
        and first.others["s3.PutObject"] == 1
        and again.others["sns.Publish"] == 0
        and again.others["s3.PutObject"] == 0
    )
    table.notes.append(f"target: one PDF and one supplier message, none on redelivery: {verdict(passed)}")
    return table, [Check("(h3) PO PDF: sent once, redelivery sends nothing", passed)]


def run(ctx: Context) -> Result:
    cloud = ctx.cloud()
    cloud.reset_table()
    _prepare(cloud)
    org = f"bench-docs-{uuid.uuid4().hex[:8]}"
    ingest, ingest_checks = _ingest(cloud, org)
    pdf, pdf_checks = _pdf_function(cloud, org)
    return Result(tables=[ingest, _render(), pdf], checks=[*ingest_checks, *pdf_checks])


SECTION = Section("documents", "Documents: ingest, PO PDFs", run)
