"""The PO's PDF for its supplier: made when the PO is ordered, stored, and sent as a link.

One PDF per distinct set of ordered lines (`po_pdf.fingerprint`): a redelivered event finds its
PDF sent and does nothing; a revision ordered again makes a new one. The supplier's link is a
signed, expiring token naming that PDF; it is the supplier's only credential.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from purchasing import config
from purchasing.data import notifications, pdf_repository, po_repository, secrets
from purchasing.data.documents_repository import presigned_get
from purchasing.domain import documents, emails, po_pdf, signed_tokens
from purchasing.domain.caller import Principal
from purchasing.domain.errors import NotFound, NotReady, PdfFailed
from purchasing.domain.model import CamelModel, PurchaseOrder, utc_now
from purchasing.observability import logger

PURPOSE = "supplier-pdf"
LINK_DAYS = 30  # how long the supplier's emailed link works
DOWNLOAD_SECONDS = documents.DOWNLOAD_SECONDS  # how long one presigned download works
_HEX32 = r"^[0-9a-f]{32}$"
RENDER_SECONDS = 60  # within the PDF function's Timeout (90 s): a PO that takes longer fails visibly


class PoStatusChanged(BaseModel):
    """The `po.status-changed` event (raw SNS message) as far as this service reads it."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["po.status-changed", "po.lines-closed"]
    org_id: str = Field(alias="orgId", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    po_id: str = Field(alias="poId", pattern=_HEX32)


class PdfLink(CamelModel):
    url: str = Field(description="a presigned GET of the PDF, good for a few minutes")
    expires_at: str
    number: str
    generated_at: str


class Superseded(Exception):
    """A supplier link to a revision that a later one replaced (or a cancellation notice)."""

    def __init__(self, told: pdf_repository.Told) -> None:
        super().__init__(f"replaced by revision {told.revision}")
        self.told = told


class Renderer(Protocol):
    """Draws the supplier's PDF (`supplier_pdf.renderer.render`, in the PDF layer only the po_pdf
    function has): the po_pdf function hands it in, so no other function loads fpdf2."""

    def __call__(
        self,
        po: PurchaseOrder,
        *,
        buyer: str,
        issued_at: datetime,
        budget_seconds: float | None = None,
        revision: int = 1,
        told: po_pdf.Snapshot | None = None,
    ) -> bytes: ...


class PdfBeingSent(Exception):
    """Another delivery of the same event holds the lease to notify: retry later."""


@dataclass(frozen=True)
class Revision:
    """What the supplier is to be sent: revision `number`, showing `snapshot`, after `base`."""

    number: int
    snapshot: po_pdf.Snapshot
    fingerprint: str
    base: pdf_repository.Told | None


def on_status_changed(message: str, render: Renderer) -> str:
    """Tell the supplier what changed for it since it was last told: the first PDF when the PO is
    ordered, a change or cancellation notice with a new revision after that. What it was sent is
    compared with what the PO shows now, so a redelivered event (or one that changed nothing for
    the supplier) sends nothing. Anything that fails before the supplier is told raises, so the
    message is retried; a PDF that cannot be rendered is recorded as failed instead."""
    event = PoStatusChanged.model_validate_json(message)
    po = po_repository.get(event.org_id, event.po_id)
    current = pdf_repository.get(event.org_id, event.po_id)
    base = pdf_repository.told(current)
    view = None if po is None else po_pdf.to_tell(po, base.snapshot if base else None)
    if po is None or view is None:
        return "nothing to tell"  # not ordered (yet, or any more), or canceled before it was sent
    fingerprint = po_pdf.digest(view)
    if base is not None and base.fingerprint == fingerprint:
        return "already sent"
    if current is not None and current.fingerprint == fingerprint and current.failure is not None:
        return "failed already"  # the same PO renders the same way: no second attempt
    revision = Revision((base.revision + 1) if base else 1, view, fingerprint, base)
    now = datetime.now(UTC)
    key = documents.pdf_key(event.org_id, po.id, fingerprint)
    told = base.snapshot if base else None
    try:
        pdf = render(
            po,
            buyer=event.org_id,
            issued_at=now,
            budget_seconds=RENDER_SECONDS,
            revision=revision.number,
            told=told,
        )
    except Exception as error:  # a retry renders the same PO the same way: record it, do not retry
        return _failed(event.org_id, po, revision, key, error)
    pdf_repository.store(key, pdf, file_name=file_name(po_pdf.title(po, revision.number)))
    return _send(event.org_id, po, revision, key, now)


def _send(org_id: str, po: PurchaseOrder, revision: Revision, key: str, now: datetime) -> str:
    fingerprint = revision.fingerprint
    taken = pdf_repository.claim(
        org_id,
        po.id,
        fingerprint=fingerprint,
        s3_key=key,
        number=po.number,
        now=utc_now(),
        revision=revision.number,
        snapshot=revision.snapshot,
        sent_to=str(po.supplier.email),
        base=revision.base,
    )
    if not taken:
        if _sent(org_id, po.id, fingerprint):
            return "already sent"
        raise PdfBeingSent(f"PO {po.id}: another delivery is sending {fingerprint}")
    try:
        _notify(org_id, po, revision, now)
    except Exception:
        pdf_repository.release(org_id, po.id, fingerprint=fingerprint)
        raise
    pdf_repository.mark_notified(org_id, po.id, fingerprint=fingerprint, now=utc_now())
    logger.info("PO PDF sent", extra={"poId": po.id, "fingerprint": fingerprint, "revision": revision.number})
    return "sent"


def _failed(org_id: str, po: PurchaseOrder, revision: Revision, key: str, error: Exception) -> str:
    reason = f"{type(error).__name__}: {error}"[:500]
    logger.exception("PO PDF could not be rendered", extra={"poId": po.id, "orgId": org_id, "reason": reason})
    pdf_repository.mark_failed(
        org_id,
        po.id,
        fingerprint=revision.fingerprint,
        s3_key=key,
        number=po.number,
        reason=reason,
        now=utc_now(),
        revision=revision.number,
        snapshot=revision.snapshot,
        base=revision.base,
    )
    return "failed"


def _sent(org_id: str, po_id: str, fingerprint: str) -> bool:
    current = pdf_repository.get(org_id, po_id)
    return current is not None and current.fingerprint == fingerprint and current.published_at is not None


def _notify(org_id: str, po: PurchaseOrder, revision: Revision, now: datetime) -> None:
    expires = now + timedelta(days=LINK_DAYS)
    claims = {"org": org_id, "po": po.id, "fingerprint": revision.fingerprint}
    token = signed_tokens.sign(PURPOSE, claims, int(expires.timestamp()), secrets.link_secret())
    link = f"{config.get(config.Links).api_base_url}/supplier/{token}"
    if revision.base is None:
        subject, body = po_pdf.supplier_message(po, buyer=org_id, link=link, expires_at=expires)
    else:
        told = revision.base.snapshot
        what = po_pdf.changes(told, revision.snapshot) if told else []
        subject, body = po_pdf.change_message(
            po, buyer=org_id, link=link, expires_at=expires, revision=revision.number, told=told, what=what
        )
    lines = po_pdf.ordered_lines(po)  # the text says what was changed or canceled
    total = sum((po_pdf.amount(line, po.currency) for line in lines), Decimal(0))
    notifications.publish_email(
        emails.EmailMessage(
            kind="supplier-po",
            org_id=org_id,
            po_id=po.id,
            to=po.supplier.email,
            subject=subject,
            text=body,
            po=emails.po_summary(po, lines, total),
            target=emails.Target(kind="pdf", ref=revision.fingerprint),
        )
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
    told = pdf_repository.told(pdf_repository.get(str(org_id), str(po_id)))
    if told is not None and told.fingerprint != fingerprint:
        raise Superseded(told)
    key = documents.pdf_key(str(org_id), str(po_id), str(fingerprint))
    if not pdf_repository.exists(key):
        raise NotFound("this purchase order PDF is no longer available")
    return presigned_get(key, seconds=DOWNLOAD_SECONDS)["url"]
