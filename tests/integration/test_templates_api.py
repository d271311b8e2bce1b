"""Purchase templates through the real handlers, with API Gateway events, on moto."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, Stream, claims, new_po_body

LINE_FIELDS = ("partId", "description", "quantity", "unitCost", "qualityClauses", "termRequirements")


def scratch_body(lines: int = 2, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Weekly bolts",
        "supplier": {"name": "Acme Metals", "email": "sales@acme-metals.example.com"},
        "currency": "EUR",
        "lines": [
            {"description": f"Bolt M{6 + n}", "quantity": "10", "unitCost": "1.25"} for n in range(lines)
        ],
        "customAttributes": {"costCenter": "CC-7"},
    }
    body.update(overrides)
    return body


def make(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    reply = api("POST", "/templates", body)
    assert reply.status == 201, reply.body
    return reply.body


def part(api: Api, part_id: str, purchase_type: str = "CREATES_INVENTORY") -> None:
    reply = api("PUT", f"/parts/{part_id}", {"name": part_id, "purchaseType": purchase_type})
    assert reply.status in (200, 201), reply.body


def copied(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: line.get(key) for key in LINE_FIELDS} for line in lines]


# --- create ------------------------------------------------------------------------------------


def test_a_template_from_scratch_is_kept_with_its_lines(api: Api) -> None:
    reply = api("POST", "/templates", scratch_body())

    assert reply.status == 201
    template = reply.body
    assert reply.headers["Location"] == f"/templates/{template['id']}"
    assert (template["name"], template["currency"], template["lineCount"]) == ("Weekly bolts", "EUR", 2)
    assert template["supplier"] == {"name": "Acme Metals", "email": "sales@acme-metals.example.com"}
    assert template["customAttributes"] == {"costCenter": "CC-7"}
    assert [line["lineNo"] for line in template["lines"]] == [1, 2]
    assert template["lines"][1]["description"] == "Bolt M7"
    assert api("GET", f"/templates/{template['id']}").body == template


def test_a_template_may_leave_the_supplier_open(api: Api) -> None:
    body = scratch_body()
    del body["supplier"]
    assert make(api, body)["supplier"] is None


def test_a_template_from_a_po_copies_what_would_be_ordered_again(api: Api, stream: Stream) -> None:
    part(api, "bolt-m8")
    po_body = new_po_body(lines=0) | {
        "customAttributes": {"project": "P-7"},
        "lines": [
            {
                "partId": "bolt-m8",
                "description": "Bolt M8",
                "quantity": "4",
                "unitCost": "0.30",
                "eta": "2026-03-01",
                "paid": True,
                "qualityClauses": ["CoC required"],
                "termRequirements": ["Net 30"],
                "customAttributes": {"bin": "A1"},
            },
            {"description": "Washer", "quantity": "8", "unitCost": "0.05"},
            {"description": "Canceled later", "quantity": "1", "unitCost": "9"},
        ],
    }
    po = api("POST", "/pos", po_body).body
    api("POST", f"/pos/{po['id']}/submit")
    stream.drain()
    api("POST", f"/pos/{po['id']}/lines/00003/cancel")
    stream.drain()

    template = make(api, {"name": "Again", "fromPoId": po["id"]})

    assert template["sourcePoId"] == po["id"]
    assert template["supplier"] == po["supplier"] and template["currency"] == "USD"
    assert template["customAttributes"] == {"project": "P-7"}
    assert copied(template["lines"]) == copied(po["lines"][:2])  # the canceled line is not copied
    first = template["lines"][0]
    assert first["customAttributes"] == {"bin": "A1"}
    assert (first["eta"], first["paid"]) == (None, False)  # one PO's life is not copied
    assert "status" not in first and "receivedQuantity" not in first


def test_a_template_from_another_orgs_po_is_refused(api: Api) -> None:
    po = api("POST", "/pos", new_po_body()).body
    api.caller = claims(org="globex")

    reply = api("POST", "/templates", {"name": "Theirs", "fromPoId": po["id"]})

    assert reply.status == 422
    assert reply.body["errors"] == [{"field": "fromPoId", "message": reply.body["detail"]}]


def test_a_template_from_a_po_without_lines_is_refused(api: Api) -> None:
    po = api("POST", "/pos", new_po_body(lines=0)).body
    reply = api("POST", "/templates", {"name": "Empty", "fromPoId": po["id"]})
    assert reply.status == 422
    assert "no lines" in reply.body["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "fromPoId": "0" * 32, "currency": "USD"},  # fromPoId copies the currency
        {"name": "x", "fromPoId": "not-an-id"},
        {"name": "x", "lines": [{"description": "a", "quantity": "1", "unitCost": "1"}]},  # no currency
        {"name": "x", "currency": "EUR"},  # no lines
        {"name": "", "currency": "EUR", "lines": [{"description": "a", "quantity": "1", "unitCost": "1"}]},
        {"name": "x", "currency": "EUR", "lines": [{"description": "a", "quantity": "0", "unitCost": "1"}]},
        {"name": "x", "currency": "eur", "lines": [{"description": "a", "quantity": "1", "unitCost": "1"}]},
        scratch_body(status="DRAFT"),  # unknown fields are refused
        scratch_body(lines=1001),
    ],
)
def test_invalid_templates_are_refused_with_a_problem(api: Api, body: dict[str, Any]) -> None:
    reply = api("POST", "/templates", body)
    assert reply.status == 422, reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.body["errors"]


def test_a_template_naming_an_unknown_part_is_refused(api: Api) -> None:
    body = scratch_body()
    body["lines"][1]["partId"] = "no-such-part"
    reply = api("POST", "/templates", body)
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "lines[1].partId"


def test_only_buyers_and_admins_make_templates(api: Api) -> None:
    api.caller = claims(role="approver")
    assert api("POST", "/templates", scratch_body()).status == 403


def test_malformed_json_is_a_400(api: Api) -> None:
    reply = api("POST", "/templates", raw_body="{not json")
    assert reply.status == 400


# --- read and list -----------------------------------------------------------------------------


def test_another_orgs_template_is_not_found(api: Api) -> None:
    template = make(api, scratch_body())
    api.caller = claims(org="globex")
    assert api("GET", f"/templates/{template['id']}").status == 404
    assert api("POST", f"/templates/{template['id']}/pos").status == 404
    assert api("GET", "/templates").body["items"] == []


def test_an_unknown_or_impossible_template_id_is_not_found(api: Api) -> None:
    assert api("GET", f"/templates/{'0' * 32}").status == 404
    assert api("GET", "/templates/TLINE%2300001").status == 404


def test_templates_are_listed_newest_first_page_by_page(api: Api) -> None:
    names = [make(api, scratch_body(name=f"T{n}"))["name"] for n in range(5)]

    first = api("GET", "/templates", query={"limit": "2"}).body
    second = api("GET", "/templates", query={"limit": "2", "cursor": first["nextCursor"]}).body
    third = api("GET", "/templates", query={"limit": "2", "cursor": second["nextCursor"]}).body

    listed = [item["name"] for page in (first, second, third) for item in page["items"]]
    assert listed == names[::-1]
    assert "lines" not in first["items"][0] and first["items"][0]["lineCount"] == 2
    assert third.get("nextCursor") is None


def test_a_cursor_from_another_listing_is_refused(api: Api) -> None:
    for n in range(3):
        api("POST", "/pos", new_po_body())
        make(api, scratch_body(name=f"T{n}"))
    po_cursor = api("GET", "/pos", query={"limit": "1"}).body["nextCursor"]
    assert api("GET", "/templates", query={"limit": "1", "cursor": po_cursor}).status == 400
    assert api("GET", "/templates", query={"cursor": "garbage"}).status == 400
    assert api("GET", "/templates", query={"limit": "0"}).status == 422


# --- a new PO from a template --------------------------------------------------------------------


def test_a_new_draft_po_has_copies_of_the_template_lines(api: Api) -> None:
    part(api, "bolt-m8")
    body = scratch_body()
    body["lines"][0] |= {"partId": "bolt-m8", "qualityClauses": ["CoC"], "termRequirements": ["Net 30"]}
    template = make(api, body)

    reply = api("POST", f"/templates/{template['id']}/pos")

    assert reply.status == 201, reply.body
    po = reply.body
    assert reply.headers["Location"] == f"/pos/{po['id']}"
    assert (po["status"], po["number"], po["currency"]) == ("DRAFT", "PO-000001", "EUR")
    assert po["supplier"] == template["supplier"]
    assert po["customAttributes"] == {"costCenter": "CC-7"}
    assert copied(po["lines"]) == copied(template["lines"])
    assert po["lines"][0]["purchaseType"] == "CREATES_INVENTORY"  # the part's, as POST /pos gives
    assert po["totals"]["subtotal"] == "25.00"
    assert api("GET", f"/pos/{po['id']}/history").body["items"][0]["type"] == "created"
    second = api("POST", f"/templates/{template['id']}/pos", {"number": "ACME-9"}).body
    assert second["number"] == "ACME-9" and second["id"] != po["id"]


def test_a_template_without_supplier_needs_one_for_its_po(api: Api) -> None:
    body = scratch_body()
    del body["supplier"]
    template = make(api, body)

    refused = api("POST", f"/templates/{template['id']}/pos", {})
    supplier = {"name": "Globex", "email": "orders@globex.example.com"}
    placed = api("POST", f"/templates/{template['id']}/pos", {"supplier": supplier})

    assert refused.status == 422
    assert refused.body["errors"] == [{"field": "supplier", "message": refused.body["detail"]}]
    assert placed.status == 201 and placed.body["supplier"] == supplier


def test_a_part_deleted_since_the_template_was_made_is_a_clear_422(api: Api) -> None:
    from purchasing.data.tables import PartItem, part_pk

    part(api, "bolt-m8")
    body = scratch_body()
    body["lines"][1]["partId"] = "bolt-m8"
    template = make(api, body)
    PartItem(part_pk("acme", "bolt-m8"), "PART").delete()

    reply = api("POST", f"/templates/{template['id']}/pos")

    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "lines[1].partId"
    assert "bolt-m8" in reply.body["detail"] and "template" in reply.body["detail"]
    assert api("GET", "/pos").body["items"] == []


def test_a_taken_po_number_is_a_409(api: Api) -> None:
    template = make(api, scratch_body())
    assert api("POST", f"/templates/{template['id']}/pos", {"number": "ACME-1"}).status == 201
    assert api("POST", f"/templates/{template['id']}/pos", {"number": "ACME-1"}).status == 409


def test_an_idempotency_key_makes_one_po_of_a_retried_request(api: Api) -> None:
    template = make(api, scratch_body())
    headers = {"Idempotency-Key": "retry-1"}
    first = api("POST", f"/templates/{template['id']}/pos", {}, headers=headers).body
    again = api("POST", f"/templates/{template['id']}/pos", {}, headers=headers).body
    assert first["id"] == again["id"]
    assert len(api("GET", "/pos").body["items"]) == 1


@pytest.mark.parametrize(
    "body",
    [{"number": "has space"}, {"supplier": {"name": "x"}}, {"lines": []}, {"supplier": None, "extra": 1}],
)
def test_an_invalid_po_request_is_a_422(api: Api, body: dict[str, Any]) -> None:
    template = make(api, scratch_body())
    assert api("POST", f"/templates/{template['id']}/pos", body).status == 422


def test_a_thousand_line_template_is_kept_and_copied_whole(api: Api) -> None:
    template = make(api, scratch_body(lines=1000))
    read = api("GET", f"/templates/{template['id']}").body
    assert read["lineCount"] == 1000 and len(read["lines"]) == 1000
    assert read["lines"][-1]["lineNo"] == 1000

    po = api("POST", f"/templates/{template['id']}/pos").body

    assert len(po["lines"]) == 1000
    assert copied(po["lines"]) == copied(read["lines"])
    assert po["totals"]["subtotal"] == "12500.00"


def test_template_lines_are_never_line_items(api: Api, aws: None) -> None:
    """The status stream listens to LINE# items: a template's lines must not look like PO lines."""
    import boto3

    template = make(api, scratch_body(lines=3))
    items = boto3.client("dynamodb").query(
        TableName="purchase-orders-test",
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ORG#acme#TEMPLATE#{template['id']}"}},
    )["Items"]
    assert sorted(item["SK"]["S"] for item in items) == [
        "TEMPLATE",
        "TLINE#00001",
        "TLINE#00002",
        "TLINE#00003",
    ]


def test_a_failed_create_leaves_no_lines_behind(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from purchasing.data import templates_repository, transactions
    from purchasing.data.tables import OwnerPartitionItem, TemplateItem
    from purchasing.domain.templates import new_template

    template = new_template(
        template_id="f" * 32,
        name="Big",
        supplier=None,
        currency="EUR",
        lines=[{"description": f"L{n}", "quantity": "1", "unitCost": "1"} for n in range(250)],
        custom_attributes={},
        created_by="buyer@acme.example.com",
        now="2026-01-01T00:00:00.000Z",
    )
    real = transactions.write

    def header_fails(ops: Any) -> None:
        if any(isinstance(op.item, TemplateItem) for op in ops):
            raise RuntimeError("throttled")
        real(ops)

    monkeypatch.setattr(transactions, "write", header_fails)

    with pytest.raises(RuntimeError):
        templates_repository.create("acme", template)

    assert list(OwnerPartitionItem.query(templates_repository.template_pk("acme", "f" * 32))) == []
