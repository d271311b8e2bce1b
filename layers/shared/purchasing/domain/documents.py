"""Documents: what may be uploaded, where it lands, and how its content is checked.

An upload is a presigned S3 POST for one server-chosen key; nothing is attached until the ingest
function has read what actually arrived (S3 accepts whatever the policy allows, and moto accepts
anything). Keys, by prefix:

| prefix                                         | what                                    |
|------------------------------------------------|-----------------------------------------|
| `uploads/<org>/<kind>/<ownerId>/<documentId>`   | an upload, until ingested (kind: po, order, blanket) |
| `quarantine/uploads/...`                       | a rejected upload, kept for inspection, expires |
| `pdf/<org>/<poId>/<fingerprint>.pdf`           | a PO's PDF, generated when it is ordered |

Only `uploads/` notifies the ingest queue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

UPLOADS = "uploads/"
QUARANTINE = "quarantine/"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # 10 MiB
UPLOAD_SECONDS = 300  # a presigned POST is good for five minutes
DOWNLOAD_SECONDS = 300


class DocumentStatus(StrEnum):
    PENDING = "PENDING"  # a presigned POST was handed out; nothing accepted yet
    ACCEPTED = "ACCEPTED"  # ingested: the content is what was declared
    REJECTED = "REJECTED"  # ingested and refused: quarantined, never attached


class OwnerKind(StrEnum):
    PO = "po"
    ORDER = "order"
    BLANKET = "blanket"


# The declared type and the bytes the content must start with.
MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
CONTENT_TYPES = tuple(MAGIC)
SNIFF_BYTES = 16  # enough for every signature above


def content_matches(content_type: str, head: bytes) -> bool:
    """Whether the first bytes of the content are those of the declared type."""
    return any(head.startswith(magic) for magic in MAGIC.get(content_type, ()))


@dataclass(frozen=True)
class DocumentKey:
    org_id: str
    kind: OwnerKind
    owner_id: str
    document_id: str

    @property
    def s3_key(self) -> str:
        return f"{UPLOADS}{self.org_id}/{self.kind.value}/{self.owner_id}/{self.document_id}"


_ID = r"[A-Za-z0-9_-]{1,64}"
_KEY = re.compile(rf"^{UPLOADS}(?P<org>{_ID})/(?P<kind>po|order|blanket)/(?P<owner>{_ID})/(?P<doc>{_ID})$")


def parse_key(key: str) -> DocumentKey | None:
    """The document an upload key names, or None for a key this service never hands out."""
    match = _KEY.fullmatch(key)  # not match: "$" would let a trailing newline through
    if match is None:
        return None
    return DocumentKey(match["org"], OwnerKind(match["kind"]), match["owner"], match["doc"])


def quarantine_key(key: str) -> str:
    return QUARANTINE + key


def pdf_key(org_id: str, po_id: str, fingerprint: str) -> str:
    return f"pdf/{org_id}/{po_id}/{fingerprint}.pdf"


def post_conditions(
    bucket: str, key: str, content_type: str, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[dict[str, str], list[object]]:
    """The form fields and the policy conditions of a presigned POST for exactly this key and type,
    between 1 byte and `max_bytes` (boto3 adds the bucket, key and signature conditions too)."""
    fields = {"Content-Type": content_type}
    conditions: list[object] = [
        {"bucket": bucket},
        ["eq", "$key", key],
        ["eq", "$Content-Type", content_type],
        ["content-length-range", 1, max_bytes],
    ]
    return fields, conditions
