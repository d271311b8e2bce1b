"""Signed tokens: genuine, unexpired and made for this purpose, or refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purchasing.domain.signed_tokens import LinkExpired, LinkForged, sign, verify

SECRET = b"k" * 40


def test_a_token_verifies_to_its_claims() -> None:
    token = sign("partner", {"org": "acme", "orderId": "o1"}, 2000, SECRET)
    assert verify("partner", token, SECRET, now=2000) == {"org": "acme", "orderId": "o1"}


def test_an_expired_token_is_refused() -> None:
    with pytest.raises(LinkExpired):
        verify("partner", sign("partner", {}, 2000, SECRET), SECRET, now=2001)


def test_a_token_made_for_another_purpose_is_forged() -> None:
    token = sign("supplier-pdf", {"org": "acme"}, 2000, SECRET)
    with pytest.raises(LinkForged):
        verify("partner", token, SECRET, now=1000)


def test_a_token_signed_with_another_secret_is_forged() -> None:
    with pytest.raises(LinkForged):
        verify("partner", sign("partner", {}, 2000, b"x" * 40), SECRET, now=1000)


def test_claims_cannot_be_swapped_under_a_signature() -> None:
    mine = sign("partner", {"org": "acme"}, 2000, SECRET)
    theirs = sign("partner", {"org": "other"}, 2000, SECRET)
    swapped = theirs.split(".")[0] + "." + mine.split(".")[1]
    with pytest.raises(LinkForged):
        verify("partner", swapped, SECRET, now=1000)


@pytest.mark.parametrize("token", ["", ".", "abc", "abc.!!", "e30.", ".e30"])
def test_malformed_tokens_are_forged(token: str) -> None:
    with pytest.raises(LinkForged):
        verify("partner", token, SECRET, now=1000)


@given(st.text(min_size=1, max_size=80))
def test_any_altered_token_is_refused(tail: str) -> None:
    token = sign("partner", {"org": "acme"}, 2000, SECRET)
    altered = token + tail
    with pytest.raises((LinkForged, LinkExpired)):
        verify("partner", altered, SECRET, now=1000)


@pytest.mark.parametrize("junk", ["!", "$", " ", "*", "=", "\n"])
def test_characters_outside_base64url_are_not_skipped(junk: str) -> None:
    payload, signature = sign("partner", {"org": "acme"}, 2000, SECRET).split(".")
    with pytest.raises(LinkForged):
        verify("partner", f"{payload}.{signature}{junk}", SECRET, now=1000)


def test_a_signature_spelled_another_way_is_refused() -> None:
    """32 bytes take 43 base64url characters whose last one has two unused bits: another last
    character with the same used bits decodes to the same MAC, and must still be refused."""
    payload, signature = sign("partner", {"org": "acme"}, 2000, SECRET).split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(signature[-1])
    twin = alphabet[last ^ 1]
    with pytest.raises(LinkForged):
        verify("partner", f"{payload}.{signature[:-1]}{twin}", SECRET, now=1000)
