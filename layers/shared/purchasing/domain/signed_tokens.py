"""Signed, expiring tokens for links that are their own credential (approvers' decision pages,
partners' upload pages, suppliers' PDF downloads).

A token is `<payload>.<signature>`, both base64url: the payload is JSON claims with the token's
purpose and its expiry (epoch seconds); the signature is an HMAC-SHA256 of the payload, keyed
with the link secret and the purpose, so a token made for one purpose is forged for any other.
Claims are readable by whoever holds the link: put references in them, never secrets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from typing import Any


class LinkForged(Exception):
    """The token was not signed by this service (or was altered)."""


class LinkExpired(Exception):
    """The token was genuine but its time is up."""


TOKEN_PATTERN = r"^[A-Za-z0-9_-]{1,2048}\.[A-Za-z0-9_-]{1,128}$"


def sign(purpose: str, claims: dict[str, Any], expires_at: int, secret: bytes) -> str:
    body = {**claims, "purpose": purpose, "exp": expires_at}
    payload = encode(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{encode(_mac(purpose, payload, secret))}"


def verify(purpose: str, token: str, secret: bytes, now: int) -> dict[str, Any]:
    """The claims (without purpose and exp) of a genuine, unexpired token made for `purpose`."""
    return verify_with_expiry(purpose, token, secret, now)[0]


def verify_with_expiry(purpose: str, token: str, secret: bytes, now: int) -> tuple[dict[str, Any], int]:
    """`verify`, and when the token expires (epoch seconds)."""
    payload, given = split(token)
    if not hmac.compare_digest(given, _mac(purpose, payload, secret)):
        raise LinkForged("bad signature")
    try:
        body = json.loads(decode(payload))
        expires_at = int(body.pop("exp"))
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError) as error:
        raise LinkForged("unreadable payload") from error
    if body.pop("purpose", None) != purpose:
        raise LinkForged("made for another purpose")
    if expires_at < now:
        raise LinkExpired(f"expired at {expires_at}")
    return dict(body), expires_at


def split(token: str) -> tuple[str, bytes]:
    """The payload and the signature's bytes of a well-formed token; LinkForged otherwise."""
    if not re.fullmatch(TOKEN_PATTERN, token):
        raise LinkForged("malformed token")
    payload, _, signature = token.partition(".")
    try:
        given = decode(signature)
    except (binascii.Error, ValueError) as error:
        raise LinkForged("malformed signature") from error
    if encode(given) != signature:  # one spelling per token: no padding, no stray low bits
        raise LinkForged("malformed signature")
    return payload, given


def _mac(purpose: str, payload: str, secret: bytes) -> bytes:
    key = hmac.new(secret, purpose.encode(), hashlib.sha256).digest()  # one key per purpose
    return hmac.new(key, payload.encode(), hashlib.sha256).digest()


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(text: str) -> bytes:
    """Strict: a character outside base64url is an error, not something to skip."""
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
