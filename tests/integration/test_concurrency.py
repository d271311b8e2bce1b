"""Two writers race on one PO: optimistic locking means neither update is ever lost silently."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from purchasing.data import po_repository
from tests.conftest import Api, Reply, new_po_body


def interleave(monkeypatch: pytest.MonkeyPatch, other_writer: Callable[[], Reply]) -> list[Reply]:
    """Run `other_writer` to completion right after the first writer has read the PO."""
    real_get, replies = po_repository.get, list[Reply]()

    def read_then_let_the_other_writer_in(*args: Any) -> Any:
        po = real_get(*args)
        if not replies:
            monkeypatch.setattr(po_repository, "get", real_get)
            replies.append(other_writer())
        return po

    monkeypatch.setattr(po_repository, "get", read_then_let_the_other_writer_in)
    return replies


def test_with_if_match_the_writer_that_read_a_stale_version_gets_412(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    po = create_po(api)
    path = f"/pos/{po['id']}/lines/00001"
    second = interleave(
        monkeypatch, lambda: api("PATCH", path, {"description": "B"}, headers={"If-Match": "1"})
    )

    first = api("PATCH", path, {"quantity": "99"}, headers={"If-Match": "1"})

    assert (second[0].status, first.status) == (200, 412)
    line = api("GET", f"/pos/{po['id']}").body["lines"][0]
    assert (line["description"], line["quantity"]) == ("B", "10")


def test_without_if_match_the_losing_writer_retries_on_fresh_data_and_both_changes_stand(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    po = create_po(api, lines=2)
    second = interleave(
        monkeypatch, lambda: api("PATCH", f"/pos/{po['id']}/lines/00002", {"description": "B"})
    )

    first = api("PATCH", f"/pos/{po['id']}/lines/00001", {"quantity": "99"})

    assert (second[0].status, first.status) == (200, 200)
    read = api("GET", f"/pos/{po['id']}").body
    assert [line["quantity"] for line in read["lines"]] == ["99", "10"]
    assert [line["description"] for line in read["lines"]] == ["Bolt M6", "B"]
    assert read["version"] == 3
    assert read["totals"]["subtotal"] == "136.25"  # 99 x 1.25 + 10 x 1.25


@pytest.fixture
def atomic_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB applies each write atomically; in-process moto does not (a failed transaction
    restores a snapshot of the whole table, erasing what other threads wrote meanwhile).
    Serialize moto's writes so the test exercises our locking, not moto's thread safety."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("transact_write_items", "put_item", "update_item", "delete_item", "batch_write_item"):
        original = getattr(DynamoDBBackend, name, None)
        if original is not None:
            monkeypatch.setattr(DynamoDBBackend, name, _locked(lock, original))


def _locked(lock: threading.RLock, function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return function(*args, **kwargs)

    return call


@pytest.mark.usefixtures("atomic_writes")
def test_concurrent_line_adds_all_land_with_distinct_numbers(api: Api) -> None:
    po = create_po(api, lines=0)

    def add(n: int) -> int:
        return api(
            "POST", f"/pos/{po['id']}/lines", {"description": f"L{n}", "quantity": "1", "unitCost": "1"}
        ).status

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(add, range(8)))

    read = api("GET", f"/pos/{po['id']}").body
    assert statuses.count(201) == len(read["lines"])
    assert sorted(line["description"] for line in read["lines"]) == sorted(
        f"L{n}" for n, status in enumerate(statuses) if status == 201
    )
    assert [line["id"] for line in read["lines"]] == [f"{n:05d}" for n in range(1, len(read["lines"]) + 1)]
    assert read["version"] == 1 + len(read["lines"])
    assert set(statuses) <= {201, 409}  # a writer that lost five races in a row is told to retry


def create_po(api: Api, lines: int = 1) -> dict[str, Any]:
    reply = api("POST", "/pos", new_po_body(lines=lines))
    assert reply.status == 201
    return reply.body


def test_a_read_that_missed_a_committed_line_cannot_overwrite_it(api: Api) -> None:
    """Query is read-committed per item, not a snapshot: a writer may see the newest header and
    miss a line committed with it. Its new line would take that line's number: the write fails."""
    from purchasing.domain import purchase_orders
    from purchasing.domain.model import utc_now

    po = create_po(api, lines=0)
    assert (
        api("POST", f"/pos/{po['id']}/lines", {"description": "A", "quantity": "1", "unitCost": "1"}).status
        == 201
    )
    current = po_repository.get("acme", po["id"])
    assert current is not None and [line.id for line in current.lines] == ["00001"]
    torn = current.model_copy(update={"lines": []})  # the new header, without the line read
    fields = {"description": "B", "quantity": "1", "unit_cost": "1"}
    after = purchase_orders.add_line(torn, fields, utc_now())
    assert after.lines[-1].id == "00001"

    with pytest.raises(po_repository.VersionConflict):
        po_repository.save("acme", torn, after)

    read = po_repository.get("acme", po["id"])
    assert read is not None and [(line.id, line.description) for line in read.lines] == [("00001", "A")]
