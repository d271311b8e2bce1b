"""Approval links: signed, expiring, tamper-evident."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purchasing.domain import signed_tokens
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
        "org_id", "po_id", "request_id", "approver", "exp", "purpose",
    }  # fmt: skip


def test_an_approval_link_is_a_signed_token_for_its_own_purpose() -> None:
    token = sign(CLAIMS, SECRET)
    assert signed_tokens.verify("approval", token, SECRET, now=1000) == {
        "org_id": "acme", "po_id": "a" * 32, "request_id": "APPROVAL#001#01", "approver": "ann@x.com",
    }  # fmt: skip
    with pytest.raises(LinkForged):
        signed_tokens.verify("partner", token, SECRET, now=1000)


def test_a_token_for_another_purpose_is_not_an_approval_link() -> None:
    partner = signed_tokens.sign("partner", {"org": "acme", "orderId": "o" * 32}, 2000, SECRET)
    with pytest.raises(LinkForged):
        verify(partner, SECRET, now=1000)


# Made by approval_links before it became a signed_tokens purpose (HMAC keyed with the bare
# secret, `expires_at` in the payload): links already mailed stay good until they expire.
LEGACY_SECRET = b"legacy-link-secret-0123456789abcd"
LEGACY_TOKEN = (
    "eyJhcHByb3ZlciI6ImFubkB4LmNvbSIsImV4cGlyZXNfYXQiOjQxMDI0NDQ4MDAsIm9yZ19pZCI6ImFjbWUiLCJwb19pZCI6ImFh"
    "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhIiwicmVxdWVzdF9pZCI6IkFQUFJPVkFMIzAwMSMwMSJ9"
    ".XoGXl3bevd5Zl1uPT0xgm-TCd-II2dq8odwhvJMbBUU"
)
LEGACY_CLAIMS = dataclasses.replace(CLAIMS, expires_at=4_102_444_800)


def test_a_link_mailed_before_the_change_still_verifies() -> None:
    assert verify(LEGACY_TOKEN, LEGACY_SECRET, now=1000) == LEGACY_CLAIMS


def test_a_link_mailed_before_the_change_still_expires() -> None:
    with pytest.raises(LinkExpired):
        verify(LEGACY_TOKEN, LEGACY_SECRET, now=4102444801)


def test_a_link_mailed_before_the_change_is_forged_under_another_secret() -> None:
    with pytest.raises(LinkForged):
        verify(LEGACY_TOKEN, SECRET, now=1000)


def test_a_legacy_signature_over_an_unreadable_payload_is_forged() -> None:
    payload = signed_tokens.encode(b"[1, 2]")
    mac = hmac.new(SECRET, payload.encode(), hashlib.sha256).digest()
    with pytest.raises(LinkForged):
        verify(f"{payload}.{signed_tokens.encode(mac)}", SECRET, now=1000)


def test_a_genuine_approval_token_with_other_claims_is_forged() -> None:
    with pytest.raises(LinkForged):
        verify(signed_tokens.sign("approval", {"org": "acme"}, 2000, SECRET), SECRET, now=1000)


@given(st.text(max_size=200))
def test_any_string_is_either_a_genuine_link_or_forged(token: str) -> None:
    with pytest.raises(LinkForged):
        verify(token, SECRET, now=1000)
