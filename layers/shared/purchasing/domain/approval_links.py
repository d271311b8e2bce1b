"""Approval links: a signed, expiring reference to one approval request and one approver.

The token is a `signed_tokens` token with purpose "approval": its claims name the org, the PO,
the request and the approver, and it expires with the request. It never carries the Step
Functions task token.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

from purchasing.domain import signed_tokens
from purchasing.domain.signed_tokens import LinkExpired, LinkForged

PURPOSE = "approval"

__all__ = ["PURPOSE", "LinkClaims", "LinkExpired", "LinkForged", "sign", "verify"]


@dataclass(frozen=True)
class LinkClaims:
    org_id: str
    po_id: str
    request_id: str
    approver: str
    expires_at: int  # epoch seconds


def sign(claims: LinkClaims, secret: bytes) -> str:
    body = {"org_id": claims.org_id, "po_id": claims.po_id, "request_id": claims.request_id}
    return signed_tokens.sign(PURPOSE, {**body, "approver": claims.approver}, claims.expires_at, secret)


def verify(token: str, secret: bytes, now: int) -> LinkClaims:
    try:
        body, expires_at = signed_tokens.verify_with_expiry(PURPOSE, token, secret, now)
    except LinkForged:
        return _verify_legacy(token, secret, now)
    try:
        return LinkClaims(**body, expires_at=expires_at)
    except TypeError as error:  # signed by us, so only if the format changed
        raise LinkForged("not an approval link") from error


def _verify_legacy(token: str, secret: bytes, now: int) -> LinkClaims:
    """Links mailed before approval links were a `signed_tokens` purpose: the payload is the
    claims with `expires_at`, the signature an HMAC-SHA256 of it keyed with the bare secret.
    Delete once those have expired (a link lives as long as its request's level timeout)."""
    payload, given = signed_tokens.split(token)
    if not hmac.compare_digest(given, hmac.new(secret, payload.encode(), hashlib.sha256).digest()):
        raise LinkForged("bad signature")
    try:
        claims = LinkClaims(**json.loads(signed_tokens.decode(payload)))
    except (binascii.Error, ValueError, TypeError) as error:  # signed by us, so only if the format changed
        raise LinkForged("unreadable payload") from error
    if claims.expires_at < now:
        raise LinkExpired(f"expired at {claims.expires_at}")
    return claims
