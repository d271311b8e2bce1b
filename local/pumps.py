"""The plug-in point for pumps: background workers that deliver DynamoDB stream records, SQS
messages and S3 events to the in-process handlers, in the event shapes AWS uses.

A pump is made by a factory from the running cloud, after every resource exists, and is
started then; pumps are stopped in reverse order on shutdown, before moto stops.

- `local.stream_pump`: every function event of `Type: DynamoDB` (the table's stream);
- `local.queue_pump`: every function event of `Type: SQS`;
- `local.outbox`: every SNS topic, into the local outbox (files and `/_local/outbox`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from local import outbox as outboxes
from local import queue_pump, stream_pump

if TYPE_CHECKING:
    from local.cloud import Moto, Resources
    from local.gateway import Invoker


class Pump(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class PumpContext:
    """What a pump factory can use: the embedded AWS, the resources made, the handler invoker,
    and the outbox the topics' messages go to (none: they are not collected)."""

    moto: Moto
    resources: Resources
    invoker: Invoker
    outbox: outboxes.Outbox | None = None


PumpFactory = Callable[[PumpContext], Pump | None]

# Factories return None when the template has nothing for them to pump.
FACTORIES: list[PumpFactory] = [stream_pump.factory, queue_pump.factory, outboxes.factory]


def start_pumps(context: PumpContext) -> list[Pump]:
    started: list[Pump] = []
    try:
        for factory in FACTORIES:
            pump = factory(context)
            if pump is not None:
                pump.start()
                started.append(pump)
    except BaseException:
        stop_pumps(started)
        raise
    return started


def stop_pumps(pumps: list[Pump]) -> None:
    for pump in reversed(pumps):
        pump.stop()
