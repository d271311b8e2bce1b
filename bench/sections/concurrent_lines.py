"""(i) Racing line adds: ROUNDS rounds of WRITERS threads each adding one line to the same new PO.

On moto (local.moto_fixes applied, as in the tests and the local cloud), WRITERS threads start
together on a PO with no line and each adds one line through the PO service (po_service.add_line,
what POST /pos/{poId}/lines runs). Each thread stands for a Lambda execution environment of its
own: one handler module is not called from two threads at once (Powertools' resolver keeps the
current event in a class attribute, so two requests in one process would swap bodies; Lambda
never runs two invocations in one environment, and the local gateway runs one at a time). A writer
that loses the race five times in a row gets ConcurrentUpdate (the API's 409, retry); every other
gets its line (201). After each round the PO is read back and compared with the answers:

- lost: a line answered 201 that is not on the PO;
- doubled: a line stored more than once (or a line no writer was answered 201 for);
- misnumbered: line ids not 00001..n, or a version other than 1 + n.

Target: none lost, none doubled, none misnumbered over every round. The table is emptied every
RESET rounds so that moto's per-transaction table copy stays small (the numbers do not depend on it).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.core import Check, Context, Result, Section, Table, verdict
from bench.harness import claims, new_po_body

ROUNDS = 200
WRITERS = 8
RESET = 10


def run(ctx: Context) -> Result:
    cloud = ctx.cloud()
    cloud.po_api  # noqa: B018 (imports the handler, and with it the layer, under its environment)
    from purchasing.api.auth import principal_from_claims
    from purchasing.domain.errors import ConcurrentUpdate
    from purchasing.domain.inputs.po import CreateLineRequest
    from purchasing.services import po_service

    org = f"bench-race-{uuid.uuid4().hex[:8]}"
    principal = principal_from_claims(claims(org))
    answered: Counter[int] = Counter()
    lost = doubled = misnumbered = 0
    started = time.perf_counter()
    for number in range(ROUNDS):
        if number % RESET == 0:
            cloud.reset_table()
        created = cloud.invoke("POST", "/pos", new_po_body(0), org=org)
        if created.status != 201:
            raise RuntimeError(f"could not create the PO: {created.status} {created.body}")
        po_id = str(created.body["id"])
        gate = threading.Barrier(WRITERS)

        def add(n: int, po_id: str = po_id, gate: threading.Barrier = gate) -> int:
            request = CreateLineRequest.model_validate(
                {"description": f"L{n}", "quantity": "1", "unitCost": "1"}
            )
            gate.wait()
            try:
                po_service.add_line(principal, po_id, request, None)
            except ConcurrentUpdate:
                return 409
            return 201

        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            statuses = list(pool.map(add, range(WRITERS)))
        answered.update(statuses)
        read = cloud.invoke("GET", f"/pos/{po_id}", org=org).body
        round_lost, round_doubled, round_misnumbered = _tally(read, statuses)
        lost, doubled = lost + round_lost, doubled + round_doubled
        misnumbered += round_misnumbered
    elapsed = time.perf_counter() - started

    table = Table(
        f"{ROUNDS} rounds of {WRITERS} writers adding a line to one PO",
        [
            "answered 201",
            "answered 409",
            "other",
            "lost",
            "doubled",
            "rounds misnumbered",
            "seconds",
            "target",
        ],
    )
    ok = lost == doubled == misnumbered == 0 and set(answered) <= {201, 409}
    other = sum(count for status, count in answered.items() if status not in (201, 409))
    table.add(answered[201], answered[409], other, lost, doubled, misnumbered, f"{elapsed:.0f}", verdict(ok))
    return Result([table], [Check("racing line adds: none lost or doubled", ok)])


def _tally(read: dict[str, Any], statuses: list[int]) -> tuple[int, int, bool]:
    """(lines lost, lines stored twice, whether line ids or the version are off) of one round."""
    stored = Counter(line["description"] for line in read["lines"])
    wanted = {f"L{n}" for n, status in enumerate(statuses) if status == 201}
    doubled = sum(count - (name in wanted) for name, count in stored.items())
    ids = [line["id"] for line in read["lines"]]
    misnumbered = ids != [f"{n:05d}" for n in range(1, len(ids) + 1)] or read["version"] != 1 + len(ids)
    return len(wanted - set(stored)), doubled, misnumbered


SECTION = Section("concurrent_lines", "(i) Racing line adds on one PO", run)
