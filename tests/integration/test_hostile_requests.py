"""Bodies and headers a hostile or careless client sends, on every route of the template: a 4xx
problem before anything parses them, with or without a token; every page sent safe to show."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from local import template
from local.lambda_events import LambdaContext, api_event
from tests.conftest import Api, claims, new_po_body

PARAMETERS = {"lineId": "00001", "partId": "bolt-m6", "token": "abc.def"}
ROUTES = template.routes()


def concrete(path: str) -> str:
    """The route's path with each {parameter} a value its pattern accepts."""
    return re.sub(r"\{(\w+)\}", lambda found: PARAMETERS.get(found.group(1), "0" * 32), path)


def call(route: template.Route, body: str, content_type: str | None, caller: Any = None) -> dict[str, Any]:
    event = api_event(route.method, concrete(route.path), raw_body=body, caller=caller)
    if content_type is None:
        del event["headers"]["Content-Type"], event["multiValueHeaders"]["Content-Type"]
    else:
        event["headers"]["Content-Type"] = content_type
        event["multiValueHeaders"]["Content-Type"] = [content_type]
    module = template.load_module(template.functions()[route.function])
    return dict(module.lambda_handler(event, LambdaContext()))


def problem(response: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(response["body"]))


HOSTILE = {
    "too-deep": "[" * 50_000,
    "too-deep-object": '{"a":' * 5_000 + "1" + "}" * 5_000,
    "number-too-long": '{"size": ' + "9" * 5_000 + "}",
    "exponent-too-long": '{"quantity": 1e' + "9" * 5_000 + "}",
}
EXPECTED_TYPE = {
    "too-deep": "too-deep",
    "too-deep-object": "too-deep",
    "number-too-long": "number-too-long",
    "exponent-too-long": "number-too-long",
}


@pytest.mark.parametrize("route", ROUTES, ids=[f"{route.method} {route.path}" for route in ROUTES])
def test_a_hostile_json_body_is_a_400_problem_on_every_route(route: template.Route) -> None:
    """Refused before the token is looked at (no AWS call is even possible here)."""
    answers = {
        (kind, bool(caller)): call(route, body, "application/json", caller)
        for kind, body in HOSTILE.items()
        for caller in (None, claims())
    }

    assert {key: response["statusCode"] for key, response in answers.items()} == dict.fromkeys(answers, 400)
    assert {key: problem(response)["type"] for key, response in answers.items()} == {
        key: f"/problems/{EXPECTED_TYPE[key[0]]}" for key in answers
    }


@pytest.mark.parametrize("route", ROUTES, ids=[f"{route.method} {route.path}" for route in ROUTES])
def test_a_body_of_another_media_type_is_a_415_saying_what_to_send(route: template.Route) -> None:
    response = call(route, "hello", "text/plain", claims())

    assert response["statusCode"] == 415
    assert "Content-Type: application/" in problem(response)["detail"]


def test_json_routes_refuse_a_form_body_curl_sends_by_default() -> None:
    response = call(template.Route("POST", "/pos", "PoApiFunction"), json.dumps(new_po_body()), None)
    form = call(
        template.Route("POST", "/pos", "PoApiFunction"),
        json.dumps(new_po_body()),
        "application/x-www-form-urlencoded",
        claims(),
    )

    assert response["statusCode"] == 401  # read as JSON: on to the handler, which wants a token
    assert form["statusCode"] == 415
    assert "application/json" in problem(form)["detail"]


def test_a_json_body_without_content_type_is_read_as_json(api: Api) -> None:
    route = template.Route("POST", "/pos", "PoApiFunction")
    created = call(route, json.dumps(new_po_body()), None, claims())
    template_route = template.Route("POST", "/templates", "TemplatesApiFunction")
    kept = call(template_route, json.dumps({"name": "Bolts", **new_po_body()}), None, claims())
    from_template = call(
        template.Route("POST", "/templates/{templateId}/pos", "TemplatesApiFunction"),
        "{}",
        None,
        claims(),
    )

    assert created["statusCode"] == 201, created["body"]
    assert kept["statusCode"] == 201, kept["body"]
    assert from_template["statusCode"] == 404  # the body was read: the (unknown) template is the problem


def test_every_function_of_the_template_with_routes_is_covered() -> None:
    assert {route.function for route in ROUTES} >= {
        "PoApiFunction",
        "ApprovalPagesFunction",
        "PartnerPagesFunction",
        "SettingsApiFunction",
        "OrdersApiFunction",
        "TemplatesApiFunction",
        "PartsApiFunction",
    }


# --- pages ------------------------------------------------------------------------------------------

PAGE_HEADERS = {"referrer-policy": "no-referrer", "cache-control": "no-store"}


def headers_of(response: dict[str, Any]) -> dict[str, str]:
    multi = {key.lower(): values[-1] for key, values in (response.get("multiValueHeaders") or {}).items()}
    return multi | {key.lower(): value for key, value in (response.get("headers") or {}).items()}


@pytest.mark.parametrize(
    "path,function",
    [
        ("/approvals/abc.def", "ApprovalPagesFunction"),
        ("/partner/abc.def", "PartnerPagesFunction"),
        ("/supplier/abc.def", "SupplierPagesFunction"),
    ],
)
def test_every_page_is_sent_with_a_policy_never_framed_cached_or_referred(
    aws: None, path: str, function: str
) -> None:
    module = template.load_module(template.functions()[function])
    response = module.lambda_handler(api_event("GET", path), LambdaContext())
    headers = headers_of(response)

    assert headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]
    assert {key: headers[key] for key in PAGE_HEADERS} == PAGE_HEADERS


def decide(body: str, content_type: str | None = "application/x-www-form-urlencoded") -> dict[str, Any]:
    route = template.Route("POST", "/approvals/{token}", "ApprovalPagesFunction")
    return call(route, body, content_type)


def test_a_decision_sent_twice_is_a_400_page(aws: None) -> None:
    response = decide("decision=reject&decision=approve")

    assert response["statusCode"] == 400
    assert "decision once" in response["body"]
    assert "frame-ancestors 'none'" in headers_of(response)["content-security-policy"]


def test_a_comment_over_the_limit_says_so(aws: None) -> None:
    response = decide(urlencode({"decision": "approve", "comment": "x" * 2001}))

    assert response["statusCode"] == 422
    assert "Comment too long" in response["body"] and "2000 characters" in response["body"]


def test_a_form_without_content_type_is_read_as_a_form(aws: None) -> None:
    response = decide("decision=approve", None)

    assert response["statusCode"] == 403  # read, then the (forged) link is what stops it
    assert "not valid" in response["body"]


def test_json_to_the_decision_page_is_checked_like_any_json(aws: None) -> None:
    assert decide("[" * 50_000, "application/json")["statusCode"] == 400
    assert decide(json.dumps({"decision": "approve"}), "application/json")["statusCode"] == 403


# --- one shape per value -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Bolt\x00", "Bolt \x1b[31mred\x1b[0m", "Bolt\x7f", "Bolt\x85"],
    ids=["nul", "escape", "del", "c1"],
)
def test_control_characters_are_refused_in_every_text_field(api: Api, text: str) -> None:
    line = new_po_body()["lines"][0] | {"description": text}
    supplier = new_po_body()["supplier"] | {"name": text}
    in_line = api("POST", "/pos", new_po_body(lines=0) | {"lines": [line]})
    in_supplier = api("POST", "/pos", new_po_body(supplier=supplier))
    in_key = api("POST", "/pos", new_po_body(customAttributes={text: "x"}))

    assert (in_line.status, in_line.body["errors"][0]["field"]) == (422, "lines[0].description")
    assert (in_supplier.status, in_supplier.body["errors"][0]["field"]) == (422, "supplier.name")
    assert in_key.status == 422
    assert "control characters" in in_line.body["errors"][0]["message"]


def test_line_breaks_in_text_are_fine(api: Api) -> None:
    line = new_po_body()["lines"][0] | {"description": "Bolt\nM6\tzinc"}
    assert api("POST", "/pos", new_po_body(lines=0) | {"lines": [line]}).status == 201


def test_a_json_number_for_money_or_a_quantity_is_a_422_saying_so(api: Api) -> None:
    line = new_po_body()["lines"][0] | {"quantity": 5}
    reply = api("POST", "/pos", new_po_body(lines=0) | {"lines": [line]})

    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "lines[0].quantity"
    assert "not a JSON number" in reply.body["errors"][0]["message"]


def test_a_comment_with_control_characters_is_refused(aws: None) -> None:
    response = decide(urlencode({"decision": "approve", "comment": "ok\x1b[2J"}))

    assert response["statusCode"] == 422
    assert "control characters" in response["body"]
