"""One API-event builder: the tests' in-process events are the local gateway's, routed alike."""

from __future__ import annotations

import json

from local import gateway
from local.lambda_events import api_event
from local.routes import Match, Router

CLAIMS = {"sub": "user-1", "email": "buyer@acme.example.com", "custom:org_id": "acme"}
VOLATILE = {"extendedRequestId", "requestTime", "requestTimeEpoch", "stage", "domainName", "domainPrefix"}


def test_an_event_names_the_route_it_was_matched_to_and_its_parameters() -> None:
    event = api_event("PATCH", "/pos/0123abcd/lines/00001", {"quantity": "2"}, caller=CLAIMS)

    assert event["resource"] == event["requestContext"]["resourcePath"] == "/pos/{poId}/lines/{lineId}"
    assert event["pathParameters"] == {"poId": "0123abcd", "lineId": "00001"}
    assert event["requestContext"]["authorizer"] == {"claims": CLAIMS}
    assert json.loads(event["body"]) == {"quantity": "2"}


def test_a_path_no_route_serves_is_its_own_resource() -> None:
    event = api_event("GET", "/nowhere")

    assert (event["resource"], event["pathParameters"]) == ("/nowhere", None)
    assert "authorizer" not in event["requestContext"]


def test_the_local_gateway_builds_the_same_event() -> None:
    local = gateway.Gateway(gateway.Invoker({}), Router.from_template(), lambda _: {})
    found = Router.from_template().match("POST", "/pos/0123abcd/submit")
    assert isinstance(found, Match)
    request = gateway.Request(
        "POST", "/pos/0123abcd/submit?dryRun=1", [("Content-Type", "application/json")], b'{"a": 1}'
    )

    sent = local.event(request, found, "dryRun=1", CLAIMS, "req-1")
    built = api_event("POST", "/pos/0123abcd/submit", {"a": 1}, query={"dryRun": "1"}, caller=CLAIMS)

    assert set(sent) == set(built)
    for key in (
        "resource",
        "path",
        "httpMethod",
        "pathParameters",
        "queryStringParameters",
        "isBase64Encoded",
    ):
        assert sent[key] == built[key], key
    assert json.loads(sent["body"]) == json.loads(built["body"])
    assert sent["headers"]["Content-Type"] == built["headers"]["Content-Type"]
    context, built_context = sent["requestContext"], built["requestContext"]
    assert set(context) == set(built_context)
    assert {key: value for key, value in context.items() if key not in VOLATILE} == {
        key: value for key, value in built_context.items() if key not in VOLATILE
    }
