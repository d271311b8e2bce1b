"""Partner links: a signed, expiring link to one order's upload page; the link is the credential.

The token (`signed_tokens`, purpose "partner") names the org and the order, nothing else: what
the partner may do is decided when the link is used (the order must still take a PO).
"""

from __future__ import annotations

from dataclasses import dataclass

from purchasing.domain import signed_tokens
from purchasing.domain.signed_tokens import LinkExpired, LinkForged

PURPOSE = "partner"
DEFAULT_DAYS = 7
MIN_DAYS, MAX_DAYS = 1, 30
DAY = 86_400

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "MIN_DAYS",
    "LinkExpired",
    "LinkForged",
    "PartnerClaims",
    "issue",
    "open_link",
]


@dataclass(frozen=True)
class PartnerClaims:
    org_id: str
    order_id: str


def issue(claims: PartnerClaims, *, now: int, days: int, secret: bytes) -> tuple[str, int]:
    """A token good for `days` days from `now` (epoch seconds), and when it expires."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"a partner link lasts {MIN_DAYS} to {MAX_DAYS} days, not {days}")
    expires_at = now + days * DAY
    token = signed_tokens.sign(
        PURPOSE, {"org": claims.org_id, "orderId": claims.order_id}, expires_at, secret
    )
    return token, expires_at


def open_link(token: str, *, now: int, secret: bytes) -> PartnerClaims:
    """The claims of a genuine, unexpired partner token; LinkForged or LinkExpired otherwise."""
    body = signed_tokens.verify(PURPOSE, token, secret, now)
    org_id, order_id = body.get("org"), body.get("orderId")
    if not isinstance(org_id, str) or not isinstance(order_id, str) or not org_id or not order_id:
        raise LinkForged("not a partner link")  # signed by us, so only if the format changed
    return PartnerClaims(org_id=org_id, order_id=order_id)
