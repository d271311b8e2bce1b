"""The ingest function fed by moto's own S3 event notifications through SQS: a file is POSTed to
the presigned URL as a browser does, moto notifies the queue, the messages it produced go to the
real handler as Lambda's SQS event. What arrives is checked by content; anything wrong ends in
quarantine, REJECTED with a reason, never attached; redelivery is harmless."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from local import template
from local.lambda_events import LambdaContext
from local.queue_pump import sqs_record
from purchasing.data import documents_repository
from purchasing.data import uploads as uploads_data
from purchasing.domain.documents import DocumentKey, OwnerKind
from purchasing.domain.inputs.uploads import UploadRequest
from purchasing.services import document_service, ingest_service, order_service
from tests.conftest import Api, claims, new_po_body

BUCKET = os.environ["DOCUMENTS_BUCKET"]
MIB = 1024 * 1024
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n" + b"x" * 100 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64
CONTENT = {"application/pdf": PDF, "image/png": PNG, "image/jpeg": JPEG}


class Uploads:
    """The bucket notifying a queue as the template declares, the ingest handler, and a buyer."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.s3: Any = boto3.client("s3")
        self.sqs: Any = boto3.client("sqs")
        self.queue_url = self.sqs.create_queue(QueueName="document-uploads-test")["QueueUrl"]
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        (declared,) = template.resources("AWS::S3::Bucket")["DocumentsBucket"]["NotificationConfiguration"][
            "QueueConfigurations"
        ]
        self.s3.put_bucket_notification_configuration(
            Bucket=BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": self.queue_arn,
                        "Events": [declared["Event"]],
                        "Filter": {"Key": {"FilterRules": declared["Filter"]["S3Key"]["Rules"]}},
                    }
                ]
            },
        )
        self.module = template.load_module(template.functions()["DocumentIngestFunction"])

    def new_po(self, **caller: str) -> str:
        reply = self.api("POST", "/pos", new_po_body(), caller=claims(**caller))
        assert reply.status == 201, reply.body
        return str(reply.body["id"])

    def request(
        self, po_id: str, content_type: str = "application/pdf", size: int = len(PDF)
    ) -> dict[str, Any]:
        body = {"fileName": "file", "contentType": content_type, "size": size}
        reply = self.api("POST", f"/pos/{po_id}/documents", body)
        assert reply.status == 201, reply.body
        return dict(reply.body)

    def post(self, upload: dict[str, Any], content: bytes) -> None:
        """What a browser does with the presigned POST: the fields, then the file."""
        content_type = upload["fields"]["Content-Type"]
        posted = requests.post(
            upload["url"], data=upload["fields"], files={"file": ("file", content, content_type)}, timeout=10
        )
        assert posted.status_code == 204, posted.text

    def records(self) -> list[dict[str, Any]]:
        """Every message moto's notifications put on the queue since the last call, as Lambda's
        SQS records (taken off the queue: a test redelivers by passing them again)."""
        records = []
        while batch := self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages"):
            records += [sqs_record(message, self.queue_arn) for message in batch]
            for message in batch:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return records

    def deliver(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        response = self.module.lambda_handler({"Records": records}, LambdaContext(function_name="ingest"))
        return dict(response)

    def ingest(self) -> list[dict[str, Any]]:
        """Deliver what the queue holds; every message must succeed. The records delivered."""
        records = self.records()
        assert records, "moto sent no notification"
        assert self.deliver(records) == {"batchItemFailures": []}
        return records

    def document(self, po_id: str, document_id: str, **caller: str) -> dict[str, Any]:
        reply = self.api("GET", f"/pos/{po_id}", caller=claims(**caller))
        assert reply.status == 200
        (found,) = [d for d in reply.body["documents"] if d["id"] == document_id]
        return dict(found)

    def versions(self, key: str) -> list[dict[str, Any]]:
        listed = self.s3.list_object_versions(Bucket=BUCKET, Prefix=key)
        return [version for version in listed.get("Versions", []) if version["Key"] == key]

    def content(self, key: str, version_id: str | None = None) -> bytes:
        extra = {"VersionId": version_id} if version_id else {}
        return bytes(self.s3.get_object(Bucket=BUCKET, Key=key, **extra)["Body"].read())

    def stored_version(self, po_id: str, document_id: str) -> str | None:
        item = documents_repository.get_item(DocumentKey("acme", OwnerKind.PO, po_id, document_id))
        assert item is not None
        return item.version_id


@pytest.fixture
def uploads(api: Api) -> Uploads:
    found = Uploads(api)
    found.records()  # the s3:TestEvent S3 sends when the notification is configured
    return found


def key_of(upload: dict[str, Any]) -> str:
    return str(upload["fields"]["key"])


def assert_quarantined(uploads: Uploads, key: str, content: bytes, *, stays: tuple[str, ...] = ()) -> None:
    """That content is under quarantine/ (once), and only the versions that `stays` names are left
    under uploads/."""
    assert [version["VersionId"] for version in uploads.versions(key)] == list(stays)
    (moved,) = uploads.versions("quarantine/" + key)
    assert uploads.content("quarantine/" + key, moved["VersionId"]) == content


# --- accepted ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", list(CONTENT))
def test_an_upload_of_the_declared_type_and_size_is_accepted(uploads: Uploads, content_type: str) -> None:
    po_id = uploads.new_po()
    content = CONTENT[content_type]
    upload = uploads.request(po_id, content_type, len(content))
    uploads.post(upload, content)

    records = uploads.ingest()

    (notification,) = [json.loads(record["body"]) for record in records]
    assert notification["Records"][0]["eventName"] == "ObjectCreated:Post"  # moto's own, for the POST
    document = uploads.document(po_id, upload["documentId"])
    assert (document["status"], document["reason"]) == ("ACCEPTED", None)
    (version,) = uploads.versions(key_of(upload))
    assert uploads.stored_version(po_id, upload["documentId"]) == version["VersionId"]
    assert uploads.versions("quarantine/" + key_of(upload)) == []
    link = uploads.api("GET", f"/pos/{po_id}/documents/{upload['documentId']}")
    assert link.status == 200
    assert requests.get(link.body["url"], timeout=10).content == content


def test_the_test_event_s3_sends_first_is_ignored(api: Api) -> None:
    uploads = Uploads(api)
    (record,) = uploads.records()
    assert json.loads(record["body"])["Event"] == "s3:TestEvent"

    assert uploads.deliver([record]) == {"batchItemFailures": []}
    assert uploads.s3.list_object_versions(Bucket=BUCKET).get("Versions") is None


# --- rejected ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "content", "reason"),
    [
        ("application/pdf", PNG, "not a PDF document"),
        ("image/png", JPEG, "not a PNG image"),
        ("image/jpeg", PDF, "not a JPEG image"),
        ("application/pdf", b"<html><script>alert(1)</script>" + b" " * 80, "not a PDF document"),
        ("application/pdf", b"MZ\x90\x00" + b"\x00" * 96, "not a PDF document"),
    ],
)
def test_content_that_is_not_the_declared_type_is_quarantined_and_rejected(
    uploads: Uploads, declared: str, content: bytes, reason: str
) -> None:
    po_id = uploads.new_po()
    upload = uploads.request(po_id, declared, len(content))
    uploads.post(upload, content)

    uploads.ingest()

    document = uploads.document(po_id, upload["documentId"])
    assert document["status"] == "REJECTED"
    assert reason in document["reason"]
    assert_quarantined(uploads, key_of(upload), content)
    assert uploads.api("GET", f"/pos/{po_id}/documents/{upload['documentId']}").status == 409


def test_a_file_over_10_mib_is_rejected_even_though_moto_let_it_in(uploads: Uploads) -> None:
    po_id = uploads.new_po()
    content = b"%PDF-1.7\n" + b"0" * (10 * MIB + 1 - 9)
    upload = uploads.request(po_id, size=10 * MIB)  # the declaration was within the limit
    uploads.post(upload, content)  # the policy's content-length-range would refuse this; moto does not

    uploads.ingest()

    document = uploads.document(po_id, upload["documentId"])
    assert document["status"] == "REJECTED"
    assert f"{10 * MIB + 1} bytes; at most {10 * MIB} bytes are accepted" in document["reason"]
    assert_quarantined(uploads, key_of(upload), content)


@pytest.mark.parametrize("size", [len(PDF) - 1, len(PDF) + 1])
def test_a_file_of_another_size_than_declared_is_rejected(uploads: Uploads, size: int) -> None:
    po_id = uploads.new_po()
    upload = uploads.request(po_id, size=size)
    uploads.post(upload, PDF)

    uploads.ingest()

    document = uploads.document(po_id, upload["documentId"])
    assert document["status"] == "REJECTED"
    assert f"{len(PDF)} bytes but {size} bytes were declared" in document["reason"]
    assert_quarantined(uploads, key_of(upload), PDF)


def test_an_empty_file_is_rejected(uploads: Uploads) -> None:
    po_id = uploads.new_po()
    upload = uploads.request(po_id, size=1)
    uploads.s3.put_object(Bucket=BUCKET, Key=key_of(upload), Body=b"")

    uploads.ingest()

    assert uploads.document(po_id, upload["documentId"])["reason"] == "the file is empty"
    assert_quarantined(uploads, key_of(upload), b"")


@pytest.mark.parametrize(
    "key",
    [
        f"uploads/acme/po/{'0' * 32}/{'1' * 32}",  # well formed, but nobody asked for it
        "uploads/acme/po/nothing-here",
        "uploads/my file (1).pdf",  # S3 sends it encoded: "uploads/my+file+%281%29.pdf"
    ],
)
def test_an_object_no_upload_was_requested_for_is_quarantined(uploads: Uploads, key: str) -> None:
    uploads.s3.put_object(Bucket=BUCKET, Key=key, Body=PDF)

    uploads.ingest()

    assert_quarantined(uploads, key, PDF)
    moved = uploads.s3.head_object(Bucket=BUCKET, Key="quarantine/" + key)
    assert moved["Metadata"]["reason"].startswith(("no upload was requested", "the key is not one"))


def test_an_upload_under_another_orgs_prefix_never_reaches_the_named_document(uploads: Uploads) -> None:
    """Org B's prefix, org A's PO and document id: a pending document of org B is what would have
    to exist, and none does; org A's document is not touched."""
    po_id = uploads.new_po()  # org acme
    upload = uploads.request(po_id)
    forged = f"uploads/globex/po/{po_id}/{upload['documentId']}"
    uploads.s3.put_object(Bucket=BUCKET, Key=forged, Body=PDF)

    uploads.ingest()

    assert_quarantined(uploads, forged, PDF)
    assert uploads.document(po_id, upload["documentId"])["status"] == "PENDING"
    assert (
        documents_repository.get_item(DocumentKey("globex", OwnerKind.PO, po_id, upload["documentId"]))
        is None
    )


def test_an_upload_naming_another_po_of_the_org_is_quarantined(uploads: Uploads) -> None:
    po_id, other_po = uploads.new_po(), uploads.new_po()
    upload = uploads.request(po_id)
    moved_key = f"uploads/acme/po/{other_po}/{upload['documentId']}"
    uploads.s3.put_object(Bucket=BUCKET, Key=moved_key, Body=PDF)

    uploads.ingest()

    assert_quarantined(uploads, moved_key, PDF)
    assert uploads.document(po_id, upload["documentId"])["status"] == "PENDING"
    assert uploads.api("GET", f"/pos/{other_po}").body["documents"] == []


def test_uploads_outside_uploads_never_notify(uploads: Uploads) -> None:
    uploads.s3.put_object(Bucket=BUCKET, Key="pdf/acme/p/abc.pdf", Body=PDF)
    uploads.s3.put_object(Bucket=BUCKET, Key="quarantine/uploads/x", Body=PDF)

    assert uploads.records() == []


# --- redelivery ------------------------------------------------------------------------------------


def test_an_accepted_upload_delivered_again_changes_nothing(uploads: Uploads) -> None:
    po_id = uploads.new_po()
    upload = uploads.request(po_id)
    uploads.post(upload, PDF)
    records = uploads.ingest()
    before = uploads.document(po_id, upload["documentId"])

    assert uploads.deliver(records) == {"batchItemFailures": []}
    assert uploads.deliver(records + records) == {"batchItemFailures": []}

    assert uploads.document(po_id, upload["documentId"]) == before
    assert len(uploads.versions(key_of(upload))) == 1
    assert uploads.versions("quarantine/" + key_of(upload)) == []


def test_a_rejected_upload_delivered_again_changes_nothing(uploads: Uploads) -> None:
    po_id = uploads.new_po()
    upload = uploads.request(po_id, size=len(PNG))
    uploads.post(upload, PNG)
    records = uploads.ingest()
    before = uploads.document(po_id, upload["documentId"])

    assert uploads.deliver(records) == {"batchItemFailures": []}

    assert uploads.document(po_id, upload["documentId"]) == before
    assert len(uploads.versions("quarantine/" + key_of(upload))) == 1  # not copied twice


def test_a_second_upload_to_an_accepted_key_is_quarantined_and_the_first_stays(uploads: Uploads) -> None:
    po_id = uploads.new_po()
    upload = uploads.request(po_id)
    uploads.post(upload, PDF)
    uploads.ingest()
    accepted = uploads.stored_version(po_id, upload["documentId"])
    replacement = PDF.replace(b"x", b"y")  # a valid PDF of the same size: still refused

    uploads.post(upload, replacement)  # the presigned POST is still valid for minutes
    uploads.ingest()

    document = uploads.document(po_id, upload["documentId"])
    assert document["status"] == "ACCEPTED"
    assert uploads.stored_version(po_id, upload["documentId"]) == accepted
    assert_quarantined(uploads, key_of(upload), replacement, stays=(str(accepted),))
    link = uploads.api("GET", f"/pos/{po_id}/documents/{upload['documentId']}").body["url"]
    assert requests.get(link, timeout=10).content == PDF


def test_the_version_an_event_names_is_the_one_checked(uploads: Uploads) -> None:
    """Real S3 events carry the version id (moto's do not): a good first version is accepted by its
    own event even when a bad second one arrived before the ingest ran."""
    po_id = uploads.new_po()
    upload = uploads.request(po_id)
    uploads.post(upload, PDF)
    uploads.post(upload, PNG + b"\x00" * (len(PDF) - len(PNG)))
    first, second = [version["VersionId"] for version in reversed(uploads.versions(key_of(upload)))]
    records = uploads.records()
    for record, version_id in zip(records, (first, second), strict=True):
        body = json.loads(record["body"])
        body["Records"][0]["s3"]["object"]["versionId"] = version_id
        record["body"] = json.dumps(body)

    assert uploads.deliver(records) == {"batchItemFailures": []}

    assert uploads.document(po_id, upload["documentId"])["status"] == "ACCEPTED"
    assert uploads.stored_version(po_id, upload["documentId"]) == first
    assert [version["VersionId"] for version in uploads.versions(key_of(upload))] == [first]
    (moved,) = uploads.versions("quarantine/" + key_of(upload))
    assert (
        uploads.s3.head_object(Bucket=BUCKET, Key="quarantine/" + key_of(upload))["Metadata"][
            "source-version"
        ]
        == second
    )
    assert moved["Size"] == len(PDF)


def test_a_second_upload_to_a_rejected_key_is_quarantined_without_reviving_the_document(
    uploads: Uploads,
) -> None:
    po_id = uploads.new_po()
    upload = uploads.request(po_id)
    uploads.post(upload, PNG + b"\x00" * (len(PDF) - len(PNG)))
    uploads.ingest()
    first_reason = uploads.document(po_id, upload["documentId"])["reason"]

    uploads.post(upload, PDF)  # a good file, but this document was refused: ask for a new upload
    uploads.ingest()

    document = uploads.document(po_id, upload["documentId"])
    assert (document["status"], document["reason"]) == ("REJECTED", first_reason)
    assert uploads.versions(key_of(upload)) == []
    latest = uploads.s3.head_object(Bucket=BUCKET, Key="quarantine/" + key_of(upload))
    assert (
        latest["Metadata"]["reason"]
        == "the document was already rejected; another upload to its key is refused"
    )
    assert uploads.content("quarantine/" + key_of(upload)) == PDF


def test_two_deliveries_racing_accept_the_document_once(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch
) -> None:
    po_id = uploads.new_po()
    upload = uploads.request(po_id)
    uploads.post(upload, PDF)
    (record,) = uploads.records()
    real = uploads_data.first_bytes
    raced: list[Any] = []

    def other_delivery_first(arrived: Any, count: int = 16) -> bytes | None:
        if not raced:  # the other delivery runs to its end while this one is between its reads
            raced.append(None)
            raced.append(ingest_service.ingest_object(arrived.key, arrived.version_id))
        return real(arrived, count)

    monkeypatch.setattr(uploads_data, "first_bytes", other_delivery_first)

    assert uploads.deliver([record]) == {"batchItemFailures": []}

    assert raced[1].outcome == ingest_service.Outcome.ACCEPTED
    result = ingest_service.ingest_object(key_of(upload), None)
    assert result.outcome == ingest_service.Outcome.ALREADY_DONE
    assert uploads.document(po_id, upload["documentId"])["status"] == "ACCEPTED"
    assert len(uploads.versions(key_of(upload))) == 1
    assert uploads.versions("quarantine/" + key_of(upload)) == []


def test_two_deliveries_racing_reject_the_document_once(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch
) -> None:
    po_id = uploads.new_po()
    upload = uploads.request(po_id, size=len(PNG))
    uploads.post(upload, PNG)
    (record,) = uploads.records()
    real = documents_repository.mark_rejected
    raced: list[Any] = []

    def other_delivery_first(item: Any, **kwargs: Any) -> bool:
        if not raced:
            raced.append(None)
            raced.append(ingest_service.ingest_object(key_of(upload), None))
        return real(item, **kwargs)

    monkeypatch.setattr(documents_repository, "mark_rejected", other_delivery_first)

    assert uploads.deliver([record]) == {"batchItemFailures": []}

    assert raced[1].outcome == ingest_service.Outcome.REJECTED
    document = uploads.document(po_id, upload["documentId"])
    assert document["status"] == "REJECTED" and "not a PDF document" in document["reason"]
    assert_quarantined(uploads, key_of(upload), PNG)  # moved once, by whichever came first


def test_a_version_quarantined_between_the_reads_of_another_delivery_is_left_alone(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch
) -> None:
    po_id = uploads.new_po()
    upload = uploads.request(po_id, size=len(PNG))
    uploads.post(upload, PNG)
    (record,) = uploads.records()
    real = uploads_data.first_bytes
    raced: list[Any] = []

    def other_delivery_first(arrived: Any, count: int = 16) -> bytes | None:
        if not raced:
            raced.append(None)
            raced.append(ingest_service.ingest_object(arrived.key, arrived.version_id))
        return real(arrived, count)

    monkeypatch.setattr(uploads_data, "first_bytes", other_delivery_first)

    assert uploads.deliver([record]) == {"batchItemFailures": []}

    assert raced[1].outcome == ingest_service.Outcome.REJECTED
    assert_quarantined(uploads, key_of(upload), PNG)


# --- failures ------------------------------------------------------------------------------------------


def failing(monkeypatch: pytest.MonkeyPatch, method: str, when: Callable[[dict[str, Any]], bool]) -> None:
    """The S3 client's `method` answers 503 SlowDown for the calls `when` picks."""
    client = documents_repository.s3()
    real = getattr(client, method)

    def call(**kwargs: Any) -> Any:
        if when(kwargs):
            raise ClientError(
                {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}, method
            )
        return real(**kwargs)

    monkeypatch.setattr(client, method, call)


def test_a_transient_s3_error_fails_only_its_message(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch
) -> None:
    po_id = uploads.new_po()
    unlucky, lucky = uploads.request(po_id), uploads.request(po_id)
    uploads.post(unlucky, PDF)
    uploads.post(lucky, PDF)
    records = uploads.records()
    failing(monkeypatch, "head_object", lambda call: call["Key"] == key_of(unlucky))

    response = uploads.deliver(records)

    (failed,) = [r for r in records if key_of(unlucky).split("/")[-1] in r["body"]]
    assert response == {"batchItemFailures": [{"itemIdentifier": failed["messageId"]}]}
    assert uploads.document(po_id, unlucky["documentId"])["status"] == "PENDING"
    assert uploads.document(po_id, lucky["documentId"])["status"] == "ACCEPTED"
    # the queue delivers it again once S3 answers again
    monkeypatch.undo()
    assert uploads.deliver([failed]) == {"batchItemFailures": []}
    assert uploads.document(po_id, unlucky["documentId"])["status"] == "ACCEPTED"


def test_a_failure_while_quarantining_is_finished_by_the_retry(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch
) -> None:
    po_id = uploads.new_po()
    upload = uploads.request(po_id, size=len(PNG))
    uploads.post(upload, PNG)
    records = uploads.records()
    failing(monkeypatch, "delete_object", lambda call: True)

    assert uploads.deliver(records)["batchItemFailures"] == [{"itemIdentifier": records[0]["messageId"]}]
    assert uploads.document(po_id, upload["documentId"])["status"] == "REJECTED"  # marked first
    monkeypatch.undo()

    assert uploads.deliver(records) == {"batchItemFailures": []}
    assert uploads.versions(key_of(upload)) == []
    copies = uploads.versions("quarantine/" + key_of(upload))  # copied again by the retry: harmless
    assert [uploads.content("quarantine/" + key_of(upload), c["VersionId"]) for c in copies] == [PNG, PNG]
    assert "not a PDF document" in uploads.document(po_id, upload["documentId"])["reason"]
    latest = uploads.s3.head_object(Bucket=BUCKET, Key="quarantine/" + key_of(upload))
    assert "not a PDF document" in latest["Metadata"]["reason"]  # the retry keeps the first reason


def test_a_message_that_is_not_an_s3_event_fails_alone(uploads: Uploads) -> None:
    po_id = uploads.new_po()
    upload = uploads.request(po_id)
    uploads.post(upload, PDF)
    records = uploads.records()
    bad = [
        dict(records[0], messageId=str(uuid.uuid4()), body=body)
        for body in ("not json", "[]", json.dumps({"Records": "none"}), json.dumps({"Records": [{"s3": {}}]}))
    ]

    response = uploads.deliver([bad[0], *records, *bad[1:]])

    assert response == {"batchItemFailures": [{"itemIdentifier": message["messageId"]} for message in bad]}
    assert uploads.document(po_id, upload["documentId"])["status"] == "ACCEPTED"


def test_events_of_another_bucket_or_kind_are_left_alone(uploads: Uploads) -> None:
    po_id = uploads.new_po()
    upload = uploads.request(po_id)
    uploads.post(upload, PDF)
    (record,) = uploads.records()
    body = json.loads(record["body"])
    elsewhere = json.loads(record["body"])
    elsewhere["Records"][0]["s3"]["bucket"]["name"] = "someone-elses-bucket"
    removed = json.loads(record["body"])
    removed["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    outside = json.loads(record["body"])
    outside["Records"][0]["s3"]["object"]["key"] = "pdf/acme/p1/abc.pdf"
    uploads.s3.put_object(Bucket=BUCKET, Key="pdf/acme/p1/abc.pdf", Body=PNG)

    response = uploads.deliver(
        [dict(record, body=json.dumps(body)) for body in (elsewhere, removed, outside)]
    )

    assert response == {"batchItemFailures": []}
    assert uploads.document(po_id, upload["documentId"])["status"] == "PENDING"
    assert uploads.content("pdf/acme/p1/abc.pdf") == PNG  # a generated PDF is never quarantined
    assert uploads.deliver([dict(record, body=json.dumps(body))]) == {"batchItemFailures": []}
    assert uploads.document(po_id, upload["documentId"])["status"] == "ACCEPTED"


# --- documents of orders and blanket POs -----------------------------------------------------------------


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> list[tuple[DocumentKey, Any]]:
    calls: list[tuple[DocumentKey, Any]] = []
    monkeypatch.setattr(
        order_service, "on_document_accepted", lambda key, document: calls.append((key, document))
    )
    return calls


@pytest.mark.parametrize("kind", [OwnerKind.ORDER, OwnerKind.BLANKET])
def test_an_accepted_order_or_blanket_document_goes_to_the_order_service(
    uploads: Uploads, hook: list[tuple[DocumentKey, Any]], kind: OwnerKind
) -> None:
    owner = uuid.uuid4().hex
    upload = document_service.request_upload(
        "acme",
        kind,
        owner,
        UploadRequest(file_name="po.pdf", content_type="application/pdf", size=len(PDF)),
        uploaded_by="partner",
        source="PARTNER",
        po_number="CUST-4711",
    )
    uploads.post(upload.model_dump(by_alias=True), PDF)

    records = uploads.ingest()
    uploads.deliver(records)  # redelivered: the hook runs again (it is idempotent) and nothing else

    key = DocumentKey("acme", kind, owner, upload.document_id)
    assert [call[0] for call in hook] == [key, key]
    document = hook[0][1]
    assert (document.id, document.status, document.po_number, document.source) == (
        upload.document_id,
        "ACCEPTED",
        "CUST-4711",
        "PARTNER",
    )


def test_a_rejected_order_document_never_reaches_the_order_service(
    uploads: Uploads, hook: list[tuple[DocumentKey, Any]]
) -> None:
    upload = document_service.request_upload(
        "acme",
        OwnerKind.ORDER,
        uuid.uuid4().hex,
        UploadRequest(file_name="po.pdf", content_type="application/pdf", size=len(PNG)),
        uploaded_by="partner",
        source="PARTNER",
        po_number="CUST-4711",
    )
    uploads.post(upload.model_dump(by_alias=True), PNG)

    uploads.ingest()

    assert hook == []


def test_a_po_document_is_not_handed_to_the_order_service(
    uploads: Uploads, hook: list[tuple[DocumentKey, Any]]
) -> None:
    po_id = uploads.new_po()
    uploads.post(uploads.request(po_id), PDF)

    uploads.ingest()

    assert hook == []


def test_an_order_service_failure_is_retried_and_then_attaches(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def flaky(key: DocumentKey, document: Any) -> None:
        calls.append(document.status)
        if len(calls) == 1:
            raise RuntimeError("DynamoDB throttled")

    monkeypatch.setattr(order_service, "on_document_accepted", flaky)
    upload = document_service.request_upload(
        "acme",
        OwnerKind.ORDER,
        uuid.uuid4().hex,
        UploadRequest(file_name="po.pdf", content_type="application/pdf", size=len(PDF)),
        uploaded_by="partner",
        source="PARTNER",
        po_number="CUST-1",
    )
    uploads.post(upload.model_dump(by_alias=True), PDF)
    records = uploads.records()

    assert uploads.deliver(records)["batchItemFailures"] == [{"itemIdentifier": records[0]["messageId"]}]
    assert uploads.deliver(records) == {"batchItemFailures": []}
    assert calls == ["ACCEPTED", "ACCEPTED"]


def test_the_ingest_reads_documents_and_orders_strongly_consistently(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uploads land seconds after the document was created, and the partner hook runs right after
    the accept: an eventually consistent read could miss either and drop a good upload."""
    from purchasing.data.tables import DocumentItem, OwnerPartitionItem
    from purchasing.domain.model import Document, utc_now

    reads: list[tuple[str, object]] = []
    real_get, real_query = DocumentItem.get, OwnerPartitionItem.query

    def get(*args: Any, **kwargs: Any) -> Any:
        reads.append(("GetItem", kwargs.get("consistent_read")))
        return real_get(*args, **kwargs)

    def query(*args: Any, **kwargs: Any) -> Any:
        reads.append(("Query", kwargs.get("consistent_read")))
        return real_query(*args, **kwargs)

    monkeypatch.setattr(DocumentItem, "get", get)
    monkeypatch.setattr(OwnerPartitionItem, "query", query)
    documents_repository.get_item(DocumentKey("acme", OwnerKind.PO, "a" * 32, "d" * 32))
    partner_upload = Document(
        id="d" * 32,
        file_name="po.pdf",
        content_type="application/pdf",
        size=10,
        status="ACCEPTED",
        source="PARTNER",
        uploaded_by="partner:buyer@customer.example.com",
        po_number="C-1",
        created_at=utc_now(),
        updated_at=utc_now(),
    )
    order_key = DocumentKey("acme", OwnerKind.ORDER, "0" * 32, "d" * 32)
    order_service.on_document_accepted(order_key, partner_upload)
    assert reads == [("GetItem", True), ("Query", True)]
