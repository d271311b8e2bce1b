"""The ingest: every object that lands under `uploads/` is checked before anything is attached.

S3 accepts whatever a presigned POST's policy allows (and moto accepts anything), so nothing is
trusted: an object is accepted only when its key names a PENDING document of that org and owner,
its size fits the limit and equals the declared size, and its first bytes are those of the
declared type. Then the document is ACCEPTED with the S3 version that was checked, and an order's
or a blanket PO's document is handed to `order_service.on_document_accepted`. Anything else is
copied to `quarantine/<key>`, deleted from `uploads/`, and its document (if there is one) marked
REJECTED with the reason; it is never attached.

Redelivery is harmless: an accepted document seen again with the same version changes nothing (the
order hook runs again; it is idempotent, which also finishes a delivery that failed after the
accept); a version already moved to quarantine is gone and is skipped; a second upload to an
accepted key is quarantined and the accepted version stays. The document is marked REJECTED
before its object is moved, so a delivery that fails half-way is finished by the retry.
Errors from AWS are raised: the message is retried, then lands in the queue's dead-letter queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from urllib.parse import unquote_plus

from purchasing.data import documents_repository, uploads
from purchasing.data.tables import DocumentItem
from purchasing.domain import documents
from purchasing.domain.documents import DocumentKey, DocumentStatus, OwnerKind
from purchasing.domain.model import utc_now
from purchasing.services import order_service

TYPE_NAMES = {"application/pdf": "PDF document", "image/png": "PNG image", "image/jpeg": "JPEG image"}
ATTACHED_ELSEWHERE = (OwnerKind.ORDER, OwnerKind.BLANKET)  # kinds the order service attaches
UNKNOWN = "no upload was requested for this key (unknown document)"


class MalformedMessage(ValueError):
    """The message is not an S3 event notification: retried, then kept in the dead-letter queue."""


class Outcome(StrEnum):
    ACCEPTED = "ACCEPTED"  # the document is now ACCEPTED
    REJECTED = "REJECTED"  # the document is now REJECTED and the object quarantined
    QUARANTINED = "QUARANTINED"  # quarantined; no pending document to mark (unknown key, second upload)
    ALREADY_DONE = "ALREADY_DONE"  # a redelivery: this version was accepted before
    GONE = "GONE"  # the version no longer exists (moved to quarantine by an earlier delivery)
    IGNORED = "IGNORED"  # not an object this ingest looks at (another bucket or event)


@dataclass(frozen=True)
class Result:
    key: str
    outcome: Outcome
    document_id: str | None = None
    reason: str | None = None
    version_id: str | None = None


def ingest_message(body: str) -> list[Result]:
    """One SQS message: an S3 event notification with its records (a test event has none)."""
    try:
        event = json.loads(body)
    except ValueError as error:
        raise MalformedMessage("the message body is not JSON") from error
    if not isinstance(event, dict):
        raise MalformedMessage("the message body is not an S3 event notification")
    if event.get("Event") == "s3:TestEvent":
        return []  # S3 sends it once when the notification is configured
    records = event.get("Records")
    if not isinstance(records, list):
        raise MalformedMessage("the message body is not an S3 event notification")
    return [ingest_record(record) for record in records]


def ingest_record(record: dict[str, Any]) -> Result:
    try:
        bucket = str(record["s3"]["bucket"]["name"])
        obj = record["s3"]["object"]
        key = unquote_plus(str(obj["key"]))  # S3 encodes keys in events, a space as "+"
    except (KeyError, TypeError) as error:
        raise MalformedMessage("an S3 event record without bucket and key") from error
    version_id = obj.get("versionId") or None
    if bucket != uploads.bucket() or not str(record.get("eventName", "")).startswith("ObjectCreated"):
        return Result(key, Outcome.IGNORED, reason=f"{record.get('eventName')} in bucket {bucket}")
    if not key.startswith(documents.UPLOADS):
        return Result(key, Outcome.IGNORED, reason="not under uploads/")
    return ingest_object(key, version_id)


def ingest_object(key: str, version_id: str | None) -> Result:
    """Check one version of an uploaded object and accept or quarantine it."""
    upload = uploads.arrived(key, version_id)
    if upload is None:
        return Result(key, Outcome.GONE, version_id=version_id)
    document_key = documents.parse_key(key)
    if document_key is None:
        return _quarantine(upload, None, "the key is not one this service hands out for uploads")
    item = documents_repository.get_item(document_key)
    if item is None:
        return _quarantine(upload, None, UNKNOWN)
    if item.status != DocumentStatus.PENDING.value:
        return _settled(document_key, item, upload)
    head = uploads.first_bytes(upload)
    if head is None:
        return Result(key, Outcome.GONE, item.document_id, version_id=upload.version_id)
    reason = rejection_reason(item.content_type, int(item.size), upload.size, head)
    if reason is not None:
        return _reject(document_key, item, upload, reason)
    if documents_repository.mark_accepted(
        item, version_id=upload.version_id, received_size=upload.size, now=utc_now()
    ):
        _attach(document_key, item)
        return Result(key, Outcome.ACCEPTED, item.document_id, version_id=upload.version_id)
    return _settled_meanwhile(document_key, upload)


def rejection_reason(content_type: str, declared_size: int, size: int, head: bytes) -> str | None:
    """Why an upload is refused, in words for the person who uploaded it; None if it is fine."""
    if size > documents.MAX_UPLOAD_BYTES:
        return f"the file is {size} bytes; at most {documents.MAX_UPLOAD_BYTES} bytes are accepted"
    if size == 0:
        return "the file is empty"
    if size != declared_size:
        return f"the file is {size} bytes but {declared_size} bytes were declared"
    if not documents.content_matches(content_type, head):
        return f"the content is not a {TYPE_NAMES.get(content_type, content_type)} as declared"
    return None


def _settled(document_key: DocumentKey, item: DocumentItem, upload: uploads.Arrived) -> Result:
    """The document was accepted or rejected before: this is a redelivery or another upload."""
    same_version = item.version_id == upload.version_id
    if item.status == DocumentStatus.ACCEPTED.value and same_version:
        _attach(document_key, item)  # idempotent: finishes a delivery that failed after the accept
        return Result(upload.key, Outcome.ALREADY_DONE, item.document_id, version_id=upload.version_id)
    if item.status == DocumentStatus.REJECTED.value and same_version:
        reason = item.reason or "the document was rejected"  # a retry finishing the quarantine
    else:
        settled = "accepted" if item.status == DocumentStatus.ACCEPTED.value else "rejected"
        reason = f"the document was already {settled}; another upload to its key is refused"
    return _quarantine(upload, item.document_id, reason)


def _reject(document_key: DocumentKey, item: DocumentItem, upload: uploads.Arrived, reason: str) -> Result:
    if not documents_repository.mark_rejected(
        item, reason=reason, now=utc_now(), version_id=upload.version_id
    ):
        return _settled_meanwhile(document_key, upload)
    return replace(_quarantine(upload, item.document_id, reason), outcome=Outcome.REJECTED)


def _settled_meanwhile(document_key: DocumentKey, upload: uploads.Arrived) -> Result:
    """The conditional update found the document no longer PENDING: a concurrent delivery settled
    it (or it expired, unused), so this one goes on from what the table has now."""
    fresh = documents_repository.get_item(document_key)
    if fresh is None:
        return _quarantine(upload, None, UNKNOWN)
    return _settled(document_key, fresh, upload)


def _quarantine(upload: uploads.Arrived, document_id: str | None, reason: str) -> Result:
    moved = uploads.quarantine(upload, reason)
    outcome = Outcome.QUARANTINED if moved else Outcome.GONE
    return Result(upload.key, outcome, document_id, reason, upload.version_id)


def _attach(document_key: DocumentKey, item: DocumentItem) -> None:
    if document_key.kind in ATTACHED_ELSEWHERE:
        order_service.on_document_accepted(document_key, documents_repository.to_domain(item))
