"""Lambda event filtering (FilterCriteria patterns), the subset the template uses.

A pattern matches an event when every key it names matches: a list of allowed values, where a
value is a literal, {"prefix": s}, {"exists": bool} or {"anything-but": [...]}; a dict recurses.
"""

from __future__ import annotations

import json
from typing import Any


def matches(patterns: list[str] | None, record: dict[str, Any]) -> bool:
    """True when there is no filter, or any one of the JSON patterns matches the record."""
    if not patterns:
        return True
    return any(_match(json.loads(pattern), record) for pattern in patterns)


def filter_patterns(event_properties: dict[str, Any]) -> list[str]:
    filters = (event_properties.get("FilterCriteria") or {}).get("Filters") or []
    return [str(item["Pattern"]) for item in filters]


def _match(pattern: Any, value: Any) -> bool:
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        return all(_field(rule, value.get(key), key in value) for key, rule in pattern.items())
    raise ValueError(f"unsupported filter pattern: {pattern!r}")


def _field(rule: Any, value: Any, present: bool) -> bool:
    if isinstance(rule, dict):
        return present and _match(rule, value)
    if not isinstance(rule, list):
        raise ValueError(f"unsupported filter rule: {rule!r}")
    return any(_allows(option, value, present) for option in rule)


def _allows(option: Any, value: Any, present: bool) -> bool:
    if isinstance(option, dict):
        if "prefix" in option:
            return isinstance(value, str) and value.startswith(option["prefix"])
        if "exists" in option:
            return present is bool(option["exists"])
        if "anything-but" in option:
            excluded = option["anything-but"]
            return present and value not in (excluded if isinstance(excluded, list) else [excluded])
        raise ValueError(f"unsupported filter option: {option!r}")
    return present and value == option
