"""The one retry loop of the use cases: read, decide, write, and when the write lost a race (what
was read changed before it was written), all of it again on fresh data."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def retry_on_conflict(
    attempt: Callable[[], T],
    *,
    attempts: int,
    conflicts: tuple[type[Exception], ...],
    gave_up: Callable[[], Exception],
) -> T:
    """`attempt`'s result, running it at most `attempts` times: one of `conflicts` (raised by its
    write, which wrote nothing) runs it again; any other error goes to the caller. When every
    attempt met a conflict, `gave_up()` is raised."""
    for _ in range(attempts):
        try:
            return attempt()
        except conflicts:
            continue
    raise gave_up()
