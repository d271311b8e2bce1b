"""The OpenAPI document, built from the code, against the routes template.yaml deploys."""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from local import openapi, template

ROOT = Path(__file__).resolve().parents[2]


@cache
def document() -> dict[str, Any]:
    return openapi.document()


def routed() -> set[tuple[str, str]]:
    return {(route.method, route.path) for route in template.routes()}


def test_every_routed_operation_is_documented() -> None:
    missing = routed() - openapi.operations(document())

    assert not missing, f"routed in template.yaml but not in the OpenAPI document: {sorted(missing)}"


def test_every_documented_operation_is_routed() -> None:
    unrouted = openapi.operations(document()) - routed()

    assert not unrouted, f"in the OpenAPI document but not routed by template.yaml: {sorted(unrouted)}"


def test_operations_need_the_bearer_token_and_an_api_key_unless_their_route_is_public() -> None:
    doc = document()
    scheme = doc["components"]["securitySchemes"][openapi.SECURITY_SCHEME]
    key = doc["components"]["securitySchemes"][openapi.API_KEY_SCHEME]

    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert (key["type"], key["in"], key["name"]) == ("apiKey", "header", "x-api-key")
    assert doc["security"] == [{openapi.SECURITY_SCHEME: [], openapi.API_KEY_SCHEME: []}]
    for route in template.routes():
        operation = doc["paths"][route.path][route.method.lower()]
        public = template.route_authorizer(route) is None
        assert template.route_api_key_required(route) is not public, f"{route.method} {route.path}"
        assert (operation.get("security") == []) is public, f"{route.method} {route.path}"
        assert "429" in operation["responses"], f"{route.method} {route.path}: the gateway throttles it"


def test_every_reference_resolves_and_operation_ids_are_unique() -> None:
    doc = document()
    schemas = doc["components"]["schemas"]
    refs: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(doc["paths"])
    collect(schemas)
    prefix = "#/components/schemas/"
    assert all(ref.startswith(prefix) and ref[len(prefix) :] in schemas for ref in refs)
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values() if "operationId" in op]
    assert len(ids) == len(set(ids))


def test_the_document_has_the_api_title() -> None:
    assert document()["info"]["title"] == "Purchase orders API"
    assert document()["openapi"].startswith("3.1")


def test_two_functions_documenting_the_same_operation_is_an_error() -> None:
    spec = template.functions()["PoApiFunction"]
    twin = dataclasses.replace(spec, logical_id="PoApiTwin")

    with pytest.raises(ValueError, match="served by two functions"):
        openapi.document({"PoApiFunction": spec, "PoApiTwin": twin})


def test_the_committed_document_is_the_generated_one() -> None:
    committed = json.loads(openapi.COMMITTED.read_text(encoding="utf-8"))

    difference = openapi.difference(committed, document())

    assert difference is None, difference


def test_the_committed_document_is_what_the_command_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openapi, "COMMITTED", tmp_path / "openapi.json")

    assert openapi.main(["--write"]) == 0
    assert (tmp_path / "openapi.json").read_text(encoding="utf-8") == openapi.render(document())
    assert (tmp_path / "openapi.json").read_text(encoding="utf-8") == (ROOT / "openapi.json").read_text(
        encoding="utf-8"
    )


def test_every_operation_has_a_summary_in_words_and_a_description() -> None:
    """A summary a person reads (not "METHOD path"); a description saying who may call it, what it
    changes and, on a PO or an order (which have statuses), which statuses allow it."""
    for method, path in sorted(openapi.operations(document())):
        operation = document()["paths"][path][method.lower()]
        summary, description = operation.get("summary", ""), operation.get("description", "")
        name = f"{method} {path}"
        assert summary and "/" not in summary and method not in summary.split(), f"{name}: {summary!r}"
        assert summary[0].isupper() and not summary.endswith("."), f"{name}: {summary!r}"
        wanted = ["Who:", "Changes:"]
        if path.startswith(("/pos/{poId}", "/orders/{orderId}")):
            wanted.append("Statuses:")
        missing = [part for part in wanted if part not in description]
        assert not missing, f"{name}: the description lacks {missing}: {description!r}"


def request_schemas() -> dict[str, dict[str, Any]]:
    """The JSON request body schema of every operation that takes one (a nullable body unwrapped)."""
    found = {}
    for method, path in sorted(openapi.operations(document())):
        body = document()["paths"][path][method.lower()].get("requestBody")
        if body and "application/json" in body["content"]:
            schema = body["content"]["application/json"]["schema"]
            refs = [branch for branch in schema.get("anyOf", [schema]) if "$ref" in branch]
            found[f"{method} {path}"] = refs[0] if refs else schema
    return found


def test_every_request_body_has_examples_that_the_schema_accepts() -> None:
    doc, schemas = document(), request_schemas()
    assert len(schemas) >= 20
    for name, schema in schemas.items():
        target = (
            doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema
        )
        examples = target.get("examples") or []
        assert examples, f"{name}: the request body has no example"
        for example in examples:
            errors = list(jsonschema.Draft202012Validator({**doc, **schema}).iter_errors(example))
            assert not errors, f"{name}: example {example} is refused: {errors[0].message}"


def test_the_models_most_operations_answer_with_have_examples_the_schema_accepts() -> None:
    doc = document()
    answered: dict[str, int] = {}
    for item in doc["paths"].values():
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items() if method != "parameters" else []:
                ref = (
                    response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
                )
                if status.startswith("2") and ref:
                    answered[ref] = answered.get(ref, 0) + 1
    main = sorted(ref for ref, count in answered.items() if count >= 3)
    assert len(main) >= 6  # PurchaseOrder, Line, Order, Upload, Part, OrgUser
    for ref in main:
        examples = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]].get("examples") or []
        assert examples, f"{ref}: answered by several operations, but has no example"
        for example in examples:
            errors = list(jsonschema.Draft202012Validator({**doc, "$ref": ref}).iter_errors(example))
            assert not errors, f"{ref}: example refused: {errors[0].message}"


def test_the_classifier_reads_the_real_document() -> None:
    doc = document()
    narrowed = json.loads(json.dumps(doc))
    narrowed["components"]["schemas"]["PurchaseType"]["enum"].remove("DIGITAL_NO_INVENTORY")

    assert openapi.breaking_changes(doc, doc) == []
    changes = openapi.breaking_changes(doc, narrowed)
    removed = "response value 'DIGITAL_NO_INVENTORY' of 200 application/json.lines[].purchaseType removed"
    assert f"GET /pos/{{poId}}: {removed}" in changes
    assert any(
        change.startswith("PUT /parts/{partId}: request value 'DIGITAL_NO_INVENTORY'") for change in changes
    )
