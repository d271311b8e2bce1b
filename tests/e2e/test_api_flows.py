"""A web client's day on the local cloud: real HTTP, real tokens, the gateway in front."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Client, LocalCloud, po_body

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"


def create(client: Client, **overrides: object) -> dict:
    reply = client("POST", "/pos", po_body(**overrides))  # type: ignore[arg-type]
    assert reply.status == 201, reply.text
    return dict(reply.json)


def test_create_then_get_a_po_with_its_lines(buyer: Client) -> None:
    # When a buyer creates a PO with two lines
    created = buyer("POST", "/pos", po_body(lines=2))

    # Then it is there, where Location says, at version 1
    assert created.status == 201, created.text
    po = created.json
    assert created.headers["location"] == f"/pos/{po['id']}"
    assert created.headers["etag"] == '"1"'
    assert [line["id"] for line in po["lines"]] == ["00001", "00002"]
    assert po["status"] == "DRAFT"
    assert po["totals"] == {"subtotal": "25.00"}

    fetched = buyer("GET", created.headers["location"])
    assert fetched.status == 200
    assert fetched.headers["etag"] == '"1"'
    assert fetched.json == po


def test_list_pages_with_limit_and_cursor(buyer: Client) -> None:
    created = {create(buyer, lines=1)["id"] for _ in range(5)}

    seen: list[str] = []
    path = "/pos?limit=2"
    for _ in range(10):
        page = buyer("GET", path)
        assert page.status == 200, page.text
        assert len(page.json["items"]) <= 2
        seen += [item["id"] for item in page.json["items"]]
        cursor = page.json["nextCursor"]
        if cursor is None:
            break
        path = f"/pos?limit=2&cursor={cursor}"

    assert sorted(seen) == sorted(created)  # every PO once, none twice


def test_edit_header_and_lines_under_if_match(buyer: Client) -> None:
    po = create(buyer, lines=1)
    base = f"/pos/{po['id']}"

    # Header edit against version 1
    header = buyer(
        "PATCH",
        base,
        {"supplier": {"name": "Bolt Brothers", "email": "orders@boltbrothers.com"}},
        headers={"If-Match": '"1"'},
    )
    assert header.status == 200, header.text
    assert header.json["supplier"]["name"] == "Bolt Brothers"
    assert header.headers["etag"] == '"2"'

    # A new line comes last, numbered after the others
    added = buyer(
        "POST",
        f"{base}/lines",
        {"description": "Nut M8", "quantity": "4", "unitCost": "0.50"},
        headers={"If-Match": '"2"'},
    )
    assert added.status == 201, added.text
    assert added.json["id"] == "00002"
    assert added.headers["etag"] == '"3"'

    # Editing a line changes its amount and the PO's totals
    edited = buyer("PATCH", f"{base}/lines/00001", {"quantity": "20"}, headers={"If-Match": '"3"'})
    assert edited.status == 200, edited.text
    assert edited.json["quantity"] == "20"
    assert edited.json["amount"] == "25.00"

    after = buyer("GET", base).json
    assert after["version"] == 4
    assert after["totals"]["subtotal"] == "27.00"


def test_a_stale_if_match_is_412(buyer: Client) -> None:
    po = create(buyer, lines=1)
    assert buyer("PATCH", f"/pos/{po['id']}", {"customAttributes": {"a": "1"}}).status == 200

    stale = buyer("PATCH", f"/pos/{po['id']}", {"customAttributes": {"a": "2"}}, headers={"If-Match": '"1"'})

    assert stale.status == 412
    assert stale.content_type == PROBLEM
    assert stale.json["status"] == 412
    assert buyer("GET", f"/pos/{po['id']}").json["customAttributes"] == {"a": "1"}


@pytest.mark.parametrize("token", [None, "not-a-jwt", "Bearer"])
def test_no_or_bad_token_is_401(local_cloud: LocalCloud, token: str | None) -> None:
    reply = Client(local_cloud.url, token)("GET", "/pos")

    assert reply.status == 401
    assert reply.content_type == PROBLEM
    assert set(reply.json) >= {"type", "title", "status", "detail"}


@pytest.mark.parametrize("key", ["", "not-a-key-this-stage-knows-0000"])
def test_a_token_without_an_api_key_of_the_usage_plan_is_403(
    local_cloud: LocalCloud, buyer: Client, key: str
) -> None:
    reply = Client(local_cloud.url, buyer.token, api_key=key)("GET", "/pos")

    assert reply.status == 403
    assert reply.content_type == PROBLEM
    assert reply.json["type"] == "/problems/invalid-api-key"


def test_another_orgs_po_is_404(local_cloud: LocalCloud, buyer: Client) -> None:
    po = create(buyer)
    stranger = Client(local_cloud.url, local_cloud.token("org-elsewhere", "buyer@elsewhere.example"))

    assert stranger("GET", f"/pos/{po['id']}").status == 404
    patched = stranger("PATCH", f"/pos/{po['id']}", {"customAttributes": {"x": "y"}})
    assert patched.status == 404
    assert patched.content_type == PROBLEM


def test_an_approver_cannot_create_a_po(local_cloud: LocalCloud, org: str) -> None:
    approver = Client(local_cloud.url, local_cloud.token(org, "approver@acme.example", "approver"))

    reply = approver("POST", "/pos", po_body())

    assert reply.status == 403
    assert reply.content_type == PROBLEM
    assert approver("GET", "/pos").status == 200  # but may read


def test_malformed_json_is_400(buyer: Client) -> None:
    reply = buyer("POST", "/pos", raw=b'{"supplier": ')

    assert reply.status == 400
    assert reply.content_type == PROBLEM
    assert reply.json["status"] == 400


def test_an_invalid_field_is_422_with_the_field_named(buyer: Client) -> None:
    reply = buyer("POST", "/pos", po_body(currency="usd"))

    assert reply.status == 422
    assert reply.content_type == PROBLEM
    assert {"field": "currency"}.items() <= reply.json["errors"][0].items()


def test_unknown_paths_and_methods_are_problems(buyer: Client) -> None:
    missing = buyer("GET", "/nowhere")
    wrong = buyer("DELETE", "/pos")

    assert (missing.status, missing.content_type) == (404, PROBLEM)
    assert (wrong.status, wrong.content_type) == (405, PROBLEM)
    assert wrong.headers["allow"] == "GET, POST"


def test_the_openapi_document_and_its_docs_page_are_public(local_cloud: LocalCloud) -> None:
    anonymous = Client(local_cloud.url, None)

    document = anonymous("GET", "/openapi.json")
    page = anonymous("GET", "/docs")
    script = anonymous("GET", "/docs/swagger-ui-bundle.min.js")

    assert document.status == 200
    assert document.json["info"]["title"] == "Purchase orders API"
    assert page.status == 200 and "/openapi.json" in page.text
    assert script.status == 200 and "SwaggerUIBundle" in script.text
