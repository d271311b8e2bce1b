"""The org's parts list (GET /parts) through the real handler, on moto: newest first, page by page,
filtered by text in a part's id or name, never another org's."""

from __future__ import annotations

import pytest

from tests.conftest import Api, claims


def put(api: Api, part_id: str, name: str) -> None:
    reply = api("PUT", f"/parts/{part_id}", {"name": name, "purchaseType": "CREATES_INVENTORY"})
    assert reply.status in (200, 201), reply.body


def ids(api: Api, **query: str) -> list[str]:
    reply = api("GET", "/parts", query=query)
    assert reply.status == 200, reply.body
    return [item["id"] for item in reply.body["items"]]


def test_parts_are_listed_newest_first_page_by_page(api: Api) -> None:
    for n in range(5):
        put(api, f"P-{n}", f"Part {n}")

    first = api("GET", "/parts", query={"limit": "2"}).body
    second = api("GET", "/parts", query={"limit": "2", "cursor": first["nextCursor"]}).body
    third = api("GET", "/parts", query={"limit": "2", "cursor": second["nextCursor"]}).body

    listed = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert listed == ["P-4", "P-3", "P-2", "P-1", "P-0"]
    assert first["items"][0] == {
        "id": "P-4",
        "name": "Part 4",
        "purchaseType": "CREATES_INVENTORY",
        "updatedAt": first["items"][0]["updatedAt"],
    }
    assert third.get("nextCursor") is None


def test_a_replaced_part_is_listed_once_with_its_new_name(api: Api) -> None:
    put(api, "BOLT-M8", "Bolt")
    put(api, "NUT-M8", "Nut")
    put(api, "BOLT-M8", "Hex bolt M8")
    items = api("GET", "/parts").body["items"]
    assert [(item["id"], item["name"]) for item in items] == [("BOLT-M8", "Hex bolt M8"), ("NUT-M8", "Nut")]


def test_the_text_filter_matches_id_or_name_whatever_the_case(api: Api) -> None:
    put(api, "BOLT-M8", "Hex bolt")
    put(api, "NUT-M8", "Nut for bolts")
    put(api, "WASHER-8", "Flat Washer")
    put(api, "LIC-CAD", "CAD licence")

    assert ids(api, q="bolt") == ["NUT-M8", "BOLT-M8"]
    assert ids(api, q="m8") == ["NUT-M8", "BOLT-M8"]
    assert ids(api, q="fLAT wAS") == ["WASHER-8"]
    assert ids(api, q="gear") == []


def test_a_filtered_page_is_filled_past_the_parts_that_do_not_match(api: Api) -> None:
    put(api, "A-1", "Anchor")
    for n in range(6):
        put(api, f"X-{n}", f"Other {n}")
    put(api, "A-2", "Anchor bolt")

    first = api("GET", "/parts", query={"q": "anchor", "limit": "2"}).body
    assert [item["id"] for item in first["items"]] == ["A-2", "A-1"]
    if first.get("nextCursor"):
        rest = api("GET", "/parts", query={"q": "anchor", "limit": "2", "cursor": first["nextCursor"]})
        assert rest.body["items"] == []


def test_another_org_sees_none_of_the_parts(api: Api) -> None:
    put(api, "BOLT-M8", "Bolt")
    put(api, "NUT-M8", "Nut")
    cursor = api("GET", "/parts", query={"limit": "1"}).body["nextCursor"]
    api.caller = claims(org="globex")
    assert api("GET", "/parts").body["items"] == []
    assert api("GET", "/parts", query={"q": "bolt"}).body["items"] == []
    assert api("GET", "/parts", query={"cursor": cursor}).status == 400  # acme's cursor


def test_every_member_may_list_and_a_stranger_may_not(api: Api) -> None:
    put(api, "BOLT-M8", "Bolt")
    api.caller = claims(role="approver")
    assert ids(api) == ["BOLT-M8"]
    assert api("GET", "/parts", caller={}).status == 401


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"limit": "0"}, 422),
        ({"limit": "101"}, 422),
        ({"limit": "ten"}, 422),
        ({"limit": "-1"}, 422),
        ({"q": ""}, 422),
        ({"q": "x" * 101}, 422),
        ({"cursor": "garbage"}, 400),
        ({"cursor": "e30"}, 400),  # {} in base64
        ({"cursor": "W10"}, 400),  # [] in base64
        ({"cursor": "%%%"}, 400),
        ({"cursor": ""}, 422),
    ],
)
def test_hostile_query_values_are_problems(api: Api, query: dict[str, str], status: int) -> None:
    put(api, "BOLT-M8", "Bolt")
    reply = api("GET", "/parts", query=query)
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"].startswith("application/problem+json")


def test_a_cursor_from_another_listing_is_refused(api: Api) -> None:
    for n in range(3):
        put(api, f"P-{n}", f"Part {n}")
        line = {"description": "Bolt", "quantity": "1", "unitCost": "1"}
        assert api("POST", "/templates", {"name": f"T{n}", "currency": "EUR", "lines": [line]}).status == 201
    template_cursor = api("GET", "/templates", query={"limit": "1"}).body["nextCursor"]
    assert api("GET", "/parts", query={"limit": "1", "cursor": template_cursor}).status == 400


@pytest.mark.parametrize("text", ["\x00", "' OR 1=1 --", "ORG#acme#PARTS", "#", ":q", "%s", "😀", "STRASSE"])
def test_any_text_is_only_text_to_look_for(api: Api, text: str) -> None:
    put(api, "BOLT-M8", "Bolt")
    put(api, "GR-1", "Große Straße")
    expected = ["GR-1"] if text == "STRASSE" else []  # casefolded: ß is ss
    assert ids(api, q=text) == expected
