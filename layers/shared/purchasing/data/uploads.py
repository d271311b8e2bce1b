"""Uploaded objects as the ingest sees them: what arrived (one exact version of a key), its first
bytes, and moving a refused version to quarantine.

Every call names the version it is about: a second upload to the same key is another version, and
what is checked is what gets accepted or quarantined. A version that is gone (deleted by an
earlier delivery of the same event) is None, never an error; anything else S3 answers is raised,
so the message is retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from purchasing import config
from purchasing.data.documents_repository import missing, s3
from purchasing.domain import documents

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import CopySourceTypeDef


@dataclass(frozen=True)
class Arrived:
    """One version of an uploaded object."""

    key: str
    version_id: str | None  # None only in a bucket that is not versioned
    size: int
    content_type: str | None = None


def bucket() -> str:
    return config.get(config.Documents).documents_bucket


def arrived(key: str, version_id: str | None) -> Arrived | None:
    """That version of the object (the current one when the event names none), or None if gone."""
    try:
        head = s3().head_object(**_version(key, version_id))
    except ClientError as error:
        if missing(error):
            return None
        raise
    return Arrived(
        key=key,
        version_id=head.get("VersionId") or version_id,
        size=int(head["ContentLength"]),
        content_type=head.get("ContentType"),
    )


def first_bytes(upload: Arrived, count: int = documents.SNIFF_BYTES) -> bytes | None:
    """The first `count` bytes of exactly that version (a ranged GET), or None if it is gone."""
    if upload.size == 0:
        return b""
    try:
        response = s3().get_object(**_version(upload.key, upload.version_id), Range=f"bytes=0-{count - 1}")
    except ClientError as error:
        if missing(error):
            return None
        raise
    return response["Body"].read(count)


def quarantine(upload: Arrived, reason: str) -> str | None:
    """Copy that version to `quarantine/<key>` (with the reason in its metadata), then delete it from
    `uploads/`. The quarantine key, or None if the version was already gone (moved before)."""
    target = documents.quarantine_key(upload.key)
    source: CopySourceTypeDef = {"Bucket": bucket(), "Key": upload.key}
    if upload.version_id:
        source["VersionId"] = upload.version_id
    metadata = {
        "reason": reason.encode("ascii", "replace").decode()[:512],
        "quarantined-at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source-version": upload.version_id or "null",
    }
    try:
        s3().copy_object(
            Bucket=bucket(),
            Key=target,
            CopySource=source,
            MetadataDirective="REPLACE",
            Metadata=metadata,
            ContentType=upload.content_type or "application/octet-stream",
        )
    except ClientError as error:
        if missing(error):
            return None
        raise
    s3().delete_object(**_version(upload.key, upload.version_id))
    return target


def _version(key: str, version_id: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"Bucket": bucket(), "Key": key}
    if version_id:
        params["VersionId"] = version_id
    return params
