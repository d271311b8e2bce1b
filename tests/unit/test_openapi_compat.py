"""The breaking-change classifier of the committed OpenAPI document, on small hand-made documents."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from local import openapi


def base() -> dict[str, Any]:
    status = {"type": "string", "enum": ["DRAFT", "APPROVED"]}
    return {
        "openapi": "3.1.0",
        "paths": {
            "/pos/{poId}": {
                "get": {
                    "parameters": [
                        {"name": "poId", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Po"}}}
                        }
                    },
                },
                "patch": {
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Edit"}}},
                    },
                    "responses": {"200": {"description": "ok"}},
                },
            },
        },
        "components": {
            "schemas": {
                "Po": {
                    "type": "object",
                    "required": ["poId"],
                    "properties": {
                        "poId": {"type": "string"},
                        "status": status,
                        "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
                        "parent": {"anyOf": [{"$ref": "#/components/schemas/Po"}, {"type": "null"}]},
                    },
                },
                "Line": {
                    "type": "object",
                    "properties": {"sku": {"type": "string"}, "kind": {"const": "PART"}},
                },
                "Edit": {
                    "type": "object",
                    "properties": {"notes": {"type": "string"}, "priority": {"enum": ["LOW", "HIGH"]}},
                },
            }
        },
    }


def schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]


def edited(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    doc = copy.deepcopy(base())
    change(doc)
    return doc


def test_the_same_document_has_no_breaking_change() -> None:
    assert openapi.breaking_changes(base(), base()) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["paths"].pop("/pos/{poId}"), "GET /pos/{poId}: operation removed"),
        (lambda d: d["paths"]["/pos/{poId}"].pop("patch"), "PATCH /pos/{poId}: operation removed"),
        (
            lambda d: schemas(d)["Po"]["properties"].pop("status"),
            "GET /pos/{poId}: response field 200 application/json.status removed",
        ),
        (
            lambda d: schemas(d)["Line"]["properties"].pop("sku"),
            "GET /pos/{poId}: response field 200 application/json.lines[].sku removed",
        ),
        (
            lambda d: schemas(d)["Po"]["properties"]["status"]["enum"].remove("APPROVED"),
            "GET /pos/{poId}: response value 'APPROVED' of 200 application/json.status removed",
        ),
        (
            lambda d: schemas(d)["Line"]["properties"]["kind"].update(const="SERVICE"),
            "GET /pos/{poId}: response value 'PART' of 200 application/json.lines[].kind removed",
        ),
        (
            lambda d: schemas(d)["Edit"]["properties"]["priority"]["enum"].remove("LOW"),
            "PATCH /pos/{poId}: request value 'LOW' of body application/json.priority removed",
        ),
        (
            lambda d: schemas(d)["Edit"].update(required=["notes"]),
            "PATCH /pos/{poId}: request field body application/json.notes is now required",
        ),
        (
            lambda d: schemas(d)["Edit"]["properties"].pop("notes"),
            "PATCH /pos/{poId}: request field body application/json.notes removed",
        ),
        (
            lambda d: d["paths"]["/pos/{poId}"]["get"]["parameters"].append(
                {"name": "fields", "in": "query", "required": True, "schema": {"type": "string"}}
            ),
            "GET /pos/{poId}: request field query parameter fields is now required",
        ),
    ],
)
def test_each_kind_of_break_is_named(change: Callable[[dict[str, Any]], object], expected: str) -> None:
    assert expected in openapi.breaking_changes(base(), edited(change))


def test_a_body_that_becomes_required_is_breaking() -> None:
    old = edited(lambda d: d["paths"]["/pos/{poId}"]["patch"]["requestBody"].update(required=False))

    assert openapi.breaking_changes(old, base()) == [
        "PATCH /pos/{poId}: request field body application/json is now required"
    ]


def add_optional_object_with_a_required_field(doc: dict[str, Any]) -> None:
    schemas(doc)["Edit"]["properties"]["ship"] = {
        "type": "object",
        "required": ["city"],
        "properties": {"city": {"type": "string"}},
    }


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["paths"].update({"/orders": {"get": {"responses": {}}}}),
        lambda d: d["paths"]["/pos/{poId}"].update(post={"responses": {}}),
        lambda d: schemas(d)["Po"]["properties"].update(total={"type": "string"}),
        lambda d: schemas(d)["Po"]["properties"]["status"]["enum"].append("CANCELED"),
        lambda d: schemas(d)["Edit"]["properties"].update(eta={"type": "string"}),
        lambda d: schemas(d)["Edit"]["properties"]["priority"]["enum"].append("URGENT"),
        lambda d: schemas(d)["Po"].update(required=[]),
        lambda d: d["paths"]["/pos/{poId}"]["get"]["parameters"].append(
            {"name": "fields", "in": "query", "required": False, "schema": {"type": "string"}}
        ),
        add_optional_object_with_a_required_field,
        lambda d: d["paths"]["/pos/{poId}"]["get"].update(summary="A PO", description="Anyone may read it."),
    ],
)
def test_additions_and_relaxations_are_not_breaking(change: Callable[[dict[str, Any]], object]) -> None:
    assert openapi.breaking_changes(base(), edited(change)) == []


def test_no_difference_is_none() -> None:
    assert openapi.difference(base(), base()) is None


def test_a_difference_says_how_to_regenerate_and_names_the_breaking_changes() -> None:
    generated = edited(lambda d: schemas(d)["Po"]["properties"]["status"]["enum"].remove("APPROVED"))

    message = openapi.difference(base(), generated)

    assert message is not None
    assert "python -m local.openapi --write" in message
    assert "BREAKING" in message
    assert "GET /pos/{poId}: response value 'APPROVED' of 200 application/json.status removed" in message


def test_an_addition_differs_without_being_called_breaking() -> None:
    generated = edited(lambda d: d["paths"].update({"/orders": {"get": {"responses": {}}}}))

    message = openapi.difference(base(), generated)

    assert message is not None and "BREAKING" not in message
    assert "paths that differ: /orders" in message
    assert "none (info or components only)" in str(
        openapi.difference(base(), edited(lambda d: d.update(info={})))
    )


def test_the_command_prints_the_document_unless_asked_to_write_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(openapi, "document", base)
    monkeypatch.setattr(openapi, "COMMITTED", tmp_path / "openapi.json")

    assert openapi.main([]) == 0
    assert json.loads(capsys.readouterr().out) == base()
    assert not (tmp_path / "openapi.json").exists()
