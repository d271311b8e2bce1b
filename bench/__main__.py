"""`python -m bench [KEY ...]`: run every registered section (or only those named) and print tables.

Exits 0 whatever the measurements: targets are reported as PASS or MISS, never enforced. A section
that cannot run at all (an exception, e.g. the app answering 500) is printed with its traceback, the
other sections still run, and the exit status is then 1: that is a broken benchmark, not a slow app.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from typing import TYPE_CHECKING

from bench import env

if TYPE_CHECKING:
    from bench.core import Context, Section


def main(argv: list[str] | None = None) -> int:
    env.configure()  # before anything imports app code: Powertools reads it at import

    from bench.core import Context
    from bench.sections import SECTIONS

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "sections", nargs="*", metavar="KEY", help=f"any of: {', '.join(s.key for s in SECTIONS)}"
    )
    args = parser.parse_args(argv)
    unknown = set(args.sections) - {section.key for section in SECTIONS}
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    context = Context()
    try:
        summary, crashed = _run([s for s in SECTIONS if not args.sections or s.key in args.sections], context)
    finally:
        context.close()
    _print_summary(summary, crashed, time.perf_counter() - started)
    return 1 if crashed else 0


def _run(sections: list[Section], context: Context) -> tuple[list[tuple[str, str, bool]], list[str]]:
    """Each section's tables printed as it ends: (every check, the sections that could not run)."""
    summary: list[tuple[str, str, bool]] = []
    crashed: list[str] = []
    for section in sections:
        print(f"\n=== {section.title} [{section.key}] ===\n", flush=True)
        section_start = time.perf_counter()
        try:
            result = section.run(context)
        except Exception:
            traceback.print_exc(file=sys.stdout)
            crashed.append(section.key)
            continue
        for table in result.tables:
            print(table.render(), end="\n\n")
        print(f"  ({section.key}: {time.perf_counter() - section_start:.1f} s)", flush=True)
        summary += [(section.key, check.name, check.passed) for check in result.checks]
    return summary, crashed


def _print_summary(summary: list[tuple[str, str, bool]], crashed: list[str], seconds: float) -> None:
    from bench.core import MISS, PASS, verdict

    print("\n=== Summary ===\n")
    for key, name, passed in summary:
        print(f"  {verdict(passed)}  [{key}] {name}")
    passes = sum(passed for _, _, passed in summary)
    print(
        f"\n  {passes} {PASS}, {len(summary) - passes} {MISS} of {len(summary)} targets "
        f"in {seconds:.0f} s (targets are reported, never enforced)"
    )
    if crashed:
        print(f"  sections that could not run: {', '.join(crashed)}")


if __name__ == "__main__":
    sys.exit(main())
