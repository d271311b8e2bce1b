"""Each domain refusal has its own problem `type`: a client tells them apart without reading prose."""

from __future__ import annotations

from purchasing.domain import errors, orders


def _refusals() -> list[type[errors.DomainError]]:
    found, todo = [], errors.DomainError.__subclasses__()  # the base is BadRequest's type
    while todo:
        kind = todo.pop()
        found.append(kind)
        todo.extend(kind.__subclasses__())
    return found


def test_every_refusal_has_a_type_of_its_own() -> None:
    kinds = _refusals()
    types = [kind.type for kind in kinds]

    assert orders.DuplicateOrderNumber in kinds  # refusals defined beside their domain count too
    assert len(types) == len(set(types)), sorted(types)


def test_a_status_transition_is_not_an_edit_nor_a_version_mismatch() -> None:
    assert errors.InvalidTransition.type == "invalid-transition"
    assert errors.PoNotEditable.type == "not-editable"
    assert errors.VersionMismatch.type == "version-mismatch"
    assert errors.OverReceipt.type == "over-receipt"
    assert {errors.BlanketPoEnded.type, errors.BlanketPoCapExceeded.type, errors.NoApprover.type} == {
        "blanket-po-ended",
        "blanket-po-cap-exceeded",
        "no-approver",
    }
