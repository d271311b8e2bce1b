"""Lambda event filtering (an event source mapping's FilterCriteria), as Lambda applies it.

A pattern is a JSON object whose leaves are lists of conditions; the record matches the pattern
when, for every leaf path, the record's value at that path meets one condition of its list.
Filters are ORed: a record is delivered when any one pattern matches (no filter: every record).
Conditions implemented (what the template uses, and their neighbours):
- a literal (string, number, boolean, null): equal, of the same JSON type (false is not 0);
- {"prefix": s}, {"suffix": s}, {"equals-ignore-case": s}: on strings only;
- {"exists": true | false}: whether the path leads to a value. A path whose parent is missing
  (a REMOVE record has no NewImage) does not exist, so `false` matches it;
- {"anything-but": literal | [literals] | {"prefix": s}}: a value that is present and none of them.
Every other condition (numeric, wildcard, cidr...) raises ValueError, so the template cannot use
one the local cloud would silently misread. A value that is a list matches when any element does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

_MISSING = object()


def matches(patterns: list[str] | None, record: dict[str, Any]) -> bool:
    """True when there is no filter, or any one of the JSON patterns matches the record."""
    if not patterns:
        return True
    return any(_matches(json.loads(pattern), record) for pattern in patterns)


def filter_patterns(event_properties: dict[str, Any]) -> list[str]:
    filters = (event_properties.get("FilterCriteria") or {}).get("Filters") or []
    return [str(item["Pattern"]) for item in filters]


def _matches(pattern: Any, record: dict[str, Any]) -> bool:
    if not isinstance(pattern, dict):
        raise ValueError(f"a filter pattern is a JSON object, not {pattern!r}")
    return all(_leaf(conditions, _at(record, path)) for path, conditions in _leaves(pattern, ()))


def _leaves(pattern: dict[str, Any], path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], list[Any]]]:
    for key, rule in pattern.items():
        if isinstance(rule, dict):
            yield from _leaves(rule, (*path, key))
        elif isinstance(rule, list):
            yield (*path, key), rule
        else:
            raise ValueError(f"a filter rule is an object or a list of conditions, not {rule!r}")


def _at(record: Any, path: tuple[str, ...]) -> Any:
    value = record
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _leaf(conditions: list[Any], value: Any) -> bool:
    if any(isinstance(c, dict) and "exists" in c for c in conditions):
        if len(conditions) != 1:
            raise ValueError(f"exists stands alone in its list: {conditions!r}")
        return (value is not _MISSING) is bool(conditions[0]["exists"])
    if value is _MISSING:
        return False
    candidates = value if isinstance(value, list) else [value]
    return any(_meets(condition, candidate) for condition in conditions for candidate in candidates)


def _meets(condition: Any, value: Any) -> bool:
    if not isinstance(condition, dict):
        return _same(condition, value)
    if len(condition) != 1:
        raise ValueError(f"one condition per object: {condition!r}")
    ((kind, operand),) = condition.items()
    if kind == "prefix":
        return isinstance(value, str) and value.startswith(str(operand))
    if kind == "suffix":
        return isinstance(value, str) and value.endswith(str(operand))
    if kind == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(operand).lower()
    if kind == "anything-but":
        if isinstance(operand, dict):
            return not _meets(operand, value)
        excluded = operand if isinstance(operand, list) else [operand]
        return not any(_same(item, value) for item in excluded)
    raise ValueError(f"unsupported filter condition: {condition!r}")


def _same(literal: Any, value: Any) -> bool:
    """JSON equality: a boolean equals only a boolean (Python's False == 0 does not hold here)."""
    if isinstance(literal, bool) or isinstance(value, bool):
        return isinstance(literal, bool) and isinstance(value, bool) and literal is value
    if isinstance(literal, int | float) and isinstance(value, int | float):
        return float(literal) == float(value)
    return type(literal) is type(value) and literal == value
