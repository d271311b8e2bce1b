"""Documents without AWS: the key scheme, magic bytes, the presigned POST's conditions, what the
ingest refuses and why, and what a client may declare before an upload."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from purchasing.domain import documents
from purchasing.domain.documents import DocumentKey, OwnerKind
from purchasing.domain.inputs.uploads import ContentType, UploadDocumentRequest
from purchasing.services.ingest_service import rejection_reason

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"
MAGIC_OF = {"application/pdf": PDF, "image/png": PNG, "image/jpeg": JPEG}
MIB = 1024 * 1024

# --- keys ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(OwnerKind))
def test_an_upload_key_names_org_kind_owner_and_document(kind: OwnerKind) -> None:
    key = f"uploads/acme/{kind.value}/3f2a9c4e8b7d41a6b0c5d2e9f1a7b3c8/0123456789abcdef0123456789abcdef"

    parsed = documents.parse_key(key)

    assert parsed == DocumentKey(
        "acme", kind, "3f2a9c4e8b7d41a6b0c5d2e9f1a7b3c8", "0123456789abcdef0123456789abcdef"
    )
    assert parsed is not None and parsed.s3_key == key


@pytest.mark.parametrize(
    "key",
    [
        "",
        "uploads/acme/po/p1",  # no document
        "uploads/acme/po/p1/d1/extra",
        "uploads/acme/invoice/p1/d1",  # not a kind
        "uploads/acme/PO/p1/d1",
        "quarantine/uploads/acme/po/p1/d1",
        "pdf/acme/p1/abc.pdf",
        "/uploads/acme/po/p1/d1",
        "uploads//po/p1/d1",
        "uploads/acme/po/../d1",
        "uploads/acme/po/p1/d1.pdf",
        "uploads/ac me/po/p1/d1",
        "uploads/acme/po/p1/d1\n",
        "uploads/acme/po/p1/" + "d" * 65,
        "Uploads/acme/po/p1/d1",
    ],
)
def test_keys_this_service_never_hands_out_name_no_document(key: str) -> None:
    assert documents.parse_key(key) is None


_IDS = st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z")


@given(org=_IDS, kind=st.sampled_from(OwnerKind), owner=_IDS, document=_IDS)
def test_every_key_made_parses_back_to_its_document(
    org: str, kind: OwnerKind, owner: str, document: str
) -> None:
    key = DocumentKey(org, kind, owner, document)

    assert documents.parse_key(key.s3_key) == key
    assert documents.parse_key(documents.quarantine_key(key.s3_key)) is None  # quarantine never re-ingests


# --- magic bytes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", documents.CONTENT_TYPES)
def test_content_starting_with_its_types_signature_matches(content_type: str) -> None:
    assert documents.content_matches(content_type, MAGIC_OF[content_type])


@pytest.mark.parametrize(
    ("declared", "content"),
    [
        ("application/pdf", PNG),
        ("application/pdf", JPEG),
        ("image/png", PDF),
        ("image/jpeg", PNG),
        ("application/pdf", b""),
        ("application/pdf", b"%PD"),  # a signature cut short
        ("application/pdf", b" %PDF-1.7"),  # not at the start
        ("image/png", b"\x89PNG\r\n"),
        ("application/pdf", b"<html><body>%PDF-</body></html>"),
        ("text/plain", b"hello"),  # a type no upload may declare
        ("application/octet-stream", PDF),
    ],
)
def test_content_that_is_not_the_declared_type_does_not_match(declared: str, content: bytes) -> None:
    assert not documents.content_matches(declared, content)


def test_every_signature_fits_in_the_bytes_the_ingest_reads() -> None:
    assert all(len(magic) <= documents.SNIFF_BYTES for magics in documents.MAGIC.values() for magic in magics)


# --- the presigned POST's conditions -----------------------------------------------------------------


def test_post_conditions_pin_bucket_key_type_and_size() -> None:
    fields, conditions = documents.post_conditions("docs", "uploads/acme/po/p1/d1", "image/png")

    assert fields == {"Content-Type": "image/png"}
    assert conditions == [
        {"bucket": "docs"},
        ["eq", "$key", "uploads/acme/po/p1/d1"],
        ["eq", "$Content-Type", "image/png"],
        ["content-length-range", 1, documents.MAX_UPLOAD_BYTES],
    ]
    assert documents.MAX_UPLOAD_BYTES == 10 * MIB


# --- what the ingest refuses -------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", documents.CONTENT_TYPES)
def test_an_upload_of_the_declared_size_and_type_is_accepted(content_type: str) -> None:
    assert rejection_reason(content_type, 1234, 1234, MAGIC_OF[content_type]) is None


def test_the_largest_upload_allowed_is_accepted() -> None:
    assert rejection_reason("application/pdf", 10 * MIB, 10 * MIB, PDF) is None


@pytest.mark.parametrize(
    ("content_type", "declared", "size", "head", "reason"),
    [
        ("application/pdf", 10 * MIB + 1, 10 * MIB + 1, PDF, "at most 10485760 bytes"),
        ("application/pdf", 100, 10 * MIB + 1, PDF, "at most 10485760 bytes"),  # size wins over the rest
        ("application/pdf", 1, 0, b"", "empty"),
        ("application/pdf", 100, 50, PDF, "50 bytes but 100 bytes were declared"),
        ("application/pdf", 100, 101, PDF, "101 bytes but 100 bytes were declared"),
        ("application/pdf", 100, 100, PNG, "not a PDF document"),
        ("image/png", 100, 100, JPEG, "not a PNG image"),
        ("image/jpeg", 100, 100, PDF, "not a JPEG image"),
    ],
)
def test_an_upload_is_refused_with_a_reason_a_person_can_act_on(
    content_type: str, declared: int, size: int, head: bytes, reason: str
) -> None:
    found = rejection_reason(content_type, declared, size, head)

    assert found is not None and reason in found


# --- what a client declares --------------------------------------------------------------------------


def _request(**overrides: Any) -> UploadDocumentRequest:
    body = {"fileName": "quote 2026-01.pdf", "contentType": "application/pdf", "size": 52_000} | overrides
    return UploadDocumentRequest.model_validate(body)


def test_a_declaration_takes_camel_case_fields() -> None:
    request = _request(fileName="  Angebot Müller (final).pdf ")

    assert (request.file_name, request.content_type, request.size) == (
        "Angebot Müller (final).pdf",
        "application/pdf",
        52_000,
    )


def test_the_schemas_types_are_exactly_those_whose_content_is_checked() -> None:
    assert set(get_args(ContentType)) == set(documents.CONTENT_TYPES) == set(documents.MAGIC)


def test_a_file_name_of_255_characters_is_taken() -> None:
    assert len(_request(fileName="a" * 251 + ".pdf").file_name) == 255


@pytest.mark.parametrize(
    "overrides",
    [
        {"fileName": ""},
        {"fileName": "   "},
        {"fileName": "a" * 256},
        {"fileName": "../etc/passwd"},
        {"fileName": "dir/file.pdf"},
        {"fileName": "C:\\Users\\me\\file.pdf"},
        {"fileName": "file\x00.pdf"},
        {"fileName": "file\n.pdf"},
        {"fileName": "file\x7f.pdf"},
        {"fileName": "file\x85.pdf"},
        {"fileName": 12},
        {"contentType": "text/html"},
        {"contentType": "APPLICATION/PDF"},
        {"contentType": "application/pdf; charset=binary"},
        {"contentType": ""},
        {"size": 0},
        {"size": -1},
        {"size": "52000"},
        {"size": 52.5},
        {"size": True},
        {"size": None},
        {"extra": "field"},
    ],
)
def test_a_bad_declaration_is_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _request(**overrides)


@pytest.mark.parametrize("missing", ["fileName", "contentType", "size"])
def test_every_field_is_required(missing: str) -> None:
    body = {"fileName": "a.pdf", "contentType": "application/pdf", "size": 1}
    del body[missing]

    with pytest.raises(ValidationError):
        UploadDocumentRequest.model_validate(body)


def test_a_size_over_the_limit_passes_the_schema_for_the_service_to_answer_413() -> None:
    assert _request(size=10 * MIB + 1).size == 10 * MIB + 1
