"""Benchmarks for the purchase-order service, run locally on moto: `python -m bench` (`make bench`).

Layout:
- `bench.core`: the Section type, the shared run Context and the table/verdict output.
- `bench.env`: the environment every handler import needs (set before any import of app code).
- `bench.harness`: moto with the template's table and topic, the handlers, API Gateway events, the
  table's stream as Lambda delivers it, a call counter, and moto speed-ups for the stream sections.
- `bench.sections`: one module per section, registered in `bench.sections.SECTIONS` (run in order).
- `bench._probe`: a stdlib-only script run in fresh interpreters to time cold imports.

A new section is a module in `bench/sections/` defining `SECTION = Section(key, title, run)`, added to
the `SECTIONS` list. Sections print numbers and verdicts; none of them fails on time.
"""
