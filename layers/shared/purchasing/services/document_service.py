"""Use cases for documents: hand out a presigned POST for a new document, and a download link for
an accepted one. What arrives is checked by the ingest function (`ingest_service`), not here."""

from __future__ import annotations

from pydantic import ConfigDict

from purchasing.data import documents_repository
from purchasing.domain import documents
from purchasing.domain.documents import DocumentKey, DocumentStatus, OwnerKind
from purchasing.domain.errors import NotFound, NotReady, TooLarge
from purchasing.domain.inputs.uploads import UploadRequest
from purchasing.domain.model import CamelModel, Document, utc_now


class Upload(CamelModel):
    """A presigned POST: the browser posts `fields` plus the file (last) to `url`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "documentId": "3f1c2a9e8b7d4c6f9a0b1c2d3e4f5a6b",
                    "url": "https://purchasing-documents.s3.amazonaws.com/",
                    "fields": {
                        "key": "acme/PO/7c0e5d1a2b3c4d5e6f708192a3b4c5d6/3f1c2a9e8b7d4c6f9a0b1c2d3e4f5a6b",
                        "Content-Type": "application/pdf",
                        "policy": "eyJleHBpcmF0aW9uIjog...",
                        "x-amz-signature": "8f2c...",
                    },
                    "expiresAt": "2026-12-01T09:45:12.345Z",
                    "maxBytes": 10485760,
                    "document": {
                        "id": "3f1c2a9e8b7d4c6f9a0b1c2d3e4f5a6b",
                        "fileName": "delivery-note.pdf",
                        "contentType": "application/pdf",
                        "size": 48213,
                        "status": "PENDING",
                        "source": "BUYER",
                        "uploadedBy": "pat@acme.example.com",
                        "createdAt": "2026-12-01T09:30:12.345Z",
                        "updatedAt": "2026-12-01T09:30:12.345Z",
                    },
                }
            ]
        }
    )
    document_id: str
    url: str
    fields: dict[str, str]
    expires_at: str
    max_bytes: int
    document: Document


class DownloadLink(CamelModel):
    url: str
    expires_at: str
    document: Document


def request_upload(
    org_id: str,
    kind: OwnerKind,
    owner_id: str,
    request: UploadRequest,
    *,
    uploaded_by: str,
    source: str = "BUYER",
    po_number: str | None = None,
) -> Upload:
    """A PENDING document and a presigned POST for it. The caller has checked the owner exists in
    `org_id` and may take documents; the key is server-chosen and scoped to org, owner, document."""
    if request.size > documents.MAX_UPLOAD_BYTES:
        raise TooLarge(f"at most {documents.MAX_UPLOAD_BYTES} bytes are accepted", field="size")
    key = DocumentKey(org_id, kind, owner_id, documents_repository.new_document_id())
    document = documents_repository.create_pending(
        key,
        file_name=request.file_name,
        content_type=request.content_type,
        size=request.size,
        uploaded_by=uploaded_by,
        source=source,
        now=utc_now(),
        po_number=po_number,
    )
    # The declared size is what the client said; the policy allows up to the limit and the ingest
    # checks what arrived against the declaration.
    post = documents_repository.presigned_post(
        key.s3_key, request.content_type, documents.MAX_UPLOAD_BYTES, documents.UPLOAD_SECONDS
    )
    return Upload(
        document_id=key.document_id,
        url=post["url"],
        fields=post["fields"],
        expires_at=post["expiresAt"],
        max_bytes=documents.MAX_UPLOAD_BYTES,
        document=document,
    )


def download_link(org_id: str, kind: OwnerKind, owner_id: str, document_id: str) -> DownloadLink:
    """A short-lived link to an ACCEPTED document; a pending or rejected one is a 409."""
    item = documents_repository.get_item(DocumentKey(org_id, kind, owner_id, document_id))
    if item is None:
        raise NotFound(f"document {document_id} not found")
    if item.status != DocumentStatus.ACCEPTED.value:
        raise NotReady(
            f"document {document_id} is {item.status}; only an accepted document can be downloaded",
            field="status",
        )
    link = documents_repository.presigned_get(
        item.s3_key,
        seconds=documents.DOWNLOAD_SECONDS,
        version_id=item.version_id,
        file_name=item.file_name,
    )
    return DownloadLink(
        url=link["url"], expires_at=link["expiresAt"], document=documents_repository.to_domain(item)
    )
