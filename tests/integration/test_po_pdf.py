"""The PO PDF flow on moto: the status stream publishes `po.status-changed`, an SQS queue subscribed
as the template subscribes PoPdfQueue (its FilterPolicy, raw delivery) feeds the real PoPdfFunction
handler, which stores the PDF and tells the supplier; then the buyer's and the supplier's links."""

from __future__ import annotations

import io
import json
import os
import re
import time
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
from pypdf import PdfReader

from local import template
from local.lambda_events import LambdaContext
from local.queue_pump import sqs_record
from purchasing.data import documents_repository, pdf_repository
from purchasing.domain import signed_tokens
from tests.conftest import LINK_SECRET, Api, Stream, Topic, claims, new_po_body

BUCKET = os.environ["DOCUMENTS_BUCKET"]


class PdfQueue:
    """PoPdfQueue as the template declares it: subscribed to the PO events with the template's
    filter policy and raw delivery; `deliver` hands its messages to the real handler."""

    def __init__(self) -> None:
        subscription = template.resources("AWS::SNS::Subscription")["PoPdfSubscription"]
        self.sqs = boto3.client("sqs")
        self.url = self.sqs.create_queue(QueueName="po-pdf-test")["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        boto3.client("sns").subscribe(
            TopicArn=os.environ["EVENTS_TOPIC_ARN"],
            Protocol="sqs",
            Endpoint=self.arn,
            Attributes={
                "FilterPolicy": json.dumps(subscription["FilterPolicy"]),
                "RawMessageDelivery": str(subscription["RawMessageDelivery"]).lower(),
            },
        )
        self.module = template.load_module(template.functions()["PoPdfFunction"])

    def records(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages"):
            found += [sqs_record(dict(message), self.arn) for message in batch]
            for message in batch:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return found

    def deliver(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(self.module.lambda_handler({"Records": records}, LambdaContext(function_name="po-pdf")))


@pytest.fixture
def queue(aws: None) -> PdfQueue:
    return PdfQueue()


@pytest.fixture
def supplier(aws: None) -> Topic:
    return Topic(os.environ["SUPPLIER_TOPIC_ARN"])


def ordered(api: Api, stream: Stream, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """A PO created, submitted (no policy: approved at once), ordered, its status settled."""
    po = api("POST", "/pos", body or new_po_body(lines=2)).body
    assert api("POST", f"/pos/{po['id']}/submit").status == 202
    stream.drain()
    reply = api("POST", f"/pos/{po['id']}/order")
    assert reply.status == 200, reply.body
    stream.drain()
    return dict(api("GET", f"/pos/{po['id']}").body)


def pdfs_of(po_id: str, org: str = "acme") -> dict[str, bytes]:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"pdf/{org}/{po_id}/").get("Contents", [])
    return {item["Key"]: s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read() for item in listed}


def text_of(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def claims_of(message: dict[str, Any]) -> dict[str, Any]:
    token = token_in(message["body"]["text"])
    return dict(signed_tokens.verify("supplier-pdf", token, LINK_SECRET.encode(), now=int(time.time())))


def token_in(body: str) -> str:
    match = re.search(r"https://api\.example\.com/test/supplier/(\S+)", body)
    assert match, body
    return match.group(1)


def supplier_page(api: Api, token: str) -> Any:
    return api("GET", f"/supplier/{token}", caller=None)


# --- the PDF and the supplier's email --------------------------------------------------------------


def test_an_ordered_po_gets_one_pdf_and_its_supplier_one_link(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic
) -> None:
    po = ordered(api, stream)
    records = queue.records()
    assert [json.loads(record["body"])["to"] for record in records] == ["ORDERED"]  # APPROVED filtered

    assert queue.deliver(records) == {"batchItemFailures": []}

    (key, pdf), *others = pdfs_of(po["id"]).items()
    assert others == []
    text = text_of(pdf)
    assert f"Purchase order {po['number']}" in text
    assert "Acme Metals" in text and "sales@acme-metals.example.com" in text
    for line in po["lines"]:
        assert f"{line['lineNo']} {line['description']} 10 1.25 12.50" in text
    assert "Subtotal (USD): 25.00" in text
    head = boto3.client("s3").head_object(Bucket=BUCKET, Key=key)
    assert head["ContentType"] == "application/pdf"

    (message,) = supplier.messages()
    assert message["subject"] == f"Purchase order {po['number']}"
    assert message["attributes"] == {
        "orgId": "acme",
        "poId": po["id"],
        "poNumber": po["number"],
        "kind": "supplier-po",
        "supplierEmail": "sales@acme-metals.example.com",
    }
    assert message["body"]["target"] == {"kind": "pdf", "ref": claims_of(message)["fingerprint"]}
    assert "Hello Acme Metals," in message["body"]["text"]
    token = token_in(message["body"]["text"])
    claims_ = signed_tokens.verify("supplier-pdf", token, LINK_SECRET.encode(), now=int(time.time()))
    assert key == f"pdf/acme/{po['id']}/{claims_['fingerprint']}.pdf"
    assert claims_["org"] == "acme" and claims_["po"] == po["id"]


def test_a_redelivered_event_sends_nothing_and_stores_nothing(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic
) -> None:
    po = ordered(api, stream)
    records = queue.records()
    queue.deliver(records)
    supplier.messages()

    assert queue.deliver(records) == {"batchItemFailures": []}

    assert supplier.messages() == []
    (key,) = pdfs_of(po["id"])
    versions = boto3.client("s3").list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"]
    assert len(versions) == 1


def test_a_digital_po_received_at_once_gets_its_pdf(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic
) -> None:
    api("PUT", "/parts/licence", {"name": "Licence", "purchaseType": "DIGITAL_NO_INVENTORY"})
    body = new_po_body(lines=0)
    body["lines"] = [{"partId": "licence", "description": "CAD licence", "quantity": "2", "unitCost": "400"}]
    po = ordered(api, stream, body)
    assert po["status"] == "RECEIVED"
    records = queue.records()
    assert [json.loads(record["body"])["to"] for record in records] == ["RECEIVED"]

    assert queue.deliver(records) == {"batchItemFailures": []}

    (pdf,) = pdfs_of(po["id"]).values()
    assert "1 CAD licence 2 400.00 800.00" in text_of(pdf)
    assert len(supplier.messages()) == 1


def test_a_revision_ordered_again_is_revision_2_with_one_change_notice_and_the_old_link_gone(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic
) -> None:
    po = ordered(api, stream)
    queue.deliver(queue.records())
    first = token_in(supplier.messages()[0]["body"]["text"])

    api("POST", f"/pos/{po['id']}/revise")
    stream.drain()
    assert api("PATCH", f"/pos/{po['id']}/lines/00002", {"quantity": "12"}).status == 200
    assert api("POST", f"/pos/{po['id']}/submit").status == 202
    stream.drain()
    api("POST", f"/pos/{po['id']}/order")
    stream.drain()
    assert queue.deliver(queue.records()) == {"batchItemFailures": []}

    (message,) = supplier.messages()  # one change notice, never a second "placed"
    assert message["subject"] == f"Change to purchase order {po['number']} rev 2"
    text = message["body"]["text"]
    assert "has changed purchase order" in text and "has placed" not in text
    assert "- Line 2 quantity: 12 (was 10)" in text
    second = token_in(text)
    assert second != first
    assert len(pdfs_of(po["id"])) == 2
    text = text_of(pdfs_of(po["id"])[_key_of(second)])
    assert f"Purchase order {po['number']} rev 2" in text and "2 Bolt M7 12 1.25 15.00" in text
    old = supplier_page(api, first)  # the issue asks that earlier links die (they served the old PDF)
    assert old.status == 410 and "Revision 2 replaces it" in old.body
    assert "sales@acme-metals.example.com" in old.body
    assert supplier_page(api, second).status == 302
    latest = api("GET", f"/pos/{po['id']}/pdf").body
    assert _key_of(second) in unquote(latest["url"])


def _key_of(token: str) -> str:
    claims_ = signed_tokens.verify("supplier-pdf", token, LINK_SECRET.encode(), now=int(time.time()))
    return f"pdf/{claims_['org']}/{claims_['po']}/{claims_['fingerprint']}.pdf"


def test_a_stale_event_for_a_po_no_longer_ordered_does_nothing(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic
) -> None:
    po = ordered(api, stream)
    records = queue.records()
    api("POST", f"/pos/{po['id']}/revise")  # back to DRAFT before the event is handled
    stream.drain()

    assert queue.deliver(records) == {"batchItemFailures": []}

    assert pdfs_of(po["id"]) == {} and supplier.messages() == []
    assert api("GET", f"/pos/{po['id']}/pdf").status == 409


# --- failures ------------------------------------------------------------------------------------


def test_an_s3_failure_fails_only_that_message_and_its_retry_sends_once(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, fine = ordered(api, stream), ordered(api, stream)
    records = queue.records()
    s3 = documents_repository.s3()
    real_put = s3.put_object

    def put_object(**kwargs: Any) -> Any:
        if broken["id"] in kwargs["Key"]:
            raise s3.exceptions.ClientError({"Error": {"Code": "SlowDown", "Message": "slow"}}, "PutObject")
        return real_put(**kwargs)

    monkeypatch.setattr(s3, "put_object", put_object)

    response = queue.deliver(records)

    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    assert failed == {r["messageId"] for r in records if json.loads(r["body"])["poId"] == broken["id"]}
    assert [m["attributes"]["poId"] for m in supplier.messages()] == [fine["id"]]
    assert pdfs_of(broken["id"]) == {}
    assert api("GET", f"/pos/{broken['id']}/pdf").status == 409

    monkeypatch.setattr(s3, "put_object", real_put)
    retry = [r for r in records if r["messageId"] in failed]
    assert queue.deliver(retry) == {"batchItemFailures": []}
    assert [m["attributes"]["poId"] for m in supplier.messages()] == [broken["id"]]


def test_a_failed_notification_is_retried_and_sent_once(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    from purchasing.data import notifications

    ordered(api, stream)
    records = queue.records()

    def unreachable(**_: Any) -> None:
        raise ConnectionError("SNS unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(notifications, "publish_email", unreachable)
        assert len(queue.deliver(records)["batchItemFailures"]) == 1

    assert queue.deliver(records) == {"batchItemFailures": []}  # the lease was given back
    assert len(supplier.messages()) == 1
    assert queue.deliver(records) == {"batchItemFailures": []}
    assert supplier.messages() == []


def test_two_racing_deliveries_notify_once(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    po = ordered(api, stream)
    records = queue.records()
    fingerprint = _fingerprint(po["id"])
    # Another delivery of the same event has claimed the PDF and is about to notify
    assert pdf_repository.claim("acme", po["id"], fingerprint=fingerprint, s3_key="k", number="n", now="t")

    assert len(queue.deliver(records)["batchItemFailures"]) == 1  # retried later, not sent
    assert supplier.messages() == []

    later = int(time.time()) + pdf_repository.LEASE_SECONDS + 1  # the other delivery died: its lease ran out
    monkeypatch.setattr(pdf_repository, "_clock", lambda: later)
    assert queue.deliver(records) == {"batchItemFailures": []}
    assert len(supplier.messages()) == 1


def _fingerprint(po_id: str) -> str:
    from purchasing.data import po_repository
    from purchasing.domain import po_pdf

    po = po_repository.get("acme", po_id)
    assert po is not None
    return po_pdf.fingerprint(po)


def test_a_message_that_is_no_status_change_fails_alone(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic
) -> None:
    ordered(api, stream)
    records = queue.records()
    poison = {**records[0], "messageId": "poison", "body": json.dumps({"type": "po.created", "poId": "x"})}

    response = queue.deliver([poison, *records])

    assert response == {"batchItemFailures": [{"itemIdentifier": "poison"}]}
    assert len(supplier.messages()) == 1


# --- the buyer's link ------------------------------------------------------------------------------


def test_the_buyer_gets_a_short_lived_link_to_the_latest_pdf(
    api: Api, stream: Stream, queue: PdfQueue
) -> None:
    po = ordered(api, stream)
    assert api("GET", f"/pos/{po['id']}/pdf").status == 409  # ordered, the PDF not made yet
    queue.deliver(queue.records())

    reply = api("GET", f"/pos/{po['id']}/pdf", caller=claims(role="approver"))

    assert reply.status == 200, reply.body
    link = reply.body
    assert set(link) == {"url", "expiresAt", "number", "generatedAt"}
    assert link["number"] == po["number"]
    (key,) = pdfs_of(po["id"])
    url = urlsplit(link["url"])
    assert unquote(url.path).endswith(f"/{key}") or key in unquote(url.path)
    assert parse_qs(url.query)["X-Amz-Expires"] == ["300"]


def test_the_pdf_link_of_an_unknown_or_other_orgs_po_is_not_found(api: Api, stream: Stream) -> None:
    po = ordered(api, stream)
    assert api("GET", f"/pos/{'0' * 32}/pdf").status == 404
    assert api("GET", f"/pos/{po['id']}/pdf", caller=claims(org="globex")).status == 404
    draft = api("POST", "/pos", new_po_body()).body
    reply = api("GET", f"/pos/{draft['id']}/pdf")
    assert reply.status == 409 and reply.body["type"] == "/problems/not-ready"


# --- the supplier's link ------------------------------------------------------------------------


def test_the_supplier_link_redirects_to_a_short_lived_download(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic
) -> None:
    po = ordered(api, stream)
    queue.deliver(queue.records())
    token = token_in(supplier.messages()[0]["body"]["text"])

    reply = supplier_page(api, token)

    assert reply.status == 302
    assert reply.headers["Cache-Control"] == "no-store"
    location = urlsplit(reply.headers["Location"])
    (key,) = pdfs_of(po["id"])
    assert key in unquote(location.path)
    assert parse_qs(location.query)["X-Amz-Expires"] == ["300"]


def _signed(claims_: dict[str, str], expires_in: int = 3600, purpose: str = "supplier-pdf") -> str:
    return signed_tokens.sign(purpose, claims_, int(time.time()) + expires_in, LINK_SECRET.encode())


def test_forged_expired_and_dead_supplier_links_are_refused(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic
) -> None:
    po = ordered(api, stream)
    queue.deliver(queue.records())
    token = token_in(supplier.messages()[0]["body"]["text"])
    payload, signature = token.split(".")
    claims_ = signed_tokens.verify("supplier-pdf", token, LINK_SECRET.encode(), now=int(time.time()))

    forged = supplier_page(api, f"{payload}.{signature[:-2]}AA")
    other_purpose = supplier_page(api, _signed(claims_, purpose="partner-upload"))
    expired = supplier_page(api, _signed(claims_, expires_in=-60))
    replaced = supplier_page(api, _signed({**claims_, "fingerprint": "0" * 32}))
    boto3.client("s3").delete_object(Bucket=BUCKET, Key=_key_of(token))
    gone = supplier_page(api, token)
    not_a_token = supplier_page(api, "nonsense")

    assert forged.status == 403 and "not valid" in forged.body
    assert forged.headers["Content-Type"].startswith("text/html")
    assert other_purpose.status == 403
    assert expired.status == 410 and "expired" in expired.body
    assert gone.status == 404 and "no longer available" in gone.body
    assert replaced.status == 410 and "earlier revision" in replaced.body
    assert not_a_token.status == 404
    assert po["id"] not in forged.body + expired.body + gone.body


def test_the_local_gateway_never_logs_a_supplier_token() -> None:
    from local.gateway import _loggable

    assert _loggable("/supplier/eyJhIjoxfQ.c2ln") == "/supplier/{token}"


def test_an_s3_error_other_than_not_found_is_not_taken_for_a_missing_pdf(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = documents_repository.s3()

    def denied(**_: Any) -> None:
        raise s3.exceptions.ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadObject")

    monkeypatch.setattr(s3, "head_object", denied)
    with pytest.raises(s3.exceptions.ClientError):
        pdf_repository.exists("pdf/acme/x/y.pdf")


def test_a_delivery_that_loses_the_race_to_a_finished_one_sends_nothing(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    po = ordered(api, stream)
    records = queue.records()
    fingerprint = _fingerprint(po["id"])
    real_claim = pdf_repository.claim

    def other_delivery_finishes_first(*args: Any, **kwargs: Any) -> bool:
        assert real_claim(*args, **kwargs)
        pdf_repository.mark_notified("acme", po["id"], fingerprint=fingerprint, now="t")
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(pdf_repository, "claim", other_delivery_finishes_first)

    assert queue.deliver(records) == {"batchItemFailures": []}
    assert supplier.messages() == []


def test_a_newer_pdf_is_left_alone_by_the_older_ones_bookkeeping(aws: None) -> None:
    po_id = "b" * 32
    assert pdf_repository.claim("acme", po_id, fingerprint="new", s3_key="k2", number="n", now="t")

    pdf_repository.mark_notified("acme", po_id, fingerprint="old", now="t")
    pdf_repository.release("acme", po_id, fingerprint="old")

    item = pdf_repository.get("acme", po_id)
    assert item is not None and item.fingerprint == "new"
    assert item.published_at is None and item.claimed_until and item.claimed_until > time.time()


def test_table_errors_are_not_taken_for_a_lost_race(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import PutError, UpdateError

    from purchasing.data.tables import PdfItem

    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "PutItem")

    def put(*_: Any, **__: Any) -> None:
        raise PutError(cause=throttled)

    def update(*_: Any, **__: Any) -> None:
        raise UpdateError(cause=throttled)

    monkeypatch.setattr(PdfItem, "save", put)
    monkeypatch.setattr(PdfItem, "update", update)
    with pytest.raises(PutError):
        pdf_repository.claim("acme", "c" * 32, fingerprint="f", s3_key="k", number="n", now="t")
    with pytest.raises(UpdateError):
        pdf_repository.mark_notified("acme", "c" * 32, fingerprint="f", now="t")
    with pytest.raises(UpdateError):
        pdf_repository.release("acme", "c" * 32, fingerprint="f")


def test_a_genuine_token_made_for_something_else_is_refused(api: Api, aws: None) -> None:
    reply = supplier_page(api, _signed({"order": "o-1"}))
    assert reply.status == 403


# --- a PDF that cannot be made ------------------------------------------------------------------


def test_a_po_with_descriptions_and_clauses_at_the_limits_gets_its_pdf(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic
) -> None:
    """The reported failure: a 1,750 x "W" description made every attempt fail (a table row too
    high for a page), nothing logged, no PDF, no email."""
    body = new_po_body(lines=2)
    body["lines"][0] |= {"description": "W" * 1750, "qualityClauses": ["Q" * 500] * 3}
    po = ordered(api, stream, body)

    assert queue.deliver(queue.records()) == {"batchItemFailures": []}

    assert len(supplier.messages()) == 1
    (pdf,) = pdfs_of(po["id"]).values()
    text = text_of(pdf)
    assert "Full descriptions" in text and text.count("W") == 400 + 1750 + 120  # table, in full, clause title
    assert api("GET", f"/pos/{po['id']}/pdf").status == 200


def test_a_pdf_that_cannot_be_rendered_is_logged_marked_failed_and_the_buyer_told(
    api: Api,
    stream: Stream,
    queue: PdfQueue,
    supplier: Topic,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from supplier_pdf import renderer

    def broken(*_: Any, **__: Any) -> bytes:
        raise ValueError("The row with index 1 is too high")

    monkeypatch.setattr(renderer, "render", broken)
    po = ordered(api, stream)
    records = queue.records()

    assert queue.deliver(records) == {"batchItemFailures": []}  # a retry would fail the same way
    assert queue.deliver(records) == {"batchItemFailures": []}  # a redelivery does not try again

    assert supplier.messages() == [] and pdfs_of(po["id"]) == {}
    failures = [record for record in caplog.records if record.getMessage() == "PO PDF could not be rendered"]
    assert len(failures) == 1 and failures[0].levelname == "ERROR" and failures[0].exc_info is not None
    assert getattr(failures[0], "poId", None) == po["id"]
    item = pdf_repository.get("acme", po["id"])
    assert item is not None and item.failure == "ValueError: The row with index 1 is too high"
    reply = api("GET", f"/pos/{po['id']}/pdf")
    assert reply.status == 409 and reply.body["type"] == "/problems/pdf-failed"
    assert "too high" in reply.body["detail"] and po["number"] in reply.body["detail"]


# --- the supplier hears every change once -------------------------------------------------------


def sent(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic, body: dict[str, Any] | None = None
) -> Any:
    """A PO ordered and its first PDF sent: (the PO, the supplier's first link)."""
    po = ordered(api, stream, body)
    assert queue.deliver(queue.records()) == {"batchItemFailures": []}
    (placed,) = supplier.messages()
    assert placed["subject"] == f"Purchase order {po['number']}"
    return po, token_in(placed["body"]["text"])


def deliver_any(queue: PdfQueue) -> None:
    """Whatever the queue holds now (Lambda is not invoked for an empty batch)."""
    if records := queue.records():
        assert queue.deliver(records) == {"batchItemFailures": []}


def test_a_line_canceled_on_an_ordered_po_sends_one_change_notice(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic
) -> None:
    po, first = sent(api, stream, queue, supplier)

    assert api("POST", f"/pos/{po['id']}/lines/00002/cancel").status == 200
    stream.drain()
    records = queue.records()
    assert queue.deliver(records) == {"batchItemFailures": []}
    assert queue.deliver(records) == {"batchItemFailures": []}  # a redelivery sends nothing twice
    stream.drain()
    deliver_any(queue)

    (notice,) = supplier.messages()
    assert notice["subject"] == f"Change to purchase order {po['number']} rev 2"
    assert (
        "- Line 2 canceled: Bolt M7" in notice["body"]["text"]
        and "Subtotal now: 12.50 USD." in notice["body"]["text"]
    )
    text = text_of(pdfs_of(po["id"])[_key_of(token_in(notice["body"]["text"]))])
    assert "[Canceled] Bolt M7" in text and "Subtotal (USD): 12.50" in text
    assert supplier_page(api, first).status == 410


def test_a_line_closed_short_tells_the_supplier_what_was_canceled(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic
) -> None:
    po, _ = sent(api, stream, queue, supplier)
    assert api("POST", f"/pos/{po['id']}/lines/00001/receipts", {"quantity": "6"}).status == 201
    stream.drain()
    deliver_any(queue)
    assert supplier.messages() == []  # a receipt changes nothing for the supplier

    assert api("POST", f"/pos/{po['id']}/lines/00001/cancel").status == 200
    stream.drain()
    deliver_any(queue)

    (notice,) = supplier.messages()
    assert notice["subject"] == f"Change to purchase order {po['number']} rev 2"
    assert "- Line 1 closed short: 4 of 10 canceled, 6 delivered" in notice["body"]["text"]


def test_a_canceled_po_sends_one_cancellation_notice_and_kills_the_links(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic
) -> None:
    po, first = sent(api, stream, queue, supplier)

    assert api("POST", f"/pos/{po['id']}/cancel").status == 200
    stream.drain()
    records = queue.records()
    assert queue.deliver(records) == {"batchItemFailures": []}
    assert queue.deliver(records) == {"batchItemFailures": []}

    (notice,) = supplier.messages()
    assert notice["subject"] == f"Cancellation of purchase order {po['number']} rev 2"
    assert "has canceled purchase order" in notice["body"]["text"]
    assert "The purchase order is canceled" in notice["body"]["text"]
    assert "- Line 1 canceled" in notice["body"]["text"] and "- Line 2 canceled" in notice["body"]["text"]
    text = text_of(pdfs_of(po["id"])[_key_of(token_in(notice["body"]["text"]))])
    assert "CANCELED" in text and f"{po['number']} rev 2" in text
    assert supplier_page(api, first).status == 410
    assert supplier_page(api, token_in(notice["body"]["text"])).status == 302


def test_a_po_canceled_before_its_supplier_heard_of_it_sends_nothing(
    api: Api, stream: Stream, queue: PdfQueue, supplier: Topic
) -> None:
    po = api("POST", "/pos", new_po_body(lines=1)).body
    assert api("POST", f"/pos/{po['id']}/cancel").status == 200
    stream.drain()

    assert queue.deliver(queue.records()) == {"batchItemFailures": []}
    assert supplier.messages() == []
