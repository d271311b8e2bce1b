"""Approval links: a signed, expiring reference to one approval request and one approver.

The token is `<payload>.<signature>`, both base64url: the payload names the org, the PO, the
request and the approver, and when the link expires; the signature is an HMAC-SHA256 of it
with a secret only the service holds. It never carries the Step Functions task token.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass

from purchasing.domain.signed_tokens import LinkExpired, LinkForged
from purchasing.domain.signed_tokens import decode as _decode
from purchasing.domain.signed_tokens import encode as _encode


@dataclass(frozen=True)
class LinkClaims:
    org_id: str
    po_id: str
    request_id: str
    approver: str
    expires_at: int  # epoch seconds


def sign(claims: LinkClaims, secret: bytes) -> str:
    payload = _encode(json.dumps(asdict(claims), separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_encode(_mac(payload, secret))}"


def verify(token: str, secret: bytes, now: int) -> LinkClaims:
    payload, _, signature = token.partition(".")
    try:
        given = _decode(signature)
    except (binascii.Error, ValueError) as error:
        raise LinkForged("malformed signature") from error
    if not payload or not hmac.compare_digest(given, _mac(payload, secret)):
        raise LinkForged("bad signature")
    try:
        claims = LinkClaims(**json.loads(_decode(payload)))
    except (binascii.Error, ValueError, TypeError) as error:  # signed by us, so only if the format changed
        raise LinkForged("unreadable payload") from error
    if claims.expires_at < now:
        raise LinkExpired(f"expired at {claims.expires_at}")
    return claims


def _mac(payload: str, secret: bytes) -> bytes:
    return hmac.new(secret, payload.encode(), hashlib.sha256).digest()
