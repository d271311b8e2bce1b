"""The table's stream: PO status and totals follow the lines, partial batch failures per PO."""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import config
from purchasing.observability import logger, metrics, tracer
from purchasing.services import status_service

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(
    config.Observability,
    config.Table,
    config.Links,
    config.Events,
    config.Approvals,
    config.LinkSecret,
)

# Report every failed PO's records, even when that is all of them: Lambda retries from the first.
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


class PoRecomputeFailed(Exception):
    """Raised for each record of a PO whose recomputation failed, so the record is retried."""


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    if not event.get("Records"):
        return {"batchItemFailures": []}  # Lambda never sends an empty batch; a replay tool might
    failed = status_service.recompute_batch(event["Records"])

    def record_handler(record: DynamoDBRecord) -> None:
        if status_service.po_key(record.raw_event) in failed:
            raise PoRecomputeFailed(str(status_service.po_key(record.raw_event)))

    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
