"""What every section shares: the Section type, the run Context, tables, verdicts and statistics."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.harness import Cloud

PASS, MISS = "PASS", "MISS"


def verdict(passed: bool) -> str:
    return PASS if passed else MISS


@dataclass
class Table:
    """A titled table; `notes` print under it. Cells are strings, numbers are right-aligned."""

    title: str
    columns: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(cell) for cell in cells])

    def render(self) -> str:
        widths = [len(column) for column in self.columns]
        for row in self.rows:
            widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]

        def line(cells: Sequence[str]) -> str:
            return "  ".join(
                cell.rjust(width) if _numeric(cell) else cell.ljust(width)
                for cell, width in zip(cells, widths, strict=True)
            ).rstrip()

        rule = "  ".join("-" * width for width in widths)
        out = [self.title, "", line(self.columns), rule, *(line(row) for row in self.rows)]
        out += [f"  {note}" for note in self.notes]
        return "\n".join(out)


def _numeric(cell: str) -> bool:
    return bool(cell) and (cell[0].isdigit() or cell[0] in "+-<=") and cell not in ("-",)


@dataclass
class Check:
    """One target next to its measurement, for the summary at the end."""

    name: str
    passed: bool


@dataclass
class Result:
    tables: list[Table] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


class Context:
    """Shared by the sections of one run: one moto world with the table and the handlers, made once."""

    def __init__(self) -> None:
        self._cloud: Cloud | None = None

    def cloud(self) -> Cloud:
        if self._cloud is None:
            from bench.harness import Cloud

            self._cloud = Cloud()
        return self._cloud

    def close(self) -> None:
        if self._cloud is not None:
            self._cloud.close()
            self._cloud = None


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    run: Callable[[Context], Result]


# --- statistics -----------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def p90(values: Sequence[float]) -> float:
    """The 90th percentile (inclusive method: a value between two samples, never beyond the max)."""
    if len(values) < 2:
        return float(values[0])
    return float(statistics.quantiles(values, n=10, method="inclusive")[8])


def ms(nanoseconds: float) -> str:
    return f"{nanoseconds / 1e6:.2f}"
