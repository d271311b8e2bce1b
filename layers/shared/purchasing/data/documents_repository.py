"""Documents in the table (DOC# items in their owner's partition) and their objects in S3."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from pynamodb.exceptions import UpdateError

from purchasing import config
from purchasing.data.mapping import to_model
from purchasing.data.tables import DocumentItem, doc_sk, owner_pk
from purchasing.domain import documents
from purchasing.domain.documents import DocumentKey, DocumentStatus
from purchasing.domain.model import Document

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PENDING_DAYS = 1  # a PENDING document nobody uploaded is deleted (TTL) after this


@cache
def s3() -> S3Client:
    """SigV4 (botocore presigns with SigV2 unless told, which buckets made since 2020 refuse) and
    virtual-hosted URLs on the bucket's regional endpoint (a custom endpoint stays path-style)."""
    signing = Config(signature_version="s3v4", s3={"addressing_style": "virtual"})
    return boto3.client("s3", region_name=config.region(), config=signing)


_MISSING = {"404", "NoSuchKey", "NoSuchVersion", "NotFound"}


def missing(error: ClientError) -> bool:
    """S3's answer for a key or version that is not there (a HEAD says only 404)."""
    return str(error.response.get("Error", {}).get("Code")) in _MISSING


def new_document_id() -> str:
    return uuid.uuid4().hex


# --- the table -----------------------------------------------------------------------------------


def create_pending(
    key: DocumentKey,
    *,
    file_name: str,
    content_type: str,
    size: int,
    uploaded_by: str,
    source: str,
    now: str,
    po_number: str | None = None,
) -> Document:
    item = DocumentItem(
        owner_pk(key.org_id, key.kind.value, key.owner_id),
        doc_sk(key.document_id),
        document_id=key.document_id,
        owner_kind=key.kind.value,
        owner_id=key.owner_id,
        file_name=file_name,
        content_type=content_type,
        size=size,
        s3_key=key.s3_key,
        status=DocumentStatus.PENDING.value,
        source=source,
        uploaded_by=uploaded_by,
        po_number=po_number,
        created_at=now,
        updated_at=now,
        expiration=int(time.time()) + PENDING_DAYS * 86400,
    )
    item.save(DocumentItem.sk.does_not_exist())
    return to_domain(item)


def get_item(key: DocumentKey) -> DocumentItem | None:
    """Strongly consistent: the ingest decides from it, seconds after the document was created."""
    pk = owner_pk(key.org_id, key.kind.value, key.owner_id)
    try:
        return DocumentItem.get(pk, doc_sk(key.document_id), consistent_read=True)
    except DocumentItem.DoesNotExist:
        return None


def mark_accepted(item: DocumentItem, *, version_id: str | None, received_size: int, now: str) -> bool:
    """PENDING -> ACCEPTED; False if it was no longer pending (a redelivery, or a race lost)."""
    return _settle(
        item,
        [
            DocumentItem.status.set(DocumentStatus.ACCEPTED.value),
            DocumentItem.version_id.set(version_id) if version_id else DocumentItem.version_id.remove(),
            DocumentItem.received_size.set(received_size),
            DocumentItem.updated_at.set(now),
            DocumentItem.expiration.remove(),
        ],
    )


def mark_rejected(item: DocumentItem, *, reason: str, now: str, version_id: str | None = None) -> bool:
    """PENDING -> REJECTED with the reason (and the S3 version refused); False if it was no longer
    pending."""
    actions = [
        DocumentItem.status.set(DocumentStatus.REJECTED.value),
        DocumentItem.reason.set(reason[:500]),
        DocumentItem.updated_at.set(now),
        DocumentItem.expiration.remove(),
    ]
    if version_id:
        actions.append(DocumentItem.version_id.set(version_id))
    return _settle(item, actions)


def note_kept(key: DocumentKey, note: str, now: str) -> None:
    """Say on an ACCEPTED document why it was kept rather than applied (its `reason`)."""
    item = DocumentItem(owner_pk(key.org_id, key.kind.value, key.owner_id), doc_sk(key.document_id))
    item.update(
        actions=[DocumentItem.reason.set(note[:500]), DocumentItem.updated_at.set(now)],
        condition=DocumentItem.status == DocumentStatus.ACCEPTED.value,
    )


def _settle(item: DocumentItem, actions: list[Any]) -> bool:
    try:
        item.update(actions=actions, condition=DocumentItem.status == DocumentStatus.PENDING.value)
        return True
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def to_domain(item: DocumentItem) -> Document:
    return to_model(Document, item, id=item.document_id)


# --- S3 --------------------------------------------------------------------------------------------


def presigned_post(s3_key: str, content_type: str, max_bytes: int, seconds: int) -> dict[str, Any]:
    """`{url, fields, expiresAt}` for a browser's multipart POST of exactly this key and type."""
    bucket = config.get(config.Documents).documents_bucket
    fields, conditions = documents.post_conditions(bucket, s3_key, content_type, max_bytes)
    post = s3().generate_presigned_post(
        Bucket=bucket, Key=s3_key, Fields=fields, Conditions=conditions, ExpiresIn=seconds
    )
    return {"url": post["url"], "fields": post["fields"], "expiresAt": _expires(seconds)}


def presigned_get(
    s3_key: str, *, seconds: int, version_id: str | None = None, file_name: str | None = None
) -> dict[str, str]:
    """`{url, expiresAt}`: a short-lived download link for one object (one version of it)."""
    params: dict[str, Any] = {"Bucket": config.get(config.Documents).documents_bucket, "Key": s3_key}
    if version_id:
        params["VersionId"] = version_id
    if file_name:
        safe = "".join(c for c in file_name if c.isalnum() or c in "._- ")[:120] or "document"
        params["ResponseContentDisposition"] = f'attachment; filename="{safe}"'
    url = s3().generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)
    return {"url": url, "expiresAt": _expires(seconds)}


def upload_origin() -> str:
    """Where browsers send presigned POSTs, as a Content-Security-Policy source: any S3 host in
    AWS, the endpoint itself elsewhere (moto in the local cloud)."""
    endpoint = urlsplit(s3().meta.endpoint_url)
    host = endpoint.hostname or ""
    if host == "amazonaws.com" or host.endswith(".amazonaws.com"):
        return "https://*.amazonaws.com"
    return f"{endpoint.scheme}://{endpoint.netloc}"


def _expires(seconds: int) -> str:
    return (
        datetime.fromtimestamp(time.time() + seconds, UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z")
    )
