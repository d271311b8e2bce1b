"""Approval links: signed, expiring, tamper-evident."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purchasing.domain.approval_links import LinkClaims, LinkExpired, LinkForged, sign, verify

SECRET = b"s" * 32
CLAIMS = LinkClaims(
    org_id="acme", po_id="a" * 32, request_id="APPROVAL#001#01", approver="ann@x.com", expires_at=2000
)


def test_a_signed_link_verifies_to_its_claims() -> None:
    assert verify(sign(CLAIMS, SECRET), SECRET, now=1000) == CLAIMS


def test_an_expired_link_is_refused() -> None:
    with pytest.raises(LinkExpired):
        verify(sign(CLAIMS, SECRET), SECRET, now=2001)


def test_a_link_signed_with_another_secret_is_forged() -> None:
    with pytest.raises(LinkForged):
        verify(sign(CLAIMS, b"other" * 8), SECRET, now=1000)


def test_changing_the_payload_breaks_the_signature() -> None:
    payload, signature = sign(CLAIMS, SECRET).split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["approver"] = "mallory@x.com"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    with pytest.raises(LinkForged):
        verify(f"{forged}.{signature}", SECRET, now=1000)


def test_the_link_never_carries_a_task_token() -> None:
    payload = sign(CLAIMS, SECRET).split(".")[0]
    assert set(json.loads(base64.urlsafe_b64decode(payload + "=="))) == {
        "org_id", "po_id", "request_id", "approver", "expires_at",
    }  # fmt: skip


@given(st.text(max_size=200))
def test_any_string_is_either_a_genuine_link_or_forged(token: str) -> None:
    with pytest.raises(LinkForged):
        verify(token, SECRET, now=1000)
