"""Two writers race on one PO: optimistic locking means neither update is ever lost silently.

The racing adds run on moto as it is patched for the tests and the local cloud (local.moto_fixes):
a canceled transaction writes nothing a reader could see, writes are serialized, and a repeated
ClientRequestToken is answered without writing again, as DynamoDB does. `make bench` runs 200
rounds of 8 racing writers (section concurrent_lines)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from purchasing.data import po_repository, transactions
from tests.conftest import Api, Reply, claims, new_po_body


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


def test_concurrent_line_adds_all_land_with_distinct_numbers(api: Api) -> None:
    """Eight writers add a line to one PO at once through the PO service, each thread standing for a
    Lambda execution environment of its own. (Not through one handler module from eight threads:
    Powertools' resolver keeps the current event in a class attribute, so two requests in one
    process swap bodies, which stored one writer's line twice and lost another's. Lambda never runs
    two invocations in one environment, and the local gateway runs one at a time.)"""
    from purchasing.api.auth import principal_from_claims
    from purchasing.domain.errors import ConcurrentUpdate
    from purchasing.domain.inputs.po import CreateLineRequest
    from purchasing.services import po_service

    po = create_po(api, lines=0)
    principal, gate = principal_from_claims(claims()), threading.Barrier(8)

    def add(n: int) -> int:
        request = CreateLineRequest.model_validate({"description": f"L{n}", "quantity": "1", "unitCost": "1"})
        gate.wait()
        try:
            po_service.add_line(principal, po["id"], request, None)
        except ConcurrentUpdate:
            return 409  # a writer that lost five races in a row is told to retry
        return 201

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(add, range(8)))

    read = api("GET", f"/pos/{po['id']}").body
    assert statuses.count(201) == len(read["lines"]) >= 1
    assert sorted(line["description"] for line in read["lines"]) == sorted(
        f"L{n}" for n, status in enumerate(statuses) if status == 201
    )
    assert [line["id"] for line in read["lines"]] == [f"{n:05d}" for n in range(1, len(read["lines"]) + 1)]
    assert read["version"] == 1 + len(read["lines"])


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

    with pytest.raises(transactions.VersionConflict):
        po_repository.save("acme", torn, after)

    read = po_repository.get("acme", po["id"])
    assert read is not None and [(line.id, line.description) for line in read.lines] == [("00001", "A")]


def test_a_canceled_transaction_writes_nothing_a_reader_could_see(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The root cause of lines lost or doubled under racing adds: moto wrote a transaction's items
    one by one and undid a canceled one afterwards. A reader in between numbered its own line after
    a line that was never committed (and a copy put back erased other writers' lines)."""
    from moto.dynamodb.models import DynamoDBBackend

    from purchasing.domain import purchase_orders
    from purchasing.domain.model import utc_now

    po = create_po(api, lines=1)
    current = po_repository.get("acme", po["id"])
    assert current is not None
    seen: list[list[str]] = []
    real_put = DynamoDBBackend.put_item

    def put_then_read(backend: Any, *args: Any, **kwargs: Any) -> Any:
        result = real_put(backend, *args, **kwargs)
        read = po_repository.get("acme", po["id"])  # another request, while the transaction runs
        seen.append([line.id for line in read.lines] if read else [])
        return result

    monkeypatch.setattr(DynamoDBBackend, "put_item", put_then_read)
    stale = current.model_copy(update={"version": current.version - 1})  # a writer that read an old header
    after = purchase_orders.add_line(
        stale, {"description": "B", "quantity": "1", "unit_cost": "1"}, utc_now()
    )

    with pytest.raises(transactions.VersionConflict):
        po_repository.save("acme", stale, after)

    assert all(ids == ["00001"] for ids in seen)
    read = po_repository.get("acme", po["id"])
    assert read is not None and [line.id for line in read.lines] == ["00001"]


def test_a_line_add_whose_answer_was_lost_is_retried_without_a_second_copy(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB commits, the answer is lost (a 500, a timeout) and botocore retries the call. The
    retry must not be taken for a concurrent change (its conditions fail on what the first call
    wrote), or the line would be added again: botocore sends the same ClientRequestToken and the
    local cloud, like DynamoDB, answers it with success without writing again."""
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb.responses import DynamoHandler

    class LostAnswer(JsonRESTError):
        code = 500

    po = create_po(api, lines=0)
    real_transact, lost = DynamoHandler.transact_write_items, list[str]()

    def commit_then_lose_the_answer(handler: Any) -> Any:
        result = real_transact(handler)
        if not lost:
            lost.append(handler.body.get("ClientRequestToken", ""))
            raise LostAnswer("InternalServerError", "the answer was lost")
        return result

    monkeypatch.setattr(DynamoHandler, "transact_write_items", commit_then_lose_the_answer)
    reply = api("POST", f"/pos/{po['id']}/lines", {"description": "A", "quantity": "1", "unitCost": "1"})

    assert reply.status == 201 and lost != [""]
    read = api("GET", f"/pos/{po['id']}").body
    assert [(line["id"], line["description"]) for line in read["lines"]] == [("00001", "A")]
    assert read["version"] == 2


def test_a_client_request_token_reused_with_other_items_is_refused(api: Api) -> None:
    """As DynamoDB does (IdempotentParameterMismatchException): the local cloud is not kinder."""
    import boto3
    from botocore.exceptions import ClientError

    client, table = boto3.client("dynamodb"), po_repository.OwnerPartitionItem.Meta.table_name

    def put(sk: str) -> Any:
        return {"Put": {"TableName": table, "Item": {"PK": {"S": "ORG#acme#X"}, "SK": {"S": sk}}}}

    client.transact_write_items(TransactItems=[put("A")], ClientRequestToken="t-1")
    client.transact_write_items(TransactItems=[put("A")], ClientRequestToken="t-1")  # a retry: success
    with pytest.raises(ClientError) as refused:
        client.transact_write_items(TransactItems=[put("B")], ClientRequestToken="t-1")

    assert refused.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"


def test_a_transaction_canceled_by_a_conflicting_one_is_retried_not_answered_500(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB cancels a transaction that races another on the same item (TransactionConflict): it
    wrote nothing, so the write is retried on fresh data like a failed version check."""
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    po = create_po(api, lines=0)
    real_write, conflicts = transactions.write, list[int]()

    def conflict_once(ops: Any) -> None:
        if not conflicts:
            conflicts.append(len(ops))
            response: Any = {"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}}
            reasons = [CancellationReason(code="TransactionConflict"), *[None] * (len(ops) - 1)]
            cause = VerboseClientError(response, "TransactWriteItems", cancellation_reasons=reasons)
            raise TransactWriteError("canceled", cause)
        real_write(ops)

    monkeypatch.setattr(transactions, "write", conflict_once)
    reply = api("POST", f"/pos/{po['id']}/lines", {"description": "A", "quantity": "1", "unitCost": "1"})

    assert (reply.status, conflicts) == (201, [3])
    assert [line["id"] for line in api("GET", f"/pos/{po['id']}").body["lines"]] == ["00001"]
