"""The sections `python -m bench` runs, in this order. Add a new one by appending its SECTION here."""

from __future__ import annotations

from bench.core import Section
from bench.sections import (
    approvals,
    big_po,
    concurrent_lines,
    documents,
    dynamodb_calls,
    get_latency,
    import_time,
    layers,
    memory,
    recompute_latency,
    stream_batch,
)

SECTIONS: list[Section] = [
    import_time.SECTION,
    layers.SECTION,
    dynamodb_calls.SECTION,
    get_latency.SECTION,
    stream_batch.SECTION,
    recompute_latency.SECTION,
    approvals.SECTION,
    documents.SECTION,
    concurrent_lines.SECTION,
    big_po.SECTION,
    memory.SECTION,
]
