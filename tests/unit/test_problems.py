"""One problem builder: every RFC 9457 document, the local cloud's included, is built in api/problems."""

from __future__ import annotations

import json
from pathlib import Path

from local import gateway
from purchasing.api import http, problems

ROOT = Path(__file__).resolve().parents[2]


def test_a_problem_names_its_type_title_status_and_detail() -> None:
    assert problems.problem_body(404, "Not found", "no such resource", type_="not-found") == {
        "type": "/problems/not-found", "title": "Not found", "status": 404, "detail": "no such resource",
    }  # fmt: skip


def test_field_errors_ride_along_only_when_there_are_some() -> None:
    errors = [{"field": "lines[0].quantity", "message": "must be positive"}]
    assert problems.problem_body(422, "Invalid", "bad", type_="validation", errors=errors)["errors"] == errors
    assert "errors" not in problems.problem_body(422, "Invalid", "bad", type_="validation", errors=[])


def test_the_local_cloud_answers_the_same_document() -> None:
    reply = gateway.problem(404, "Not found", "no route", "not-found")
    assert dict(reply.headers)["Content-Type"] == problems.PROBLEM_JSON
    assert json.loads(reply.body) == problems.problem_body(404, "Not found", "no route", type_="not-found")


def test_a_request_refused_before_the_handler_gets_the_same_document() -> None:
    refused = http._refusal(400, "Malformed JSON", "not JSON", "malformed-json", field="body", message="x")
    assert refused["headers"] == {"Content-Type": problems.PROBLEM_JSON}
    assert json.loads(refused["body"]) == problems.problem_body(
        400, "Malformed JSON", "not JSON", type_="malformed-json", errors=[{"field": "body", "message": "x"}]
    )


def test_no_other_module_builds_a_problem_document() -> None:
    builders = [
        str(path.relative_to(ROOT))
        for folder in ("layers/shared/purchasing", "functions", "local")
        for path in (ROOT / folder).rglob("*.py")
        if 'f"/problems/' in path.read_text() or '"application/problem+json"' in path.read_text()
    ]
    assert builders == ["layers/shared/purchasing/api/problems.py"]
