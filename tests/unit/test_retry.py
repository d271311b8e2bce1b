"""The use cases' one retry loop (services.retry): what it retries, how often, what it gives up with."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from purchasing.services.retry import retry_on_conflict


class Conflict(Exception):
    pass


class GaveUp(Exception):
    pass


def attempts_that(*outcomes: object) -> tuple[list[int], Callable[[], object]]:
    """An attempt that raises or returns each of `outcomes` in turn, and the count of its runs."""
    runs: list[int] = []

    def attempt() -> object:
        runs.append(len(runs) + 1)
        outcome = outcomes[len(runs) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return runs, attempt


def test_a_conflict_runs_the_attempt_again_until_it_returns() -> None:
    runs, attempt = attempts_that(Conflict(), Conflict(), "written")

    result = retry_on_conflict(attempt, attempts=5, conflicts=(Conflict,), gave_up=GaveUp)

    assert (result, runs) == ("written", [1, 2, 3])


def test_after_the_last_attempt_it_gives_up_with_the_callers_error() -> None:
    runs, attempt = attempts_that(*[Conflict()] * 3)

    with pytest.raises(GaveUp):
        retry_on_conflict(attempt, attempts=3, conflicts=(Conflict,), gave_up=GaveUp)
    assert runs == [1, 2, 3]


@pytest.mark.parametrize("conflicts", [(), (KeyError,)])
def test_an_error_that_is_no_conflict_goes_to_the_caller_at_once(
    conflicts: tuple[type[Exception], ...],
) -> None:
    runs, attempt = attempts_that(Conflict(), "never")

    with pytest.raises(Conflict):
        retry_on_conflict(attempt, attempts=5, conflicts=conflicts, gave_up=GaveUp)
    assert runs == [1]
