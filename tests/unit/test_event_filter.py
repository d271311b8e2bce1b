"""local.event_filter applies FilterCriteria as Lambda does: leaf paths, ORed filters, JSON types, and
`exists: false` true for a path whose parent is missing; the template's patterns against the records
the app writes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local import event_filter, template


def record(event: str, sk: str, new: dict[str, Any] | None = None, old: dict[str, Any] | None = None) -> dict:
    change: dict[str, Any] = {"Keys": {"PK": {"S": "ORG#acme#PO#p1"}, "SK": {"S": sk}}}
    if new is not None:
        change["NewImage"] = {"PK": {"S": "ORG#acme#PO#p1"}, "SK": {"S": sk}, **new}
    if old is not None:
        change["OldImage"] = {"PK": {"S": "ORG#acme#PO#p1"}, "SK": {"S": sk}, **old}
    return {"eventName": event, "eventSource": "aws:dynamodb", "dynamodb": change}


def passes(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return event_filter.matches([json.dumps(pattern)], event)


def test_no_filter_lets_everything_through() -> None:
    assert event_filter.matches([], {"anything": 1})
    assert event_filter.matches(None, {})


def test_every_leaf_must_match_and_any_filter_may() -> None:
    event = record("MODIFY", "LINE#00001", {"status": {"S": "DRAFT"}})
    line = {"dynamodb": {"Keys": {"SK": {"S": [{"prefix": "LINE#"}]}}}}
    modify = {"eventName": ["MODIFY"]}
    insert = {"eventName": ["INSERT"]}
    assert passes({**line, **modify}, event)
    assert not passes({**line, **insert}, event)
    assert event_filter.matches([json.dumps(insert), json.dumps(modify)], event)


def test_exists_false_matches_a_missing_leaf_and_a_missing_parent() -> None:
    unmarked = {"dynamodb": {"NewImage": {"writtenBy": {"S": [{"exists": False}]}}}}
    assert passes(unmarked, record("MODIFY", "LINE#00001", {"status": {"S": "DRAFT"}}))
    assert passes(unmarked, record("REMOVE", "LINE#00001", old={"status": {"S": "DRAFT"}}))  # no NewImage
    assert not passes(unmarked, record("MODIFY", "LINE#00001", {"writtenBy": {"S": "status"}}))
    assert passes(
        {"dynamodb": {"NewImage": {"writtenBy": {"S": [{"exists": True}]}}}},
        record("MODIFY", "LINE#00001", {"writtenBy": {"S": "status"}}),
    )


def test_literals_match_only_their_own_json_type() -> None:
    applied = {"dynamodb": {"NewImage": {"applied": {"BOOL": [False]}}}}
    assert passes(applied, record("MODIFY", "ROUND#001", {"applied": {"BOOL": False}}))
    assert not passes(applied, record("MODIFY", "ROUND#001", {"applied": {"BOOL": True}}))
    assert not passes(applied, {"dynamodb": {"NewImage": {"applied": {"BOOL": 0}}}})  # 0 is not false
    assert not passes(applied, record("MODIFY", "ROUND#001", {}))  # missing is not false
    assert passes({"n": [5]}, {"n": 5.0})
    assert not passes({"n": ["5"]}, {"n": 5})
    assert passes({"x": [None]}, {"x": None})


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        ({"prefix": "APPROVAL#"}, "APPROVAL#001#01", True),
        ({"prefix": "APPROVAL#"}, "ROUND#001", False),
        ({"suffix": "#E"}, "APPROVAL#001#01#E", True),
        ({"suffix": "#E"}, "APPROVAL#001#01", False),
        ({"equals-ignore-case": "approved"}, "APPROVED", True),
        ({"anything-but": ["PENDING", "SUPERSEDED"]}, "APPROVED", True),
        ({"anything-but": ["PENDING", "SUPERSEDED"]}, "PENDING", False),
        ({"anything-but": "PENDING"}, "PENDING", False),
        ({"anything-but": {"prefix": "LINE#"}}, "ROUND#001", True),
        ({"anything-but": {"prefix": "LINE#"}}, "LINE#00001", False),
        ({"prefix": "1"}, 1, False),  # string conditions on strings only
    ],
)
def test_conditions(condition: dict[str, Any], value: Any, expected: bool) -> None:
    assert passes({"v": [condition]}, {"v": value}) is expected


def test_a_present_condition_never_matches_a_missing_value() -> None:
    assert not passes({"v": [{"anything-but": ["x"]}]}, {})
    assert not passes({"v": [{"prefix": ""}]}, {})


def test_a_list_value_matches_when_any_element_does() -> None:
    assert passes({"tags": ["b"]}, {"tags": ["a", "b"]})
    assert not passes({"tags": ["c"]}, {"tags": ["a", "b"]})


@pytest.mark.parametrize(
    "pattern",
    [
        {"v": [{"numeric": [">", 1]}]},
        {"v": [{"wildcard": "a*"}]},
        {"v": "not a list"},
        {"v": [{"exists": True}, "x"]},
        {"v": [{"prefix": "a", "suffix": "b"}]},
    ],
)
def test_what_is_not_implemented_is_refused_not_guessed(pattern: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        passes(pattern, {"v": "a"})


# --- the template's own filter on what the app writes --------------------------------------------------


def consumer_wakes(event: dict[str, Any]) -> bool:
    props = template.functions()["StatusStreamFunction"].events["TableStream"]["Properties"]
    return event_filter.matches(event_filter.filter_patterns(props), event)


PENDING = {"status": {"S": "PENDING"}, "taskToken": {"S": "t"}}


@pytest.mark.parametrize(
    ("what", "event", "wakes"),
    [
        ("a line the API writes", record("MODIFY", "LINE#00001", {"status": {"S": "IN_REVIEW"}}), True),
        ("a line the API creates", record("INSERT", "LINE#00001", {"status": {"S": "DRAFT"}}), True),
        ("a line the API deletes", record("REMOVE", "LINE#00001", old={"status": {"S": "DRAFT"}}), True),
        (
            "a line the consumer approved",
            record("MODIFY", "LINE#00001", {"status": {"S": "APPROVED"}, "writtenBy": {"S": "status"}}),
            False,
        ),
        ("a request the state machine writes", record("INSERT", "APPROVAL#001#01", PENDING), True),
        (
            "the consumer's notifiedAt",
            record("MODIFY", "APPROVAL#001#01", {**PENDING, "notifiedAt": {"S": "now"}}, PENDING),
            False,
        ),
        (
            "an approver's decision",
            record("MODIFY", "APPROVAL#001#01", {"status": {"S": "APPROVED"}, "notifiedAt": {"S": "t"}}),
            True,
        ),
        (
            "a rejection",
            record("MODIFY", "APPROVAL#001#01", {"status": {"S": "REJECTED"}, "notifiedAt": {"S": "t"}}),
            True,
        ),
        (
            "the consumer's relayedAt",
            record("MODIFY", "APPROVAL#001#01", {"status": {"S": "APPROVED"}, "relayedAt": {"S": "t"}}),
            False,
        ),
        (
            "a request the consumer retires",
            record("MODIFY", "APPROVAL#001#01", {"status": {"S": "SUPERSEDED"}}),
            False,
        ),
        (
            "the round the consumer starts",
            record("INSERT", "ROUND#001", {"status": {"S": "RUNNING"}, "applied": {"BOOL": False}}),
            False,
        ),
        (
            "the consumer marks the round started",
            record("MODIFY", "ROUND#001", {"status": {"S": "RUNNING"}, "started": {"BOOL": True}}),
            False,
        ),
        (
            "the state machine's outcome",
            record("MODIFY", "ROUND#001", {"status": {"S": "APPROVED"}, "applied": {"BOOL": False}}),
            True,
        ),
        (
            "an expiry",
            record("MODIFY", "ROUND#001", {"status": {"S": "EXPIRED"}, "applied": {"BOOL": False}}),
            True,
        ),
        (
            "the consumer applies the outcome",
            record("MODIFY", "ROUND#001", {"status": {"S": "APPROVED"}, "applied": {"BOOL": True}}),
            False,
        ),
        ("the header", record("MODIFY", "PO", {"status": {"S": "APPROVED"}}), False),
        ("a history event", record("INSERT", "EVENT#2026#x", {"type": {"S": "x"}}), False),
    ],
)
def test_the_consumer_wakes_only_for_work(what: str, event: dict[str, Any], wakes: bool) -> None:
    assert consumer_wakes(event) is wakes, what
