"""Documents of a PO: a presigned POST for a new one, a download link for an accepted one.

A PO takes documents in every status but CANCELED: a RECEIVED PO still files its records (a
delivery note, a credit note), while a canceled PO is over and takes nothing more (issue 10).
"""

from __future__ import annotations

from purchasing.domain.caller import Principal
from purchasing.domain.documents import OwnerKind
from purchasing.domain.errors import StateConflict
from purchasing.domain.inputs.uploads import UploadRequest
from purchasing.domain.model import Status
from purchasing.services import document_service, po_service
from purchasing.services.document_service import DownloadLink, Upload


def request_upload(principal: Principal, po_id: str, request: UploadRequest) -> Upload:
    po = po_service.get(principal, po_id)  # 404 for an unknown PO, and for another org's
    if po.status is Status.CANCELED:
        raise StateConflict(f"PO {po_id} is CANCELED: it takes no more documents", field="status")
    return document_service.request_upload(
        principal.org_id, OwnerKind.PO, po_id, request, uploaded_by=principal.email or principal.user_id
    )


def download_link(principal: Principal, po_id: str, document_id: str) -> DownloadLink:
    """The document lives in the PO's partition of the caller's org: another org's is a 404."""
    return document_service.download_link(principal.org_id, OwnerKind.PO, po_id, document_id)
