"""`POST /pos/{poId}/documents` and `GET /pos/{poId}/documents/{documentId}` through the real
handler against moto: the presigned POST's policy read back condition by condition, the
declaration's validation, who may ask, and downloads of accepted documents only."""

from __future__ import annotations

import base64
import json
import os
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests

from purchasing.domain import documents
from purchasing.services import ingest_service
from tests.conftest import Api, claims, new_po_body

BUCKET = os.environ["DOCUMENTS_BUCKET"]
PDF = b"%PDF-1.7\n" + b"x" * 200 + b"\n%%EOF\n"
DECLARED = {"fileName": "quote.pdf", "contentType": "application/pdf", "size": len(PDF)}


@pytest.fixture
def po_id(api: Api) -> str:
    reply = api("POST", "/pos", new_po_body())
    assert reply.status == 201, reply.body
    return str(reply.body["id"])


def request_upload(api: Api, po_id: str, body: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return api("POST", f"/pos/{po_id}/documents", DECLARED if body is None else body, **kwargs)


def policy_of(fields: dict[str, str]) -> dict[str, Any]:
    return dict(json.loads(base64.b64decode(fields["policy"])))


def accepted_upload(api: Api, po_id: str, content: bytes = PDF) -> dict[str, Any]:
    """A document uploaded and ingested (the ingest's own tests cover how it gets there)."""
    upload = request_upload(api, po_id, DECLARED | {"size": len(content)}).body
    key = upload["fields"]["key"]
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=content, ContentType="application/pdf")
    assert ingest_service.ingest_object(key, None).outcome == ingest_service.Outcome.ACCEPTED
    return dict(upload)


# --- the presigned POST ----------------------------------------------------------------------------


def test_a_buyer_gets_a_presigned_post_for_a_pending_document(api: Api, po_id: str) -> None:
    reply = request_upload(api, po_id)

    assert reply.status == 201, reply.body
    upload = reply.body
    assert set(upload) == {"url", "fields", "expiresAt", "documentId", "maxBytes", "document"}
    assert upload["maxBytes"] == 10 * 1024 * 1024
    document = upload["document"]
    assert (document["id"], document["status"], document["fileName"], document["size"]) == (
        upload["documentId"],
        "PENDING",
        "quote.pdf",
        len(PDF),
    )
    assert (document["contentType"], document["uploadedBy"], document["source"]) == (
        "application/pdf",
        "buyer@acme.example.com",
        "BUYER",
    )
    assert urlparse(upload["url"]).scheme == "https" and BUCKET in upload["url"]


def test_the_policy_allows_exactly_this_key_type_and_size_for_minutes(api: Api, po_id: str) -> None:
    before = time.time()
    upload = request_upload(api, po_id).body
    after = time.time()

    fields = upload["fields"]
    key = f"uploads/acme/po/{po_id}/{upload['documentId']}"
    assert fields["key"] == key and fields["Content-Type"] == "application/pdf"
    policy = policy_of(fields)
    conditions = policy["conditions"]
    # every condition, one by one
    exact = {next(iter(c)): next(iter(c.values())) for c in conditions if isinstance(c, dict)}
    operators = [c for c in conditions if isinstance(c, list)]
    assert exact["bucket"] == BUCKET
    assert exact["key"] == key
    assert ["eq", "$key", key] in operators
    assert ["eq", "$Content-Type", "application/pdf"] in operators
    assert ["content-length-range", 1, 10 * 1024 * 1024] in operators
    assert exact["x-amz-algorithm"] == fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"  # SigV4
    assert exact["x-amz-credential"] == fields["x-amz-credential"]
    assert exact["x-amz-date"] == fields["x-amz-date"]
    # and nothing that would widen them: no prefix match, no second range, no other bucket
    assert not [c for c in operators if c[0] == "starts-with"]
    assert len([c for c in operators if c[0] == "content-length-range"]) == 1
    assert set(exact) == {"bucket", "key", "x-amz-algorithm", "x-amz-credential", "x-amz-date"}
    assert len(operators) == 3
    # minutes of validity, and the same instant in the answer
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    assert int(before) + documents.UPLOAD_SECONDS - 1 <= expiration <= after + documents.UPLOAD_SECONDS
    assert 60 <= documents.UPLOAD_SECONDS <= 15 * 60
    answered = datetime.fromisoformat(upload["expiresAt"].replace("Z", "+00:00")).timestamp()
    assert abs(answered - expiration) <= 1


@pytest.mark.parametrize("content_type", documents.CONTENT_TYPES)
def test_the_policy_pins_the_declared_type(api: Api, po_id: str, content_type: str) -> None:
    fields = request_upload(api, po_id, DECLARED | {"contentType": content_type}).body["fields"]

    assert fields["Content-Type"] == content_type
    assert ["eq", "$Content-Type", content_type] in policy_of(fields)["conditions"]


def test_each_upload_gets_its_own_server_chosen_key(api: Api, po_id: str) -> None:
    first = request_upload(api, po_id, DECLARED | {"fileName": "..%2F..%2Fother-org.pdf"}).body
    second = request_upload(api, po_id).body

    assert first["documentId"] != second["documentId"]
    assert first["fields"]["key"] != second["fields"]["key"]
    assert documents.parse_key(first["fields"]["key"]) == documents.DocumentKey(
        "acme", documents.OwnerKind.PO, po_id, first["documentId"]
    )
    assert "other-org" not in first["fields"]["key"]  # the file name never reaches the key


def test_a_browser_post_to_the_url_lands_at_the_key(api: Api, po_id: str) -> None:
    upload = request_upload(api, po_id).body

    posted = requests.post(
        upload["url"],
        data=upload["fields"],
        files={"file": ("quote.pdf", PDF, "application/pdf")},
        timeout=10,
    )

    assert posted.status_code == 204
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=upload["fields"]["key"])
    assert stored["Body"].read() == PDF


def test_the_po_lists_its_documents_with_their_status(api: Api, po_id: str) -> None:
    pending = request_upload(api, po_id).body
    accepted = accepted_upload(api, po_id)

    documents_listed = {d["id"]: d["status"] for d in api("GET", f"/pos/{po_id}").body["documents"]}

    assert documents_listed == {pending["documentId"]: "PENDING", accepted["documentId"]: "ACCEPTED"}


# --- what may be declared ------------------------------------------------------------------------


def test_the_largest_file_allowed_may_be_declared(api: Api, po_id: str) -> None:
    assert request_upload(api, po_id, DECLARED | {"size": 10 * 1024 * 1024}).status == 201


def test_a_file_over_10_mib_is_413(api: Api, po_id: str) -> None:
    reply = request_upload(api, po_id, DECLARED | {"size": 10 * 1024 * 1024 + 1})

    assert reply.status == 413
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.body["errors"] == [{"field": "size", "message": reply.body["detail"]}]
    assert api("GET", f"/pos/{po_id}").body["documents"] == []  # nothing was recorded


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (DECLARED | {"contentType": "text/html"}, "contentType"),
        (DECLARED | {"contentType": "application/x-msdownload"}, "contentType"),
        (DECLARED | {"fileName": "../../etc/passwd"}, "fileName"),
        (DECLARED | {"fileName": "a\\b.pdf"}, "fileName"),
        (DECLARED | {"fileName": "a\u0000.pdf"}, "fileName"),
        (DECLARED | {"fileName": ""}, "fileName"),
        (DECLARED | {"fileName": "x" * 256}, "fileName"),
        (DECLARED | {"size": 0}, "size"),
        (DECLARED | {"size": "12"}, "size"),
        (DECLARED | {"size": 1.5}, "size"),
        ({"fileName": "a.pdf", "contentType": "application/pdf"}, "size"),
        (DECLARED | {"key": "uploads/other/po/x/y"}, "key"),  # the client never picks the key
        (DECLARED | {"bucket": "elsewhere"}, "bucket"),
    ],
)
def test_a_bad_declaration_is_a_422_naming_the_field(
    api: Api, po_id: str, body: dict[str, Any], field: str
) -> None:
    reply = request_upload(api, po_id, body)

    assert reply.status == 422, reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert field in {error["field"] for error in reply.body["errors"]}


def test_malformed_json_is_400(api: Api, po_id: str) -> None:
    reply = api("POST", f"/pos/{po_id}/documents", raw_body="{not json")

    assert reply.status == 400


# --- who may ask, and for which PO --------------------------------------------------------------------


def test_an_unknown_po_is_404(api: Api) -> None:
    assert request_upload(api, "0" * 32).status == 404


def test_another_orgs_po_is_404_and_gets_no_document(api: Api, po_id: str) -> None:
    reply = request_upload(api, po_id, caller=claims(org="globex", email="buyer@globex.example.com"))

    assert reply.status == 404
    assert api("GET", f"/pos/{po_id}").body["documents"] == []


def test_a_po_id_that_cannot_exist_is_404(api: Api) -> None:
    assert request_upload(api, "not-a-po").status == 404


@pytest.mark.parametrize("role", ["admin"])
def test_admins_may_upload_too(api: Api, po_id: str, role: str) -> None:
    assert request_upload(api, po_id, caller=claims(role=role)).status == 201


def test_an_approver_may_not_upload(api: Api, po_id: str) -> None:
    reply = request_upload(api, po_id, caller=claims(role="approver", email="boss@acme.example.com"))

    assert reply.status == 403
    assert api("GET", f"/pos/{po_id}").body["documents"] == []


def test_no_claims_is_401(api: Api, po_id: str) -> None:
    assert request_upload(api, po_id, caller={}).status == 401


def test_a_canceled_po_takes_no_documents(api: Api, po_id: str) -> None:
    """Issue 10, point 9 (this test asserted the opposite before): a canceled PO is over."""
    canceled = api("POST", f"/pos/{po_id}/cancel")
    assert (canceled.status, canceled.body["status"]) == (200, "CANCELED"), canceled.body

    reply = request_upload(api, po_id)

    assert (reply.status, reply.body["errors"][0]["field"]) == (409, "status")
    assert "CANCELED" in reply.body["detail"]
    assert api("GET", f"/pos/{po_id}").body["documents"] == []


# --- downloads ---------------------------------------------------------------------------------------


def test_an_accepted_document_has_a_short_lived_link_to_the_version_accepted(api: Api, po_id: str) -> None:
    upload = accepted_upload(api, po_id)
    key = upload["fields"]["key"]
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"%PDF- a later version, never accepted")

    reply = api("GET", f"/pos/{po_id}/documents/{upload['documentId']}")

    assert reply.status == 200, reply.body
    assert set(reply.body) == {"url", "expiresAt", "document"}
    assert reply.body["document"]["status"] == "ACCEPTED"
    query = parse_qs(urlparse(reply.body["url"]).query)
    assert 0 < int(query["X-Amz-Expires"][0]) <= 15 * 60
    assert query["response-content-disposition"] == ['attachment; filename="quote.pdf"']
    assert "versionId" in query
    downloaded = requests.get(reply.body["url"], timeout=10)
    assert (downloaded.status_code, downloaded.content) == (200, PDF)


def test_any_role_of_the_org_may_download(api: Api, po_id: str) -> None:
    upload = accepted_upload(api, po_id)

    reply = api(
        "GET",
        f"/pos/{po_id}/documents/{upload['documentId']}",
        caller=claims(role="approver", email="boss@acme.example.com"),
    )

    assert reply.status == 200


def test_a_pending_document_has_no_link_yet(api: Api, po_id: str) -> None:
    upload = request_upload(api, po_id).body

    reply = api("GET", f"/pos/{po_id}/documents/{upload['documentId']}")

    assert reply.status == 409
    assert "PENDING" in reply.body["detail"]


def test_a_rejected_document_never_has_a_link(api: Api, po_id: str) -> None:
    upload = request_upload(api, po_id).body
    key = upload["fields"]["key"]
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"MZ" + b"\x00" * (len(PDF) - 2))
    assert ingest_service.ingest_object(key, None).outcome == ingest_service.Outcome.REJECTED

    reply = api("GET", f"/pos/{po_id}/documents/{upload['documentId']}")

    assert reply.status == 409
    assert "REJECTED" in reply.body["detail"]


def test_an_unknown_document_is_404(api: Api, po_id: str) -> None:
    assert api("GET", f"/pos/{po_id}/documents/{'a' * 32}").status == 404
    assert api("GET", f"/pos/{po_id}/documents/not-an-id").status == 404


def test_another_orgs_document_is_404(api: Api, po_id: str) -> None:
    upload = accepted_upload(api, po_id)

    reply = api(
        "GET",
        f"/pos/{po_id}/documents/{upload['documentId']}",
        caller=claims(org="globex", email="buyer@globex.example.com"),
    )

    assert reply.status == 404


def test_a_document_of_another_po_is_404(api: Api, po_id: str) -> None:
    upload = accepted_upload(api, po_id)
    other = api("POST", "/pos", new_po_body()).body["id"]

    assert api("GET", f"/pos/{other}/documents/{upload['documentId']}").status == 404
