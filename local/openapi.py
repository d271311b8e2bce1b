"""The API's OpenAPI document, built from the code: every function with Api events contributes
its resolver's own schema (`app.get_openapi_schema`), merged into one document with the
security the gateway enforces: a bearer JWT and an API key (x-api-key), each where the template
asks for it.

    python -m local.openapi --write     (regenerates the committed openapi.json at the repo root)

The committed document is the contract clients build on: a test compares it with the generated one,
and `breaking_changes` names the differences that would break a client written against it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from local import template

TITLE = "Purchase orders API"
VERSION = "1.0.0"
OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME = "bearerAuth"
API_KEY_SCHEME = "apiKey"
DESCRIPTION = (
    "Purchase orders and their lines. Every operation needs `Authorization: Bearer <JWT>` "
    "(a Cognito ID token; locally: `make token ORG=<org> EMAIL=<email> ROLE=<buyer|approver|admin>`) "
    "and `x-api-key: <your client's API key>` (`make api-key CLIENT=<name>`; each key is throttled "
    "on its own: 429) unless it says otherwise. Errors are `application/problem+json` (RFC 9457)."
)
COMMITTED = Path(__file__).resolve().parent.parent / "openapi.json"
REGENERATE = "python -m local.openapi --write"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def document(specs: dict[str, template.FunctionSpec] | None = None) -> dict[str, Any]:
    """One OpenAPI document for every routed function; public routes get `security: []`."""
    specs = specs if specs is not None else template.functions()
    doc: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "paths": {},
        "components": {
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "a Cognito ID token (locally: one from `make token`)",
                },
                API_KEY_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": "x-api-key",
                    "description": "the client's API key (`make api-key CLIENT=<name>`)",
                },
            }
        },
        "security": [{SECURITY_SCHEME: [], API_KEY_SCHEME: []}],
    }
    tags: dict[str, dict[str, Any]] = {}
    for spec in specs.values():
        if not spec.routes:
            continue
        part = _function_document(spec)
        security = {(route.method, route.path): _security(route) for route in spec.routes}
        for path, operations in (part.get("paths") or {}).items():
            merged = doc["paths"].setdefault(path, {})
            for method, operation in operations.items():
                if method not in _METHODS:
                    merged.setdefault(method, operation)  # path-level parameters, summary, ...
                    continue
                if method in merged:
                    raise ValueError(f"{method.upper()} {path} is served by two functions")
                own = security.get((method.upper(), path))
                if own is not None and own != doc["security"]:
                    operation = {**operation, "security": own}
                merged[method] = operation
        for section, entries in (part.get("components") or {}).items():
            target = doc["components"].setdefault(section, {})
            for name, entry in entries.items():
                if name in target and target[name] != entry:
                    raise ValueError(f"components.{section}.{name} differs between functions")
                target[name] = entry
        for tag in part.get("tags") or []:
            tags.setdefault(tag["name"], tag)
    if tags:
        doc["tags"] = list(tags.values())
    return doc


def _security(route: template.Route) -> list[dict[str, list[str]]]:
    """What a route asks of its callers: a token where it has an authorizer, a key where it requires one."""
    wanted: dict[str, list[str]] = {
        **({SECURITY_SCHEME: []} if template.route_authorizer(route) is not None else {}),
        **({API_KEY_SCHEME: []} if template.route_api_key_required(route) else {}),
    }
    return [wanted] if wanted else []


def operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, path) for every operation in a document."""
    return {
        (method.upper(), path)
        for path, item in (doc.get("paths") or {}).items()
        for method in item
        if method in _METHODS
    }


def _function_document(spec: template.FunctionSpec) -> dict[str, Any]:
    # A handler module reads its environment at import: give it the template's values unless the
    # process already has its own (as the local cloud and the tests do).
    for key, value in spec.environment.items():
        os.environ.setdefault(key, value)
    app = template.load_module(spec).app
    schema = app.get_openapi_json_schema(title=TITLE, version=VERSION, openapi_version=OPENAPI_VERSION)
    return dict(json.loads(schema))


def render(doc: dict[str, Any]) -> str:
    """The document as committed: indented JSON ending with a newline."""
    return json.dumps(doc, indent=2) + "\n"


def difference(committed: dict[str, Any], generated: dict[str, Any]) -> str | None:
    """None when the committed document is the generated one; else what differs, the breaking
    changes named, and how to regenerate."""
    if committed == generated:
        return None
    lines = [f"openapi.json differs from the generated document: run `{REGENERATE}` and commit it."]
    breaking = breaking_changes(committed, generated)
    if breaking:
        lines.append("BREAKING for clients of the committed document (update it only on purpose):")
        lines += [f"  - {change}" for change in breaking]
    old, new = committed.get("paths") or {}, generated.get("paths") or {}
    changed = sorted(path for path in {*old, *new} if old.get(path) != new.get(path))
    lines.append(f"paths that differ: {', '.join(changed) if changed else 'none (info or components only)'}")
    return "\n".join(lines)


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What a client written against `old` would trip over in `new`: a removed operation, a removed
    field (response, or request: bodies refuse unknown fields), a removed enum value, a request field
    or parameter that became required. Additions are not breaking."""
    found: list[str] = []
    for method, path in sorted(operations(old) - operations(new)):
        found.append(f"{method} {path}: operation removed")
    for method, path in sorted(operations(old) & operations(new)):
        name = f"{method} {path}"
        before, after = old["paths"][path][method.lower()], new["paths"][path][method.lower()]
        old_out, new_out = _facts(old, _responses(before)), _facts(new, _responses(after))
        found += [
            f"{name}: response field {where} removed" for where in sorted(old_out.fields - new_out.fields)
        ]
        found += [f"{name}: response {value} removed" for value in sorted(old_out.enums - new_out.enums)]
        old_in, new_in = _facts(old, _requests(before)), _facts(new, _requests(after))
        found += [f"{name}: request field {where} removed" for where in sorted(old_in.fields - new_in.fields)]
        found += [f"{name}: request {value} removed" for value in sorted(old_in.enums - new_in.enums)]
        added = (new_in.required - old_in.required) - _new_parents(new_in.required, old_in.fields)
        found += [f"{name}: request field {where} is now required" for where in sorted(added)]
    return found


class _Facts:
    def __init__(self) -> None:
        self.fields: set[str] = set()  # "200.items[].status"
        self.required: set[str] = set()  # the required ones among them
        self.enums: set[str] = set()  # "value 'APPROVED' of 200.items[].status"


def _responses(operation: dict[str, Any]) -> Iterator[tuple[str, bool, dict[str, Any]]]:
    for status, response in (operation.get("responses") or {}).items():
        for media, content in (response.get("content") or {}).items():
            yield f"{status} {media}", True, content.get("schema") or {}


def _requests(operation: dict[str, Any]) -> Iterator[tuple[str, bool, dict[str, Any]]]:
    body = operation.get("requestBody") or {}
    for media, content in (body.get("content") or {}).items():
        yield f"body {media}", bool(body.get("required")), content.get("schema") or {}
    for parameter in operation.get("parameters") or []:
        where = f"{parameter.get('in')} parameter {parameter.get('name')}"
        yield where, bool(parameter.get("required")), parameter.get("schema") or {}


def _facts(doc: dict[str, Any], roots: Iterator[tuple[str, bool, dict[str, Any]]]) -> _Facts:
    facts = _Facts()
    for name, required, schema in roots:
        facts.fields.add(name)
        if required:
            facts.required.add(name)
        _walk(doc, schema, name, facts, ())
    return facts


def _walk(doc: dict[str, Any], schema: Any, where: str, facts: _Facts, seen: tuple[str, ...]) -> None:
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in seen:  # a recursive model: its fields were walked once already
            return
        target = doc.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
        _walk(doc, target, where, facts, (*seen, ref))
    values = list(schema.get("enum") or []) + ([schema["const"]] if "const" in schema else [])
    facts.enums.update(f"value {value!r} of {where}" for value in values)
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key) or []:
            _walk(doc, branch, where, facts, seen)
    if "items" in schema:
        facts.fields.add(where + "[]")
        _walk(doc, schema["items"], where + "[]", facts, seen)
    if isinstance(schema.get("additionalProperties"), dict):
        facts.fields.add(where + "{}")
        _walk(doc, schema["additionalProperties"], where + "{}", facts, seen)
    required = set(schema.get("required") or [])
    for field, sub in (schema.get("properties") or {}).items():
        facts.fields.add(f"{where}.{field}")
        if field in required:
            facts.required.add(f"{where}.{field}")
        _walk(doc, sub, f"{where}.{field}", facts, seen)


def _new_parents(required: set[str], old_fields: set[str]) -> set[str]:
    """Required fields inside an object the old document did not have: new optional objects may
    have required fields of their own without breaking anyone."""
    return {where for where in required if "." in where and where.rsplit(".", 1)[0] not in old_fields}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.openapi", description="The API's OpenAPI document."
    )
    parser.add_argument("--write", action="store_true", help=f"write the document to {COMMITTED.name}")
    args = parser.parse_args(argv)
    text = render(document())
    if args.write:
        COMMITTED.write_text(text, encoding="utf-8")
        print(f"wrote {COMMITTED}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
