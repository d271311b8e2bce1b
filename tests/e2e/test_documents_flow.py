"""PO documents on the local cloud, the way a web client does it: ask for an upload, POST the file
straight to the presigned URL as a browser form does, wait for the ingest (moto's S3 notification,
the uploads queue, the queue pump, the ingest function) to accept it, download it back. A file
that is not what it claims ends REJECTED, its object in quarantine."""

from __future__ import annotations

import urllib.request
import uuid
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest

from tests.e2e.conftest import Client, eventually, po_body

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 48


def multipart(fields: dict[str, str], file_name: str, content: bytes, content_type: str) -> tuple[bytes, str]:
    """A browser's multipart/form-data body: every policy field first, the file last."""
    boundary = f"----form{uuid.uuid4().hex}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def browser_post(upload: dict[str, Any], file_name: str, content: bytes) -> int:
    fields = upload["fields"]
    body, content_type = multipart(fields, file_name, content, fields["Content-Type"])
    request = urllib.request.Request(upload["url"], data=body, method="POST")
    request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def document_in(buyer: Client, po_id: str, document_id: str) -> dict[str, Any]:
    reply = buyer("GET", f"/pos/{po_id}")
    assert reply.status == 200, reply.text
    (found,) = [document for document in reply.json["documents"] if document["id"] == document_id]
    return dict(found)


def settled(buyer: Client, po_id: str, document_id: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        document = document_in(buyer, po_id, document_id)
        return document if document["status"] != "PENDING" else None

    return eventually(probe, f"document {document_id} ingested")


def new_po(buyer: Client) -> str:
    reply = buyer("POST", "/pos", po_body())
    assert reply.status == 201, reply.text
    return str(reply.json["id"])


def request_upload(
    buyer: Client, po_id: str, file_name: str, content: bytes, content_type: str
) -> dict[str, Any]:
    reply = buyer(
        "POST",
        f"/pos/{po_id}/documents",
        {"fileName": file_name, "contentType": content_type, "size": len(content)},
    )
    assert reply.status == 201, reply.text
    return dict(reply.json)


def test_a_pdf_goes_up_through_the_presigned_post_is_accepted_and_comes_back(buyer: Client) -> None:
    po_id = new_po(buyer)
    upload = request_upload(buyer, po_id, "quote.pdf", PDF, "application/pdf")
    assert document_in(buyer, po_id, upload["documentId"])["status"] == "PENDING"
    assert buyer("GET", f"/pos/{po_id}/documents/{upload['documentId']}").status == 409

    assert browser_post(upload, "quote.pdf", PDF) == 204

    document = settled(buyer, po_id, upload["documentId"])
    assert (document["status"], document["reason"], document["fileName"]) == ("ACCEPTED", None, "quote.pdf")
    link = buyer("GET", f"/pos/{po_id}/documents/{upload['documentId']}")
    assert link.status == 200, link.text
    with urllib.request.urlopen(link.json["url"], timeout=30) as response:
        assert response.read() == PDF
        assert 'filename="quote.pdf"' in response.headers.get("Content-Disposition", "")


def test_a_file_that_is_not_what_it_claims_is_rejected_and_quarantined(buyer: Client) -> None:
    po_id = new_po(buyer)
    upload = request_upload(buyer, po_id, "invoice.pdf", PNG, "application/pdf")

    assert browser_post(upload, "invoice.pdf", PNG) == 204

    document = settled(buyer, po_id, upload["documentId"])
    assert document["status"] == "REJECTED"
    assert "not a PDF document" in document["reason"]
    assert buyer("GET", f"/pos/{po_id}/documents/{upload['documentId']}").status == 409
    # the embedded S3 the presigned URL points at: the object moved to quarantine/
    url = urlparse(upload["url"])
    s3 = boto3.client(
        "s3",
        endpoint_url=f"{url.scheme}://{url.netloc}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    bucket, key = url.path.strip("/"), upload["fields"]["key"]
    assert s3.get_object(Bucket=bucket, Key="quarantine/" + key)["Body"].read() == PNG
    assert s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", []) == []
