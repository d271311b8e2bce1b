"""CORS: which browser origins may read the API's answers, and the headers that say so.

The template's `AllowedOrigins` parameter is the one setting: API Gateway answers preflights and
its own errors with it (the API's Cors and GatewayResponses), the functions add it to theirs
(`Api` in purchasing.api.http, from ALLOWED_ORIGINS), and the local gateway does both from the
same template. A setting is a comma-separated list of origins; "*" allows any, and a port "*"
any port of that host (the local cloud's http://localhost:*). An answer names the caller's own
origin when it is allowed, and carries no CORS header otherwise: the browser then keeps the
answer from the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

# What a page may read besides the simple headers: versions, new resources' URLs, request ids.
EXPOSED_HEADERS = "ETag,Location,x-amzn-RequestId"


def allowed_origin(origin: str | None, allowed: str) -> str | None:
    """The Access-Control-Allow-Origin value for a request from `origin`, or None."""
    if not origin:
        return None
    for pattern in _patterns(allowed):
        if pattern == "*":
            return "*"
        if re.fullmatch(_regex(pattern), origin):
            return origin
    return None


def headers(origin: str | None, allowed: str) -> dict[str, str]:
    """The CORS headers of an answer to a request from `origin` (none if it is not allowed)."""
    value = allowed_origin(origin, allowed)
    if value is None:
        return {}
    cors = {"Access-Control-Allow-Origin": value, "Access-Control-Expose-Headers": EXPOSED_HEADERS}
    if value != "*":
        cors["Vary"] = "Origin"
    return cors


def request_origin(headers: Mapping[str, str] | None) -> str | None:
    return next((value for key, value in (headers or {}).items() if key.lower() == "origin"), None)


@cache
def _patterns(allowed: str) -> tuple[str, ...]:
    return tuple(part.strip().rstrip("/") for part in allowed.split(",") if part.strip())


@cache
def _regex(pattern: str) -> str:
    if pattern.endswith(":*"):
        return re.escape(pattern[:-2]) + r"(:[0-9]{1,5})?"
    return re.escape(pattern)
