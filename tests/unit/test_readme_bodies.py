"""The README shows a body for every endpoint it names that changes something, and each body is one
the committed OpenAPI document accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
SECTION = "### Request bodies, endpoint by endpoint"
MENTION = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\s+(?:localhost:3000)?(/[^\s`'\"),?]*)")


def doc() -> dict[str, Any]:
    return json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def named_writes(text: str, paths: dict[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, documented path) for every write the text names, `$PO` or `{id}` standing for a parameter."""
    found = set()
    for method, mentioned in MENTION.findall(text):
        for path, item in paths.items():
            shape = "^" + re.sub(r"\\\{[^}]+\\\}", r"[^/\\s]+", re.escape(path)) + "$"
            if method != "GET" and method.lower() in item and re.match(shape, mentioned.rstrip(".:;")):
                found.add((method, path))
    return found


def section() -> str:
    text = readme()
    start = text.index(SECTION) + len(SECTION)
    return text[start : text.index("\n#", start)]


def test_every_write_the_readme_names_has_a_body_the_schema_accepts_or_says_it_takes_none() -> None:
    document, body_section = doc(), section()
    writes = named_writes(readme(), document["paths"])
    assert len(writes) >= 20
    bodies = dict(re.findall(r"`(\w+ /[^`]+)`[^`]*?\n\n```json\n(.*?)\n```", body_section, re.S))
    bare = re.search(r"^No body: (.*)$", body_section, re.M)
    without = set(re.findall(r"`(\w+ /[^`]+)`", bare.group(1))) if bare else set()
    for method, path in sorted(writes):
        name = f"{method} {path}"
        request = document["paths"][path][method.lower()].get("requestBody")
        if request is None:
            assert name in without, f"{name}: the README should say it takes no body"
            continue
        assert name in bodies, f"{name} is named in the README without a body"
        schema = request["content"]["application/json"]["schema"]
        errors = list(
            jsonschema.Draft202012Validator({**document, **schema}).iter_errors(json.loads(bodies[name]))
        )
        assert not errors, f"{name}: the README's body is refused: {errors[0].message}"


def test_a_write_named_without_a_body_is_caught() -> None:
    paths = {"/orders": {"post": {"requestBody": {}}}, "/pos/{poId}/submit": {"post": {}}}

    assert named_writes("curl -X POST localhost:3000/orders and POST /pos/$PO/submit", paths) == {
        ("POST", "/orders"),
        ("POST", "/pos/{poId}/submit"),
    }
