"""The PO's PDF for its supplier: made when the PO is ordered, stored, and sent as a link.

One PDF per distinct set of ordered lines (`po_pdf.fingerprint`): a redelivered event finds its
PDF sent and does nothing; a revision ordered again makes a new one. The supplier's link is a
signed, expiring token naming that PDF; it is the supplier's only credential.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from purchasing.api.auth import Principal
from purchasing.config import settings
from purchasing.data import notifications, pdf_repository, po_repository, secrets
from purchasing.data.documents_repository import presigned_get
from purchasing.domain import documents, po_pdf, signed_tokens
from purchasing.domain.errors import NotFound, NotReady, PdfFailed
from purchasing.domain.model import CamelModel, PurchaseOrder, Status, utc_now
from purchasing.observability import logger

PURPOSE = "supplier-pdf"
LINK_DAYS = 30  # how long the supplier's emailed link works
DOWNLOAD_SECONDS = documents.DOWNLOAD_SECONDS  # how long one presigned download works
_HEX32 = r"^[0-9a-f]{32}$"
RENDER_SECONDS = 60  # within the PDF function's Timeout (90 s): a PO that takes longer fails visibly


class PoStatusChanged(BaseModel):
    """The `po.status-changed` event (raw SNS message) as far as this service reads it."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["po.status-changed"]
    org_id: str = Field(alias="orgId", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    po_id: str = Field(alias="poId", pattern=_HEX32)


class PdfLink(CamelModel):
    url: str = Field(description="a presigned GET of the PDF, good for a few minutes")
    expires_at: str
    number: str
    generated_at: str


class PdfBeingSent(Exception):
    """Another delivery of the same event holds the lease to notify: retry later."""


def on_status_changed(message: str) -> str:
    """Make, store and send the PDF of a PO that was ordered, unless it was sent already.
    Anything that fails before the supplier is told raises, so the message is retried."""
    event = PoStatusChanged.model_validate_json(message)
    po = po_repository.get(event.org_id, event.po_id)
    if po is None or po.status not in (Status.ORDERED, Status.RECEIVED) or not po_pdf.ordered_lines(po):
        return "nothing ordered"  # a stale event: the PO was revised or canceled since
    fingerprint = po_pdf.fingerprint(po)
    current = pdf_repository.get(event.org_id, po.id)
    if current is not None and current.fingerprint == fingerprint:
        if current.notified_at is not None:
            return "already sent"
        if current.failure is not None:
            return "failed already"  # the same PO renders the same way: no second attempt
    now = datetime.now(UTC)
    key = documents.pdf_key(event.org_id, po.id, fingerprint)
    try:
        pdf = po_pdf.render(po, buyer=event.org_id, issued_at=now, budget_seconds=RENDER_SECONDS)
    except Exception as error:  # a retry renders the same PO the same way: record it, do not retry
        return _failed(event.org_id, po, fingerprint, key, error)
    pdf_repository.store(key, pdf, file_name=file_name(po.number))
    taken = pdf_repository.claim(
        event.org_id, po.id, fingerprint=fingerprint, s3_key=key, number=po.number, now=utc_now()
    )
    if not taken:
        if _sent(event.org_id, po.id, fingerprint):
            return "already sent"
        raise PdfBeingSent(f"PO {po.id}: another delivery is sending {fingerprint}")
    try:
        _notify(event.org_id, po, fingerprint, now)
    except Exception:
        pdf_repository.release(event.org_id, po.id, fingerprint=fingerprint)
        raise
    pdf_repository.mark_notified(event.org_id, po.id, fingerprint=fingerprint, now=utc_now())
    logger.info("PO PDF sent", extra={"poId": po.id, "fingerprint": fingerprint, "bytes": len(pdf)})
    return "sent"


def _failed(org_id: str, po: PurchaseOrder, fingerprint: str, key: str, error: Exception) -> str:
    reason = f"{type(error).__name__}: {error}"[:500]
    logger.exception("PO PDF could not be rendered", extra={"poId": po.id, "orgId": org_id, "reason": reason})
    pdf_repository.mark_failed(
        org_id, po.id, fingerprint=fingerprint, s3_key=key, number=po.number, reason=reason, now=utc_now()
    )
    return "failed"


def _sent(org_id: str, po_id: str, fingerprint: str) -> bool:
    current = pdf_repository.get(org_id, po_id)
    return current is not None and current.fingerprint == fingerprint and current.notified_at is not None


def _notify(org_id: str, po: PurchaseOrder, fingerprint: str, now: datetime) -> None:
    expires = now + timedelta(days=LINK_DAYS)
    claims = {"org": org_id, "po": po.id, "fingerprint": fingerprint}
    token = signed_tokens.sign(PURPOSE, claims, int(expires.timestamp()), secrets.link_secret())
    link = f"{settings().api_base_url}/supplier/{token}"
    subject, body = po_pdf.supplier_message(po, buyer=org_id, link=link, expires_at=expires)
    notifications.publish_to_supplier(
        org_id=org_id,
        po_id=po.id,
        po_number=po.number,
        supplier_email=str(po.supplier.email),
        subject=subject,
        body=body,
    )


def file_name(number: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", number) + ".pdf"


# --- links -------------------------------------------------------------------------------------


def latest_link(principal: Principal, po_id: str) -> PdfLink:
    """A short-lived link to the PO's latest PDF: 404 for no such PO, 409 before it has one."""
    item = pdf_repository.get(principal.org_id, po_id)
    if item is None:
        if po_repository.get(principal.org_id, po_id) is None:
            raise NotFound(f"PO {po_id} not found")
        raise NotReady(f"PO {po_id} has no PDF yet: it is made once the PO is ordered")
    if item.failure is not None:
        raise PdfFailed(
            f"the PDF of PO {item.number} could not be made ({item.failure}); its supplier was not sent it"
        )
    link = presigned_get(item.s3_key, seconds=DOWNLOAD_SECONDS)
    return PdfLink(
        url=link["url"], expires_at=link["expiresAt"], number=item.number, generated_at=item.created_at
    )


def supplier_download(token: str) -> str:
    """The presigned URL a supplier's link leads to. Raises LinkForged or LinkExpired for a bad
    token, NotFound when the PDF is gone."""
    claims = signed_tokens.verify(PURPOSE, token, secrets.link_secret(), now=int(time.time()))
    org_id, po_id, fingerprint = (claims.get(name) for name in ("org", "po", "fingerprint"))
    if not all(isinstance(value, str) for value in (org_id, po_id, fingerprint)):
        raise signed_tokens.LinkForged("not a supplier link")  # signed by us, but not for this
    key = documents.pdf_key(str(org_id), str(po_id), str(fingerprint))
    if not pdf_repository.exists(key):
        raise NotFound("this purchase order PDF is no longer available")
    return presigned_get(key, seconds=DOWNLOAD_SECONDS)["url"]
