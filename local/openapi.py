"""The API's OpenAPI document, built from the code: every function with Api events contributes
its resolver's own schema (`app.get_openapi_schema`), merged into one document with the
bearer-JWT security the gateway enforces.

    python -m local.openapi > openapi.json
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from local import template

TITLE = "Purchase orders API"
VERSION = "1.0.0"
OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME = "bearerAuth"
DESCRIPTION = (
    "Purchase orders and their lines. Every operation needs `Authorization: Bearer <JWT>` "
    "(a Cognito ID token; locally: `make token ORG=<org> EMAIL=<email> ROLE=<buyer|approver|admin>`) "
    "unless it says otherwise. Errors are `application/problem+json` (RFC 9457)."
)
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
                }
            }
        },
        "security": [{SECURITY_SCHEME: []}],
    }
    tags: dict[str, dict[str, Any]] = {}
    for spec in specs.values():
        if not spec.routes:
            continue
        part = _function_document(spec)
        public = {
            (route.method, route.path) for route in spec.routes if template.route_authorizer(route) is None
        }
        for path, operations in (part.get("paths") or {}).items():
            merged = doc["paths"].setdefault(path, {})
            for method, operation in operations.items():
                if method not in _METHODS:
                    merged.setdefault(method, operation)  # path-level parameters, summary, ...
                    continue
                if method in merged:
                    raise ValueError(f"{method.upper()} {path} is served by two functions")
                if (method.upper(), path) in public:
                    operation = {**operation, "security": []}
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


def main() -> int:
    json.dump(document(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
