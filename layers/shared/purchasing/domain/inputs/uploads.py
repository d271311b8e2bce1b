"""What a client declares before an upload (every documents route takes it; a partner's upload adds
its PO number): a display name, a type, a size. The content is checked on arrival, not here."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictInt, StringConstraints

from purchasing.domain.model import CamelModel


class UploadRequest(CamelModel):
    """What a client declares before it uploads, as the use cases read it (`UploadDocumentRequest`
    is how the API validates it)."""

    file_name: str
    content_type: str
    size: int


# A display name only (the S3 key is server-chosen): no path separators, no control characters.
FileName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=255, pattern=r"^[^/\\\x00-\x1f\x7f-\x9f]+$"
    ),
]


# documents.CONTENT_TYPES, spelled out for the schema (a unit test keeps the two equal).
ContentType = Literal["application/pdf", "image/png", "image/jpeg"]


class UploadDocumentRequest(UploadRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"fileName": "delivery-note.pdf", "contentType": "application/pdf", "size": 48213}]
        }
    )
    file_name: FileName = Field(description="the file's name as the user knows it; no / or \\")
    content_type: ContentType = Field(description="the file's type; its content is checked on arrival")
    size: StrictInt = Field(ge=1, description="bytes; more than 10 MiB is refused with 413")
