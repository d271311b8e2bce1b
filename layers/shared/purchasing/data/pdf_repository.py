"""A PO's PDF: the object in S3 (`pdf/<org>/<po>/<fingerprint>.pdf`) and its item (SK PDF) in the
PO's partition, which names the latest one and whether its supplier was told.

The item doubles as a lease: a delivery that writes it holds the right to notify the supplier for
LEASE_SECONDS, so two deliveries of the same event racing each other send one email; a delivery
that died before notifying leaves a lease that runs out, and the retry takes it over.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError, UpdateError

from purchasing import config
from purchasing.data.documents_repository import missing, s3
from purchasing.data.tables import PdfItem, po_pk

PDF_SK = "PDF"
LEASE_SECONDS = 120  # longer than the PDF function's timeout: a live holder is never overtaken


@dataclass(frozen=True)
class Told:
    """A revision the supplier was sent: its link is the supplier's current one."""

    revision: int
    fingerprint: str
    snapshot: dict[str, Any]
    sent_at: str
    sent_to: str


def told(item: PdfItem | None) -> Told | None:
    """What the supplier was last sent: this revision once notified, else the one before it."""
    if item is None:
        return None
    if item.published_at is not None:
        return Told(
            revision=int(item.revision or 1),
            fingerprint=item.fingerprint,
            snapshot=json.loads(item.snapshot) if item.snapshot else {},
            sent_at=item.published_at,
            sent_to=item.sent_to or "",
        )
    return Told(**json.loads(item.base)) if item.base else None


def _revision_fields(
    revision: int, snapshot: dict[str, Any], sent_to: str, base: Told | None
) -> dict[str, Any]:
    return {
        "revision": revision,
        "snapshot": json.dumps(snapshot, sort_keys=True, ensure_ascii=False),
        "sent_to": sent_to,
        "base": json.dumps(asdict(base), sort_keys=True, ensure_ascii=False) if base else None,
    }


def get(org_id: str, po_id: str) -> PdfItem | None:
    """The PO's latest PDF (a Query: the functions that read it may Query, not all may GetItem)."""
    return next(iter(PdfItem.query(po_pk(org_id, po_id), PdfItem.sk == PDF_SK)), None)


def store(s3_key: str, pdf: bytes, *, file_name: str) -> None:
    """Put the PDF; the same fingerprint always goes to the same key, so a retry overwrites it."""
    s3().put_object(
        Bucket=config.get(config.Documents).documents_bucket,
        Key=s3_key,
        Body=pdf,
        ContentType="application/pdf",
        ContentDisposition=f'inline; filename="{file_name}"',
    )


def exists(s3_key: str) -> bool:
    try:
        s3().head_object(Bucket=config.get(config.Documents).documents_bucket, Key=s3_key)
        return True
    except ClientError as error:
        if missing(error):
            return False
        raise


def claim(
    org_id: str,
    po_id: str,
    *,
    fingerprint: str,
    s3_key: str,
    number: str,
    now: str,
    revision: int = 1,
    snapshot: dict[str, Any] | None = None,
    sent_to: str = "",
    base: Told | None = None,
) -> bool:
    """Record the PDF as the PO's latest revision and take the lease to notify its supplier: True
    unless this very PDF was notified already or another delivery holds a live lease on it."""
    epoch = _clock()
    item = PdfItem(
        po_pk(org_id, po_id),
        PDF_SK,
        fingerprint=fingerprint,
        s3_key=s3_key,
        number=number,
        created_at=now,
        claimed_until=epoch + LEASE_SECONDS,
        **_revision_fields(revision, snapshot or {}, sent_to, base),
    )
    lapsed = PdfItem.claimed_until.does_not_exist() | (PdfItem.claimed_until < epoch)
    free = PdfItem.published_at.does_not_exist() & lapsed
    try:
        item.save(condition=PdfItem.sk.does_not_exist() | (PdfItem.fingerprint != fingerprint) | free)
        return True
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def mark_failed(
    org_id: str,
    po_id: str,
    *,
    fingerprint: str,
    s3_key: str,
    number: str,
    reason: str,
    now: str,
    revision: int = 1,
    snapshot: dict[str, Any] | None = None,
    base: Told | None = None,
) -> None:
    """Record that the PDF of this fingerprint could not be made, and why: the buyer's link then
    says so. A PDF sent already (the same fingerprint) is never taken back."""
    item = PdfItem(
        po_pk(org_id, po_id),
        PDF_SK,
        fingerprint=fingerprint,
        s3_key=s3_key,
        number=number,
        created_at=now,
        failure=reason,
        **_revision_fields(revision, snapshot or {}, "", base),
    )
    try:
        item.save(
            condition=PdfItem.sk.does_not_exist()
            | (PdfItem.fingerprint != fingerprint)
            | PdfItem.published_at.does_not_exist()
        )
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def _clock() -> int:
    return int(time.time())


def mark_notified(org_id: str, po_id: str, *, fingerprint: str, now: str) -> None:
    """Once the supplier was told; a newer PDF written meanwhile is left alone (it notifies)."""
    try:
        PdfItem(po_pk(org_id, po_id), PDF_SK).update(
            actions=[PdfItem.published_at.set(now), PdfItem.claimed_until.remove()],
            condition=PdfItem.fingerprint == fingerprint,
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def release(org_id: str, po_id: str, *, fingerprint: str) -> None:
    """Give the lease back after a failed notification, so the retry need not wait it out."""
    try:
        PdfItem(po_pk(org_id, po_id), PDF_SK).update(
            actions=[PdfItem.claimed_until.set(0)],
            condition=(PdfItem.fingerprint == fingerprint) & PdfItem.published_at.does_not_exist(),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
