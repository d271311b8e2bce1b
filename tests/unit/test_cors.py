"""Which browser origins may read the API's answers (purchasing.api.cors)."""

from __future__ import annotations

import pytest

from purchasing.api import cors

LOCAL = "http://127.0.0.1:*,http://localhost:*"


@pytest.mark.parametrize(
    ("origin", "allowed", "expected"),
    [
        ("https://app.example.com", "https://app.example.com", "https://app.example.com"),
        ("https://app.example.com", "https://app.example.com/", "https://app.example.com"),
        ("https://evil.example.com", "https://app.example.com", None),
        ("https://app.example.com.evil.io", "https://app.example.com", None),
        ("http://app.example.com", "https://app.example.com", None),
        ("https://anything.example", "*", "*"),
        ("http://localhost:8123", LOCAL, "http://localhost:8123"),
        ("http://localhost", LOCAL, "http://localhost"),
        ("http://127.0.0.1:3000", LOCAL, "http://127.0.0.1:3000"),
        ("http://localhost.evil.io:80", LOCAL, None),
        ("https://localhost:8123", LOCAL, None),
        ("null", LOCAL, None),
        (None, "*", None),
        ("https://app.example.com", "", None),
    ],
)
def test_an_origin_is_allowed_only_as_the_setting_says(
    origin: str | None, allowed: str, expected: str | None
) -> None:
    assert cors.allowed_origin(origin, allowed) == expected


def test_an_allowed_origin_gets_its_own_name_back_varying_by_origin() -> None:
    assert cors.headers("http://localhost:8123", LOCAL) == {
        "Access-Control-Allow-Origin": "http://localhost:8123",
        "Access-Control-Expose-Headers": "ETag,Location,x-amzn-RequestId",
        "Vary": "Origin",
    }
    assert "Vary" not in cors.headers("https://x.example", "*")
    assert cors.headers("https://evil.example", LOCAL) == {}


def test_the_origin_header_is_found_in_any_case() -> None:
    assert cors.request_origin({"origin": "http://a.example"}) == "http://a.example"
    assert cors.request_origin({"Origin": "http://b.example"}) == "http://b.example"
    assert cors.request_origin(None) is None
