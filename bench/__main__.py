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

from bench import env


def main(argv: list[str] | None = None) -> int:
    env.configure()  # before anything imports app code: Powertools reads it at import

    from bench.core import MISS, PASS, Context, verdict
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
    summary: list[tuple[str, str, bool]] = []
    crashed: list[str] = []
    try:
        for section in SECTIONS:
            if args.sections and section.key not in args.sections:
                continue
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
    finally:
        context.close()

    print("\n=== Summary ===\n")
    for key, name, passed in summary:
        print(f"  {verdict(passed)}  [{key}] {name}")
    passes = sum(passed for _, _, passed in summary)
    print(
        f"\n  {passes} {PASS}, {len(summary) - passes} {MISS} of {len(summary)} targets "
        f"in {time.perf_counter() - started:.0f} s (targets are reported, never enforced)"
    )
    if crashed:
        print(f"  sections that could not run: {', '.join(crashed)}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
