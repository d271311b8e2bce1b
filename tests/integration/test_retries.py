"""Every write is safe to retry and to race: an Idempotency-Key on every create gives the first
result back, a stale If-Match (or version) on an update is a 412."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Api, claims, new_po_body

PDF = {"fileName": "po.pdf", "contentType": "application/pdf", "size": 1234}
ORDER = {"customer": {"name": "Initech"}, "amount": "100.00", "currency": "USD"}
BLANKET = {"poNumber": "BLK-1", "customer": {"name": "Initech"}, "currency": "USD"}


@pytest.fixture(autouse=True)
def customer_pos_enabled(aws: None) -> None:
    """acme has customer POs switched on (as `make org` does): orders and blanket POs work."""
    from purchasing.services import users_service

    users_service.register_org("acme", "acme inc.", customer_pos=True)


def processing_order(api: Api) -> str:
    order = api("POST", "/orders", ORDER).body
    assert api("PATCH", f"/orders/{order['id']}", {"status": "PROCESSING"}).status == 200
    return str(order["id"])


def a_template(api: Api) -> str:
    return str(api("POST", "/templates", {"name": "Bolts", **new_po_body()}).body["id"])


# (the create's path from what it needs, its body, the field that names what it made)
CREATES: dict[str, tuple[Callable[[Api], str], Any, str]] = {
    "POST /pos": (lambda api: "/pos", new_po_body(), "id"),
    "POST /orders": (lambda api: "/orders", ORDER, "id"),
    "POST /blanket-pos": (lambda api: "/blanket-pos", BLANKET, "id"),
    "POST /templates": (lambda api: "/templates", {"name": "Bolts", **new_po_body()}, "id"),
    "POST /templates/{id}/pos": (lambda api: f"/templates/{a_template(api)}/pos", {}, "id"),
    "POST /pos/{id}/documents": (
        lambda api: f"/pos/{api('POST', '/pos', new_po_body()).body['id']}/documents",
        PDF,
        "documentId",
    ),
    "POST /orders/{id}/documents": (
        lambda api: f"/orders/{processing_order(api)}/documents",
        PDF,
        "documentId",
    ),
    "POST /blanket-pos/{id}/documents": (
        lambda api: f"/blanket-pos/{api('POST', '/blanket-pos', BLANKET).body['id']}/documents",
        PDF,
        "documentId",
    ),
    "POST /orders/{id}/partner-links": (
        lambda api: f"/orders/{processing_order(api)}/partner-links",
        {"expiresInDays": 3},
        "token",
    ),
}


@pytest.mark.parametrize("create", sorted(CREATES))
def test_a_create_retried_with_its_idempotency_key_gives_the_first_result(api: Api, create: str) -> None:
    path_of, body, names = CREATES[create]
    path = path_of(api)
    key = {"Idempotency-Key": f"retry-{create}"}

    first = api("POST", path, body, headers=key)
    again = api("POST", path, body, headers=key)
    other = api("POST", path, body, headers={"Idempotency-Key": "another"})
    changed = api("POST", path, {**body, "unexpected": 1} if body else {"expiresInDays": 9}, headers=key)

    assert (first.status, again.status, other.status) == (201, 201, 201), (first.body, other.body)
    assert again.body[names] == first.body[names]
    if names != "token":  # a partner link is its order's signed link: the same order, the same link
        assert other.body[names] != first.body[names]  # a new key is a new create
    assert changed.status == 422  # the key with another body: refused, never a second create


def test_ten_orders_with_one_key_make_one_order(api: Api) -> None:
    ids = {api("POST", "/orders", ORDER, headers={"Idempotency-Key": "k"}).body["id"] for _ in range(10)}

    assert len(ids) == 1
    assert [item["id"] for item in api("GET", "/orders").body["items"]] == list(ids)


def test_a_stale_if_match_or_version_on_the_policy_is_a_412(api: Api) -> None:
    api.caller = claims(role="admin", email="admin@acme.example.com")
    policy = {"levels": [{"name": "Manager", "approvers": ["ann@acme.example.com"]}]}
    first = api("PUT", "/settings/approval-policy", policy)
    current = api("GET", "/settings/approval-policy")
    stale = api("PUT", "/settings/approval-policy", policy, headers={"If-Match": '"0"'})
    stale_body = api("PUT", "/settings/approval-policy", policy | {"version": 0})
    fresh = api("PUT", "/settings/approval-policy", policy, headers={"If-Match": current.headers["ETag"]})

    assert (first.status, first.body["version"], current.headers["ETag"]) == (200, 1, '"1"')
    assert (stale.status, stale.body["type"]) == (412, "/problems/version-mismatch")
    assert stale_body.status == 412
    assert (fresh.status, fresh.body["version"]) == (200, 2)


def test_a_stale_if_match_or_version_on_the_exchange_rates_is_a_412(api: Api) -> None:
    api.caller = claims(role="admin", email="admin@acme.example.com")
    rates = {"baseCurrency": "USD", "rates": {"EUR": "1.08"}}
    first = api("PUT", "/settings/exchange-rates", rates)
    current = api("GET", "/settings/exchange-rates")
    stale = api("PUT", "/settings/exchange-rates", rates, headers={"If-Match": '"0"'})
    stale_body = api("PUT", "/settings/exchange-rates", rates | {"version": 0})
    fresh = api("PUT", "/settings/exchange-rates", rates, headers={"If-Match": current.headers["ETag"]})
    fresh_body = api("PUT", "/settings/exchange-rates", rates | {"version": 2})

    assert (first.status, first.body["version"], current.headers["ETag"]) == (200, 1, '"1"')
    assert (stale.status, stale.body["type"]) == (412, "/problems/version-mismatch")
    assert stale_body.status == 412
    assert (fresh.status, fresh.body["version"], fresh.headers["ETag"]) == (200, 2, '"2"')
    assert (fresh_body.status, fresh_body.body["version"]) == (200, 3)
    assert api("GET", "/settings/exchange-rates").body["version"] == 3
